package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

func TestChangeRolesTakesEffectOnTheNextRequest(t *testing.T) {
	s := newStack(t, testBase)
	tn := s.tenant(t)
	admin := s.person(t, "Aroha Admin", &tn, "practice_admin")
	deputy := s.person(t, "Deputy Admin", &tn, "practice_admin", "gp")
	hip := s.person(t, "Hemi HIP", &tn, "hip")
	dom := account.TenantDomain(tn.ID)

	// The deputy is an administrator now, in their own browser.
	dep := s.agent(t)
	dep.signIn(deputy)
	want(t, dep.get("/t/"+tn.Slug+"/practice"), 200, "Opening hours")

	br := s.agent(t)
	br.signIn(admin)
	form := br.get("/t/" + tn.Slug + "/staff/" + hip.ID.String() + "/roles")
	want(t, form, 200, "Roles of Hemi HIP", `value="hip" checked`)

	// Unknown roles and no roles change nothing.
	want(t, br.post("/t/"+tn.Slug+"/staff/"+hip.ID.String()+"/roles", url.Values{"roles": {"surgeon"}}), 422, "nknown role surgeon")
	want(t, br.post("/t/"+tn.Slug+"/staff/"+hip.ID.String()+"/roles", url.Values{}), 422, "Choose at least one role")
	if !s.enforcer.Allowed(hip.ID, dom, "note", "create") {
		t.Fatal("a HIP may not write notes before the change")
	}

	// A HIP made a practice nurse loses the HIP's work at once.
	r := br.post("/t/"+tn.Slug+"/staff/"+hip.ID.String()+"/roles", url.Values{"roles": {"nurse"}})
	wantRedirect(t, r, "/t/"+tn.Slug+"/staff/"+hip.ID.String()+"/roles?done=roles")
	want(t, br.follow(r), 200, "The roles are changed")
	if s.enforcer.Allowed(hip.ID, dom, "note", "create") || !s.enforcer.Allowed(hip.ID, dom, "patient", "read") {
		t.Fatal("the policy still answers with the old roles")
	}

	// The deputy made a GP only: their very next request is refused.
	r = br.post("/t/"+tn.Slug+"/staff/"+deputy.ID.String()+"/roles", url.Values{"roles": {"gp"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("change deputy: %d\n%s", r.status, r.body)
	}
	if got := dep.get("/t/" + tn.Slug + "/practice"); got.status != 403 && got.status != 404 {
		t.Fatalf("the former administrator still reaches the settings: %d", got.status)
	}

	// Not one's own roles; and the activity view shows what changed.
	want(t, br.post("/t/"+tn.Slug+"/staff/"+admin.ID.String()+"/roles", url.Values{"roles": {"gp"}}), 409, "your own roles")
	act := br.get("/t/" + tn.Slug + "/activity")
	want(t, act, 200, "Changed roles", "Hemi HIP", "Aroha Admin", "hip → nurse", "gp,practice_admin → gp")

	// Someone without audit/read does not see the activity.
	hb := s.agent(t)
	hb.signIn(hip)
	if got := hb.get("/t/" + tn.Slug + "/activity"); got.status != 403 && got.status != 404 {
		t.Fatalf("a nurse reads the activity: %d", got.status)
	}
}

func TestPracticeSettings(t *testing.T) {
	s := newStack(t, testBase)
	tn := s.tenant(t)
	admin := s.person(t, "Aroha Admin", &tn, "practice_admin")
	br := s.agent(t)
	br.signIn(admin)
	path := "/t/" + tn.Slug + "/practice"
	want(t, br.get(path), 200, "Opening hours", "Pacific/Auckland", `value="24"`)

	good := url.Values{"hours_mon": {"08:00"}, "hours_mon_close": {"17:30"}, "hours_sat": {"09:00"}, "hours_sat_close": {"12:00"},
		"rooms": {"Te Whare 1\r\nRoom 2\r\n\r\n"}, "reminder_hours": {"48"}, "reminder_sms": {"on"}}
	for _, c := range []struct {
		name  string
		patch url.Values
		msg   string
	}{
		{"closing before opening", url.Values{"hours_mon": {"17:00"}, "hours_mon_close": {"08:00"}}, "Closing time must be after opening time"},
		{"half a day", url.Values{"hours_tue": {"08:00"}, "hours_tue_close": {""}}, "leave both empty for closed"},
		{"not a time", url.Values{"hours_wed": {"8am"}, "hours_wed_close": {"25:00"}}, "HH:MM"},
		{"reminder out of range", url.Values{"reminder_hours": {"0"}}, "1 to 168 hours"},
		{"reminder not a number", url.Values{"reminder_hours": {"soon"}}, "whole number of hours"},
		{"room twice", url.Values{"rooms": {"Room 2\nRoom 2"}}, "listed twice"},
		{"room too long", url.Values{"rooms": {strings.Repeat("ā", 61)}}, "at most 60 characters"},
	} {
		f := url.Values{}
		for k, v := range good {
			f[k] = v
		}
		for k, v := range c.patch {
			f[k] = v
		}
		want(t, br.post(path, f), 422, c.msg)
	}
	if p := readProfile(t, s, tn); len(p.OpeningHours) != 0 {
		t.Fatalf("a refused form changed the profile: %+v", p)
	}

	wantRedirect(t, br.post(path, good), path+"?done=practice")
	p := readProfile(t, s, tn)
	if p.OpeningHours["mon"] != (onboarding.Hours{Open: "08:00", Close: "17:30"}) || len(p.OpeningHours) != 2 ||
		strings.Join(p.Rooms, "|") != "Te Whare 1|Room 2" || p.ReminderHours != 48 || !p.ReminderSMS || p.ReminderEmail {
		t.Fatalf("saved profile %+v", p)
	}
	want(t, br.get(path+"?done=practice"), 200, "The practice settings are saved", `value="08:00"`, `value="17:30"`, "Te Whare 1")
	want(t, br.get("/t/"+tn.Slug+"/activity"), 200, "Changed practice settings", "reminder_hours", "24 → 48",
		"mon closed", "mon 08:00–17:30")
}

func readProfile(t *testing.T, s *stack, tn tenants.Tenant) onboarding.Profile {
	t.Helper()
	p, err := onboarding.GetProfile(tenants.WithTenant(context.Background(), tn), s.env.DB)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// regionWithPractices makes a region with n onboarding practices and a
// regional admin of it.
func regionWithPractices(t testing.TB, s *stack, n int) (tenants.Region, []tenants.Tenant, account.User) {
	ctx := context.Background()
	r := s.env.Region(t)
	var list []tenants.Tenant
	for i := 0; i < n; i++ {
		tn, err := onboarding.CreateTenant(ctx, s.env.DB, onboarding.NewTenant{Kind: tenants.KindPractice, RegionID: r.ID,
			Slug: dbtest.Slug("practice"), Name: "Practice " + uuid.NewString()[:6]})
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, tn)
	}
	u, err := s.accounts.CreateUser(ctx, "ra-"+uuid.NewString()[:8]+"@example.co.nz", "Rangi Regional", testPassword, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.accounts.GrantOrg(ctx, uuid.Nil, u.ID, "regional_admin", "region:"+r.ID.String()); err != nil {
		t.Fatal(err)
	}
	return r, list, u
}

func TestRegionOverviewAndGoLive(t *testing.T) {
	s := newStack(t, testBase)
	r, practices, ra := regionWithPractices(t, s, 2)
	ready := practices[0]
	_, _, strangerAdmin := regionWithPractices(t, s, 1)

	br := s.agent(t)
	br.signIn(ra)
	path := "/regions/" + r.Slug + "/overview"
	page := br.get(path)
	want(t, page, 200, practices[0].Name, practices[1].Name, "0 of 2 practices live", "Not available until booking exists")

	other := s.agent(t)
	other.signIn(strangerAdmin)
	want(t, other.get(path), 404)
	want(t, other.post(path+"/"+ready.Slug+"/go-live", nil), 404)

	// Refused until the required items are done.
	goLive := path + "/" + ready.Slug + "/go-live"
	want(t, br.post(goLive, nil), 409, "cannot go live until every required checklist item is done")

	ctx := tenants.WithTenant(context.Background(), ready)
	for _, roles := range [][]string{{"practice_admin"}, {"hip"}} {
		u, err := s.accounts.CreateUser(context.Background(), "p-"+uuid.NewString()[:8]+"@example.co.nz", "Someone", testPassword, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.accounts.AddMember(ctx, u.ID, u.ID, roles); err != nil {
			t.Fatal(err)
		}
	}
	err := s.env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO enrolment (tenant_id, quarter, ethnic_group, age_band, gender, nzdep, count)
			VALUES (?, ?, 'pacific', '15-24', 'male', '4', 80)`, tx.Tenant.ID, onboarding.FiscalQuarter(time.Now(), ready.Location())).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	want(t, br.get(path), 200, "Required items done", "3 of 3")

	r2 := br.post(goLive, nil)
	wantRedirect(t, r2, path+"?done=live")
	want(t, br.follow(r2), 200, "The practice is live", "1 of 2 practices live", "since")
	want(t, br.post(goLive, nil), 409, "not onboarding")
	d, err := onboarding.DetailsByID(context.Background(), s.env.DB, ready.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Tenant.Status != tenants.StatusActive || d.GoLiveAt.IsZero() {
		t.Fatalf("after go live: %s %v", d.Tenant.Status, d.GoLiveAt)
	}
}
