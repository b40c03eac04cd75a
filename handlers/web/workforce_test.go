package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/calendar"
	"github.com/tuhono/tuhono/models/workforce"
	"github.com/tuhono/tuhono/tenants"
)

func TestWorkforcePages(t *testing.T) {
	s := orgStack(t)
	tn := s.tenant(t, "Riccarton Medical")
	ctx := tenants.WithTenant(context.Background(), tn)
	admin := s.person(t, "Aroha Admin", &tn, "practice_admin")
	hip := s.person(t, "Hemi Practitioner", &tn, "hip")
	s.person(t, "Gina GP", &tn, "gp")
	a := s.agent(t)
	a.signIn(admin)
	base := "/t/" + tn.Slug + "/workforce"
	today := calendar.Today(tn.Location())
	iso := func(d time.Time) string { return d.Format(time.DateOnly) }

	r := a.get(base)
	want(t, r, 200, "Hemi Practitioner", "Set FTE from a day", "Record leave", "No FTE recorded")
	if strings.Contains(r.body, "Gina GP") {
		t.Fatal("a GP is listed as a practitioner")
	}

	// FTE: bad input changes nothing; a good one shows as current.
	fte := func(v url.Values) answer { return a.post(base+"/fte", v) }
	want(t, fte(url.Values{"user": {hip.ID.String()}, "line": {"hip"}, "fte": {"lots"}, "starts_on": {iso(today)}}), 422,
		"Enter FTE as a number from 0 to 1")
	want(t, fte(url.Values{"user": {hip.ID.String()}, "line": {"support_worker"}, "fte": {"0.5"}, "starts_on": {iso(today)}}), 422,
		"This person does not hold the Support Worker role")
	want(t, fte(url.Values{"user": {hip.ID.String()}, "line": {"hip"}, "fte": {"1.5"}, "starts_on": {iso(today)}}), 422,
		"Must be from 0 to 1")
	if spans, _ := workforce.Spans(ctx, s.env.DB); len(spans) != 0 {
		t.Fatalf("refused FTE stored: %+v", spans)
	}
	wantRedirect(t, fte(url.Values{"user": {hip.ID.String()}, "line": {"hip"}, "fte": {"0.8"}, "starts_on": {iso(today)}}),
		base+"?done=fte")
	want(t, a.get(base+"?done=fte"), 200, "HIP 0.80", "The FTE is saved")
	want(t, fte(url.Values{"user": {hip.ID.String()}, "line": {"hip"}, "fte": {"0.6"}, "starts_on": {iso(today)}}), 422,
		"An FTE for this line already starts on")

	// Leave: added, overlap refused, removed.
	from, to := today.AddDate(0, 0, 30), today.AddDate(0, 0, 34)
	leave := func(v url.Values) answer { return a.post(base+"/leave", v) }
	want(t, leave(url.Values{"person": {hip.ID.String()}, "kind": {"annual"}, "from": {iso(to)}, "to": {iso(from)}}), 422,
		"Must be on or after the first day")
	want(t, leave(url.Values{"person": {"someone"}, "kind": {"annual"}, "from": {iso(from)}, "to": {iso(to)}}), 422,
		"Choose a practitioner")
	wantRedirect(t, leave(url.Values{"person": {hip.ID.String()}, "kind": {"annual"}, "from": {iso(from)}, "to": {iso(to)}}),
		base+"?done=leave")
	want(t, leave(url.Values{"person": {hip.ID.String()}, "kind": {"sick"}, "from": {iso(to)}, "to": {iso(to)}}), 409,
		"This overlaps leave already recorded")
	want(t, a.get(base), 200, "Annual leave", from.Format("Mon 2 Jan 2006"), "<td data-label=\"Days\">5</td>")
	ls, err := workforce.Leaves(ctx, s.env.DB, today, today.AddDate(1, 0, 0))
	if err != nil || len(ls) != 1 {
		t.Fatalf("leave: %+v %v", ls, err)
	}
	removeURL := base + "/leave/" + ls[0].ID.String() + "/remove"

	// A practice admin of another practice gets 404 for all of it, and
	// cannot reach this practice's leave through their own practice.
	other := s.tenant(t, "Other Practice")
	b := s.agent(t)
	b.signIn(s.person(t, "Other Admin", &other, "practice_admin"))
	want(t, b.get(base), 404)
	want(t, b.post(base+"/fte", url.Values{"user": {hip.ID.String()}, "line": {"hip"}, "fte": {"0"}, "starts_on": {iso(today.AddDate(0, 0, 1))}}), 404)
	want(t, b.post(base+"/leave", url.Values{"person": {hip.ID.String()}, "kind": {"sick"}, "from": {iso(today)}, "to": {iso(today)}}), 404)
	want(t, b.post(removeURL, nil), 404)
	want(t, b.post("/t/"+other.Slug+"/workforce/leave/"+ls[0].ID.String()+"/remove", nil), 404)
	want(t, b.post("/t/"+other.Slug+"/workforce/fte", url.Values{"user": {hip.ID.String()}, "line": {"hip"}, "fte": {"0"},
		"starts_on": {iso(today.AddDate(0, 0, 1))}}), 422, "Choose a practitioner of this practice")
	if ls, _ := workforce.Leaves(ctx, s.env.DB, today, today.AddDate(1, 0, 0)); len(ls) != 1 {
		t.Fatalf("another practice removed the leave: %+v", ls)
	}
	if spans, _ := workforce.Spans(ctx, s.env.DB); len(spans) != 1 || spans[0].EndsOn != nil {
		t.Fatalf("another practice changed the FTE: %+v", spans)
	}

	wantRedirect(t, a.post(removeURL, nil), base+"?done=removed")
	want(t, a.post(removeURL, nil), 404)
	want(t, a.post(base+"/leave/not-an-id/remove", nil), 404)
	want(t, a.get(base), 200, "No leave recorded")

	// A practitioner has no workforce permission (policy.csv): no page.
	h := s.agent(t)
	h.signIn(hip)
	want(t, h.get(base), 403)
}
