package web

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/inbox"
	"github.com/tuhono/tuhono/models/note"
)

var noteIDField = regexp.MustCompile(`name="note_id" value="([0-9a-f-]{36})"`)

// bookNoteSession books the HIP with the practice's patient at hour h
// tomorrow, introduced by the GP (the handover's default addressee).
func bookNoteSession(t *testing.T, s *stack, p handoverPractice, h int) booking.Appointment {
	t.Helper()
	loc := p.tn.Location()
	y, m, d := time.Now().In(loc).AddDate(0, 0, 1).Date()
	a, _, err := booking.Book(p.ctx, s.env.DB, p.gp.ID, booking.NewAppointment{PractitionerID: p.hip.ID,
		PatientID: p.patient, Kind: booking.KindBooked, Mode: booking.ModeInPerson, ServiceLine: booking.LineHIP,
		StartsAt: time.Date(y, m, d, h, 0, 0, 0, loc), Minutes: 30, IntroducedBy: p.gp.ID})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// hipNoteForm is a complete HIP note, with a K10, a usefulness score and
// PHQ-9 answered with item 9 above 0 when risky.
func hipNoteForm(action, id string, version int, extra url.Values) url.Values {
	f := url.Values{"action": {action}, "note_id": {id}, "version": {strconv.Itoa(version)},
		"field_what_matters":       {"Getting back to waka ama with the whānau."},
		"field_presenting_concern": {"Low mood since the redundancy."},
		"field_plan":               {"Values work; behavioural activation; review in two weeks."},
		"field_risk_screen":        {"screened: no current risk"},
		"field_follow_up":          {"follow-up booked"},
		"free_text":                {"Engaged well."}}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

func k10(v int) url.Values {
	f := url.Values{}
	for i := 1; i <= 10; i++ {
		f.Set("m_k10_"+strconv.Itoa(i), strconv.Itoa(v))
	}
	return f
}

func TestNotePages(t *testing.T) {
	s := newStack(t, testBase)
	p := newHandoverPractice(t, s)
	base := "/t/" + p.tn.Slug
	a := bookNoteSession(t, s, p, 10)
	editor := base + "/appointments/" + a.ID.String() + "/note"

	hip := s.agent(t)
	hip.signIn(p.hip)
	want(t, hip.get(base+"/appointments/"+a.ID.String()), 200, `id="session-note"`, editor)
	want(t, hip.get(editor), 200, "HIP session note", "What matters to the person", `name="m_k10_10"`,
		`name="m_phq9_9"`, "How useful was this session today?", `name="restricted"`, "Dr Hana Walker", "Save draft")

	// Save draft (no JavaScript): the page comes back with the note's id and version.
	saved := hip.post(editor, hipNoteForm("save", "", 0, nil))
	want(t, saved, 200, "Draft saved.", "Getting back to waka ama")
	m := noteIDField.FindStringSubmatch(saved.body)
	if m == nil {
		t.Fatalf("no note id on the saved editor:\n%s", saved.body)
	}
	id := m[1]
	noteURL := base + "/notes/" + id

	// Autosave answers JSON with the next version; a stale version is a conflict.
	auto := hip.post(noteURL+"/draft", hipNoteForm("", id, 1, url.Values{"free_text": {"Engaged well; laughed."}}))
	want(t, auto, 200, `"version":2`)
	var got struct{ Version int }
	if err := json.Unmarshal([]byte(auto.body), &got); err != nil || got.Version != 2 {
		t.Fatalf("autosave answer %q: %v", auto.body, err)
	}
	want(t, hip.post(noteURL+"/draft", hipNoteForm("", id, 1, url.Values{"free_text": {"Other tab"}})), 409,
		"saved elsewhere")

	// Signing with half a K10 is refused and changes nothing.
	half := hipNoteForm("sign", id, 2, url.Values{"m_k10_1": {"3"}, "m_k10_2": {"2"}})
	want(t, hip.post(editor, half), 422, "K10: answer every item", "not answered: 3, 4, 5")
	// The refused sign saved the draft (version 3), so sign from there.
	ans := hipNoteForm("sign", id, 3, k10(2))
	ans.Set("m_usefulness_1", "8")
	ans.Set("handover", "Seen today: low mood, plan agreed. Please review sertraline in two weeks.")
	ans.Set("handover_to", p.gp.ID.String())
	wantRedirect(t, hip.post(editor, ans), noteURL+"?done=signed")
	page := hip.get(noteURL + "?done=signed")
	want(t, page, 200, "Signed. The note is now part of the record", "Getting back to waka ama", "K10: 20 (moderate)",
		"Usefulness of the session: 8", "Add an addendum")

	// The GP's inbox holds the handover.
	hs, err := inbox.Inbox(p.ctx, s.env.DB, testKeyring(t), note.Viewer{UserID: p.gp.ID, TenantID: p.tn.ID, Roles: []string{"gp"}})
	if err != nil || len(hs) != 1 {
		t.Fatalf("GP inbox: %v, %+v", err, hs)
	}

	// A signed note is not edited: neither by autosave nor by the form.
	want(t, hip.post(noteURL+"/draft", hipNoteForm("", id, 4, nil)), 409, "add an addendum instead")
	wantRedirect(t, hip.get(editor), noteURL)

	// Addenda: a reason is required; with one, it shows under the note, which is unchanged.
	want(t, hip.post(noteURL+"/addenda", url.Values{"text": {"Phoned: feeling better."}}), 422, "Say why")
	wantRedirect(t, hip.post(noteURL+"/addenda", url.Values{"reason": {"Phone follow-up"},
		"text": {"Phoned: feeling better."}}), noteURL+"?done=addendum")
	want(t, hip.get(noteURL), 200, "Phone follow-up", "Phoned: feeling better.", "Getting back to waka ama")

	// The patient page: the note's first line and the K10 trend as SVG with a table.
	want(t, hip.get(base+"/patients/"+p.patient.String()), 200, "Session notes", "Getting back to waka ama",
		`<svg class="trend"`, "K10 over time", "K10 as a table")

	// A restricted note on another session: the GP sees metadata only, then break-glass.
	b := bookNoteSession(t, s, p, 12)
	editorB := base + "/appointments/" + b.ID.String() + "/note"
	r := hipNoteForm("save", "", 0, url.Values{"restricted": {"yes"}, "field_what_matters": {"Safety at home."}})
	savedB := hip.post(editorB, r)
	want(t, savedB, 200, "Draft saved.")
	idB := noteIDField.FindStringSubmatch(savedB.body)[1]
	restricted := base + "/notes/" + idB
	wantRedirect(t, hip.post(editorB, hipNoteForm("sign", idB, 1, url.Values{"restricted": {"yes"},
		"field_what_matters": {"Safety at home."}})), restricted+"?done=signed")

	gp := s.agent(t)
	gp.signIn(p.gp)
	meta := gp.get(restricted)
	want(t, meta, 200, "You can see that this note exists", "Open this restricted note")
	if strings.Contains(meta.body, "Safety at home") {
		t.Fatal("a GP read a restricted note without break-glass")
	}
	pt := gp.get(base + "/patients/" + p.patient.String())
	want(t, pt, 200, "Getting back to waka ama", "Restricted")
	if strings.Contains(pt.body, "Safety at home") {
		t.Fatal("the patient page shows a restricted note's first line to a GP")
	}
	want(t, gp.post(restricted+"/break-glass", url.Values{"reason": {"Acute risk review today"},
		"password": {"not my password"}}), 422, "not your password")
	want(t, gp.get(restricted), 200, "You can see that this note exists")
	wantRedirect(t, gp.post(restricted+"/break-glass", url.Values{"reason": {"Acute risk review today"},
		"password": {testPassword}}), restricted+"?done=opened")
	want(t, gp.get(restricted), 200, "Safety at home", "under break-glass")

	// The practice administrator reviews the access.
	adm := s.agent(t)
	adm.signIn(p.admin)
	rv := adm.get(base + "/reviews")
	want(t, rv, 200, "Dr Hana Walker", "Acute risk review today")
	grant := regexp.MustCompile(`/reviews/([0-9a-f-]{36})`).FindStringSubmatch(rv.body)[1]
	want(t, adm.post(base+"/reviews/"+grant, nil), 422, "Write what the review found")
	wantRedirect(t, adm.post(base+"/reviews/"+grant, url.Values{"comment": {"Clinical need confirmed with the GP."}}),
		base+"/reviews?done=reviewed")
	want(t, adm.get(base+"/reviews"), 200, "Nothing to review.")

	// A Support Worker sees that the HIP note exists, not what it says.
	swUser := s.person(t, "Tama Kaimahi", &p.tn, "support_worker")
	sw := s.agent(t)
	sw.signIn(swUser)
	swPage := sw.get(noteURL)
	want(t, swPage, 200, "You can see that this note exists")
	if strings.Contains(swPage.body, "waka ama") {
		t.Fatal("a Support Worker read a HIP note")
	}

	// Another practice's HIP: the note does not exist for them.
	other := newHandoverPractice(t, s)
	ot := s.agent(t)
	ot.signIn(other.hip)
	want(t, ot.get("/t/"+other.tn.Slug+"/notes/"+id), 404)
	want(t, ot.get(noteURL), 404)
}
