package onboarding_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

func TestFiscalQuarter(t *testing.T) {
	akl, _ := time.LoadLocation("Pacific/Auckland")
	cht, _ := time.LoadLocation("Pacific/Chatham")
	for _, c := range []struct {
		at   time.Time
		loc  *time.Location
		want string
	}{
		{time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), akl, "FY2027-Q2"},
		{time.Date(2025, 7, 1, 0, 0, 0, 0, akl), akl, "FY2026-Q1"},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, akl), akl, "FY2026-Q3"},
		{time.Date(2026, 6, 30, 23, 59, 0, 0, akl), akl, "FY2026-Q4"},
		// 30 June 11:30 UTC is already 1 July in both zones.
		{time.Date(2026, 6, 30, 12, 30, 0, 0, time.UTC), akl, "FY2027-Q1"},
		// 11:00 UTC is 23:00 in Auckland but 23:45 in Chatham: both still 30 June.
		{time.Date(2026, 6, 30, 11, 0, 0, 0, time.UTC), cht, "FY2026-Q4"},
		// 11:20 UTC is 00:05 on 1 July in Chatham, 23:20 on 30 June in Auckland.
		{time.Date(2026, 6, 30, 11, 20, 0, 0, time.UTC), cht, "FY2027-Q1"},
		{time.Date(2026, 6, 30, 11, 20, 0, 0, time.UTC), akl, "FY2026-Q4"},
	} {
		if got := onboarding.FiscalQuarter(c.at, c.loc); got != c.want {
			t.Errorf("FiscalQuarter(%s, %s) = %s, want %s", c.at, c.loc, got, c.want)
		}
	}
}

type checklistFixture struct {
	env      *dbtest.Env
	accounts *account.Service
	region   tenants.Region
}

func newChecklistFixture(t *testing.T) checklistFixture {
	env := dbtest.New(t)
	key := make([]byte, 32)
	accounts := account.New(env.DB, nil, account.Config{SealKey: key, BaseURL: "http://tuhono.test",
		Argon2: account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	return checklistFixture{env: env, accounts: accounts, region: env.Region(t)}
}

func (f checklistFixture) practice(t *testing.T, region uuid.UUID) (context.Context, tenants.Tenant) {
	t.Helper()
	tn, err := onboarding.CreateTenant(context.Background(), f.env.DB, onboarding.NewTenant{Kind: tenants.KindPractice,
		RegionID: region, Slug: dbtest.Slug("practice"), Name: "Practice " + uuid.NewString()[:6]})
	if err != nil {
		t.Fatal(err)
	}
	return tenants.WithTenant(context.Background(), tn), tn
}

func (f checklistFixture) member(t *testing.T, ctx context.Context, roles ...string) account.User {
	t.Helper()
	u, err := f.accounts.CreateUser(context.Background(), "p-"+uuid.NewString()[:8]+"@example.co.nz", "Test Person",
		"correct horse battery staple", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.accounts.AddMember(ctx, u.ID, u.ID, roles); err != nil {
		t.Fatal(err)
	}
	return u
}

func enrol(t *testing.T, d *db.DB, ctx context.Context, quarter string) {
	t.Helper()
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO enrolment (tenant_id, quarter, ethnic_group, age_band, gender, nzdep, count)
			VALUES (?, ?, 'maori', '25-44', 'female', '5', 120)`, tx.Tenant.ID, quarter).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func states(c onboarding.Checklist) map[string]onboarding.State {
	out := map[string]onboarding.State{}
	for _, it := range c.Items {
		out[it.Key] = it.State
	}
	return out
}

func wantStates(t *testing.T, c onboarding.Checklist, want map[string]onboarding.State) {
	t.Helper()
	got := states(c)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("item %s: %s, want %s", k, got[k], w)
		}
	}
}

func TestChecklistFollowsRealState(t *testing.T) {
	f := newChecklistFixture(t)
	ctx, tn := f.practice(t, f.region.ID)
	now := time.Now()

	c, err := onboarding.PracticeChecklist(ctx, f.env.DB, now)
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, c, map[string]onboarding.State{"practice_admin": onboarding.StateTodo, "clinician": onboarding.StateTodo,
		"enrolment": onboarding.StateTodo, "schedule": onboarding.StateUnavailable, "contract": onboarding.StateUnavailable,
		"billing": onboarding.StateUnavailable})
	if c.Ready() {
		t.Fatal("an empty practice is ready")
	}
	if d, n := c.Progress(); d != 0 || n != 3 {
		t.Fatalf("progress %d of %d, want 0 of 3 (unavailable items not counted)", d, n)
	}

	// An invitation alone is not acceptance.
	if _, _, err := f.accounts.Invite(ctx, uuid.Nil, "manager@example.co.nz", "Manager", []string{"practice_admin"}); err != nil {
		t.Fatal(err)
	}
	c, _ = onboarding.PracticeChecklist(ctx, f.env.DB, now)
	wantStates(t, c, map[string]onboarding.State{"practice_admin": onboarding.StateTodo})
	if c.Items[0].Detail != "Invitation sent: waiting for it to be accepted." {
		t.Errorf("detail %q", c.Items[0].Detail)
	}

	admin := f.member(t, ctx, "practice_admin")
	hip := f.member(t, ctx, "hip")
	// Enrolment for last quarter does not count.
	enrol(t, f.env.DB, ctx, onboarding.FiscalQuarter(now.AddDate(0, -3, 0), tn.Location()))
	c, _ = onboarding.PracticeChecklist(ctx, f.env.DB, now)
	wantStates(t, c, map[string]onboarding.State{"practice_admin": onboarding.StateDone, "clinician": onboarding.StateDone,
		"enrolment": onboarding.StateTodo})
	enrol(t, f.env.DB, ctx, onboarding.FiscalQuarter(now, tn.Location()))
	c, _ = onboarding.PracticeChecklist(ctx, f.env.DB, now)
	wantStates(t, c, map[string]onboarding.State{"enrolment": onboarding.StateDone})
	if !c.Ready() {
		t.Fatalf("not ready with every required item done: %+v", c.Items)
	}

	// Never ticked by hand: a suspended HIP un-ticks the item.
	if err := f.accounts.SetStatus(ctx, admin.ID, hip.ID, "suspended"); err != nil {
		t.Fatal(err)
	}
	c, _ = onboarding.PracticeChecklist(ctx, f.env.DB, now)
	wantStates(t, c, map[string]onboarding.State{"clinician": onboarding.StateTodo})
}

func TestGoLiveWaitsForTheChecklist(t *testing.T) {
	f := newChecklistFixture(t)
	ctx, tn := f.practice(t, f.region.ID)
	now := time.Now()
	actor := uuid.Must(uuid.NewV7())

	err := onboarding.GoLive(context.Background(), f.env.DB, actor, f.region.ID, tn.ID, now)
	if !onboarding.IsNotReady(err) || fault.As(err).Kind != fault.KindConflict {
		t.Fatalf("go live with nothing done: %v, want not ready", err)
	}
	f.member(t, ctx, "practice_admin")
	f.member(t, ctx, "health_coach")
	if err := onboarding.GoLive(context.Background(), f.env.DB, actor, f.region.ID, tn.ID, now); !onboarding.IsNotReady(err) {
		t.Fatalf("go live without enrolment: %v, want not ready", err)
	}
	enrol(t, f.env.DB, ctx, onboarding.FiscalQuarter(now, tn.Location()))

	// Another region's admin cannot reach it.
	other := f.env.Region(t)
	if err := onboarding.GoLive(context.Background(), f.env.DB, actor, other.ID, tn.ID, now); !errors.Is(err, fault.NotFound) {
		t.Fatalf("go live from another region: %v, want not found", err)
	}

	if err := onboarding.GoLive(context.Background(), f.env.DB, actor, f.region.ID, tn.ID, now); err != nil {
		t.Fatal(err)
	}
	d, err := onboarding.DetailsByID(context.Background(), f.env.DB, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Tenant.Status != tenants.StatusActive || d.GoLiveAt.IsZero() {
		t.Fatalf("after go live: status %s, go_live_at %v", d.Tenant.Status, d.GoLiveAt)
	}
	// A second go-live changes nothing.
	if err := onboarding.GoLive(context.Background(), f.env.DB, actor, f.region.ID, tn.ID, now); fault.As(err).Kind != fault.KindConflict {
		t.Fatalf("second go live: %v, want conflict", err)
	}

	var events []audit.Entry
	err = f.env.DB.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		events, err = audit.List(tx, time.Time{}, 50)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		if e.Action == "tenant.go_live" {
			found = true
			if e.ActorUserID != actor || e.Detail["before.status"] != "onboarding" || e.Detail["after.status"] != "active" ||
				e.Detail["after.go_live_at"] == "" {
				t.Errorf("go-live event: %+v", e)
			}
		}
	}
	if !found {
		t.Fatal("go live was not recorded")
	}
}

func TestRegionOverview(t *testing.T) {
	f := newChecklistFixture(t)
	now := time.Now()
	ctxA, a := f.practice(t, f.region.ID)
	_, b := f.practice(t, f.region.ID)
	_, elsewhere := f.practice(t, f.env.Region(t).ID)
	f.member(t, ctxA, "practice_admin", "hip")

	list, err := onboarding.RegionOverview(context.Background(), f.env.DB, f.region.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uuid.UUID]onboarding.Checklist{}
	for _, p := range list {
		got[p.Tenant.ID] = p.Checklist
	}
	if len(got) != 2 {
		t.Fatalf("%d practices, want 2", len(got))
	}
	if _, ok := got[elsewhere.ID]; ok {
		t.Fatal("another region's practice is listed")
	}
	if d, n := got[a.ID].Progress(); d != 2 || n != 3 {
		t.Errorf("practice a: %d of %d, want 2 of 3", d, n)
	}
	if d, _ := got[b.ID].Progress(); d != 0 {
		t.Errorf("practice b: %d done, want 0", d)
	}
}
