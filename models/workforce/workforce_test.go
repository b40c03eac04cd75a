package workforce_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/workforce"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

type practice struct {
	env *dbtest.Env
	ctx context.Context
}

func newPractice(t *testing.T, env *dbtest.Env) practice {
	ctx, _ := env.Tenant(t)
	return practice{env: env, ctx: ctx}
}

func newUser(t *testing.T, env *dbtest.Env) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`,
			id, "u-"+id.String()[24:]+"@example.co.nz").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// join gives the user a membership here with roles and status.
func (p practice) join(t *testing.T, user uuid.UUID, status string, roles ...string) uuid.UUID {
	t.Helper()
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles, status) VALUES (?, ?, ?::text[], ?)`,
			tx.Tenant.ID, user, fmt.Sprintf("{%s}", joinRoles(roles)), status).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return user
}

func joinRoles(roles []string) string {
	out := ""
	for i, r := range roles {
		if i > 0 {
			out += ","
		}
		out += r
	}
	return out
}

func (p practice) member(t *testing.T, roles ...string) uuid.UUID {
	return p.join(t, newUser(t, p.env), "active", roles...)
}

func (p practice) events(t *testing.T, action string) int {
	t.Helper()
	var n int64
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM audit_events WHERE action = ?`, action).Scan(&n).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func field(err error) string {
	if fe := fault.As(err); len(fe.Fields) > 0 {
		return fe.Fields[0].Field
	}
	return ""
}

// spanText is a span as "line fte from–to" for comparing lists.
func spanText(s workforce.Span) string {
	end := "open"
	if s.EndsOn != nil {
		end = s.EndsOn.Format(time.DateOnly)
	}
	return fmt.Sprintf("%s %.2f %s–%s", s.Line, s.FTE, s.StartsOn.Format(time.DateOnly), end)
}

func spans(t *testing.T, p practice, user uuid.UUID) []string {
	t.Helper()
	all, err := workforce.Spans(p.ctx, p.env.DB)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range all {
		if s.UserID == user {
			out = append(out, spanText(s))
		}
	}
	return out
}

func TestSetFTE(t *testing.T) {
	env := dbtest.New(t)
	p := newPractice(t, env)
	admin := p.member(t, "practice_admin")
	hip := p.member(t, "hip", "health_coach")

	steps := []struct {
		name  string
		line  string
		fte   float64
		from  time.Time
		field string // "" when it succeeds
		want  []string
	}{
		{"first span", "hip", 0.5, day(2026, 7, 1), "",
			[]string{"hip 0.50 2026-07-01–open"}},
		{"a raise ends the open span", "hip", 0.8, day(2026, 9, 14), "",
			[]string{"hip 0.50 2026-07-01–2026-09-14", "hip 0.80 2026-09-14–open"}},
		{"the same day as the open span", "hip", 1, day(2026, 9, 14), "starts_on", nil},
		{"before the open span", "hip", 1, day(2026, 8, 1), "starts_on", nil},
		{"another line runs beside", "health_coach", 0.2, day(2026, 8, 1), "",
			[]string{"hip 0.50 2026-07-01–2026-09-14", "hip 0.80 2026-09-14–open", "health_coach 0.20 2026-08-01–open"}},
		{"a line without the role", "support_worker", 0.5, day(2026, 8, 1), "line", nil},
		{"more than full time", "hip", 1.2, day(2026, 10, 1), "fte", nil},
		{"three decimals", "hip", 0.125, day(2026, 10, 1), "fte", nil},
		{"an unknown line", "gp", 0.5, day(2026, 10, 1), "line", nil},
		{"no day", "hip", 0.5, time.Time{}, "starts_on", nil},
		{"stopping ends the open span", "hip", 0, day(2026, 12, 24), "",
			[]string{"hip 0.50 2026-07-01–2026-09-14", "hip 0.80 2026-09-14–2026-12-24", "health_coach 0.20 2026-08-01–open"}},
		{"stopping with nothing open", "hip", 0, day(2027, 1, 10), "fte", nil},
		{"a start inside an ended span", "hip", 0.5, day(2026, 12, 1), "starts_on", nil},
		{"starting again after the end", "hip", 0.4, day(2027, 1, 11), "",
			[]string{"hip 0.50 2026-07-01–2026-09-14", "hip 0.80 2026-09-14–2026-12-24", "hip 0.40 2027-01-11–open",
				"health_coach 0.20 2026-08-01–open"}},
	}
	var want []string
	for _, s := range steps {
		err := workforce.SetFTE(p.ctx, env.DB, admin, hip, s.line, s.fte, s.from)
		if s.field == "" {
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			want = s.want
		} else if !errors.Is(err, fault.Invalid) || field(err) != s.field {
			t.Fatalf("%s: err = %v, want a message on %s", s.name, err, s.field)
		}
		if got := spans(t, p, hip); !slices.Equal(got, want) {
			t.Fatalf("%s:\n got %v\nwant %v", s.name, got, want)
		}
	}
	if n := p.events(t, "workforce.fte"); n != 5 {
		t.Fatalf("%d FTE events, want 5", n)
	}
	all, _ := workforce.Spans(p.ctx, env.DB)
	for _, s := range all {
		if s.UserID == hip && s.Line == "health_coach" && (!s.Current(day(2026, 8, 1)) || s.Current(day(2026, 7, 31))) {
			t.Fatalf("current: %+v", s)
		}
	}

	// Someone without a membership here, and a suspended HIP, get no FTE.
	if err := workforce.SetFTE(p.ctx, env.DB, admin, newUser(t, env), "hip", 0.5, day(2026, 7, 1)); field(err) != "user" {
		t.Fatalf("stranger: %v", err)
	}
	away := p.join(t, newUser(t, env), "suspended", "hip")
	if err := workforce.SetFTE(p.ctx, env.DB, admin, away, "hip", 0.5, day(2026, 7, 1)); field(err) != "line" {
		t.Fatalf("suspended: %v", err)
	}
	if err := workforce.SetFTE(p.ctx, env.DB, admin, admin, "hip", 0.5, day(2026, 7, 1)); field(err) != "line" {
		t.Fatalf("an admin given HIP FTE: %v", err)
	}
}

func TestLeave(t *testing.T) {
	env := dbtest.New(t)
	p := newPractice(t, env)
	admin := p.member(t, "practice_admin")
	coach := p.member(t, "health_coach")
	other := p.member(t, "support_worker")

	l, err := workforce.AddLeave(p.ctx, env.DB, admin, coach, "annual", day(2026, 12, 21), day(2027, 1, 8))
	if err != nil {
		t.Fatal(err)
	}
	if l.UserID != coach || l.Kind != "annual" || !l.StartsOn.Equal(day(2026, 12, 21)) || !l.EndsOn.Equal(day(2027, 1, 8)) {
		t.Fatalf("leave %+v", l)
	}
	// One day, touching the end of the first: overlapping, so refused.
	_, err = workforce.AddLeave(p.ctx, env.DB, admin, coach, "sick", day(2027, 1, 8), day(2027, 1, 8))
	if !errors.Is(err, fault.Conflict) || fault.As(err).Message != "this overlaps leave already recorded from 21 Dec 2026 to 8 Jan 2027" {
		t.Fatalf("overlap: %v", err)
	}
	// The day after is free; another person's leave may overlap.
	if _, err := workforce.AddLeave(p.ctx, env.DB, admin, coach, "anniversary", day(2027, 1, 9), day(2027, 1, 9)); err != nil {
		t.Fatal(err)
	}
	if _, err := workforce.AddLeave(p.ctx, env.DB, admin, other, "training", day(2026, 12, 22), day(2026, 12, 23)); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name     string
		user     uuid.UUID
		kind     string
		from, to time.Time
		field    string
	}{
		{"backwards", coach, "sick", day(2027, 3, 2), day(2027, 3, 1), "to"},
		{"401 days", coach, "parental", day(2027, 3, 1), day(2028, 4, 4), "to"},
		{"unknown kind", coach, "holiday", day(2027, 3, 1), day(2027, 3, 1), "kind"},
		{"no day", coach, "sick", time.Time{}, day(2027, 3, 1), "from"},
		{"not a practitioner", admin, "sick", day(2027, 3, 1), day(2027, 3, 1), "user"},
		{"not a member", newUser(t, env), "sick", day(2027, 3, 1), day(2027, 3, 1), "user"},
	}
	for _, b := range bad {
		if _, err := workforce.AddLeave(p.ctx, env.DB, admin, b.user, b.kind, b.from, b.to); !errors.Is(err, fault.Invalid) || field(err) != b.field {
			t.Fatalf("%s: %v", b.name, err)
		}
	}
	// 400 days is the most one record holds.
	if _, err := workforce.AddLeave(p.ctx, env.DB, admin, coach, "parental", day(2027, 3, 1), day(2028, 4, 3)); err != nil {
		t.Fatalf("400 days: %v", err)
	}

	got, err := workforce.Leaves(p.ctx, env.DB, day(2027, 1, 1), day(2027, 2, 1))
	if err != nil || len(got) != 2 || got[0].ID != l.ID || got[1].Kind != "anniversary" {
		t.Fatalf("leaves in January: %+v %v", got, err)
	}
	if got, _ := workforce.Leaves(p.ctx, env.DB, day(2027, 1, 10), day(2027, 3, 1)); len(got) != 0 {
		t.Fatalf("leaves in a gap: %+v", got)
	}
	if err := workforce.RemoveLeave(p.ctx, env.DB, admin, l.ID); err != nil {
		t.Fatal(err)
	}
	if err := workforce.RemoveLeave(p.ctx, env.DB, admin, l.ID); !errors.Is(err, fault.NotFound) {
		t.Fatalf("removed twice: %v", err)
	}
	if got, _ := workforce.Leaves(p.ctx, env.DB, day(2026, 12, 1), day(2027, 1, 9)); len(got) != 1 || got[0].UserID != other {
		t.Fatalf("after removal: %+v", got)
	}
	if p.events(t, "leave.add") != 4 || p.events(t, "leave.remove") != 1 {
		t.Fatal("leave changes are not all audited")
	}
}

// Write in A; B neither sees nor changes it.
func TestOtherTenant(t *testing.T) {
	env := dbtest.New(t)
	a, b := newPractice(t, env), newPractice(t, env)
	admin := a.member(t, "practice_admin")
	hip := a.member(t, "hip")
	if err := workforce.SetFTE(a.ctx, env.DB, admin, hip, "hip", 1, day(2026, 7, 1)); err != nil {
		t.Fatal(err)
	}
	l, err := workforce.AddLeave(a.ctx, env.DB, admin, hip, "annual", day(2026, 8, 3), day(2026, 8, 7))
	if err != nil {
		t.Fatal(err)
	}
	adminB := b.member(t, "practice_admin")
	if s, _ := workforce.Spans(b.ctx, env.DB); len(s) != 0 {
		t.Fatalf("B sees spans: %+v", s)
	}
	if ls, _ := workforce.Leaves(b.ctx, env.DB, day(2026, 1, 1), day(2027, 1, 1)); len(ls) != 0 {
		t.Fatalf("B sees leave: %+v", ls)
	}
	if err := workforce.RemoveLeave(b.ctx, env.DB, adminB, l.ID); !errors.Is(err, fault.NotFound) {
		t.Fatalf("B removed A's leave: %v", err)
	}
	if err := workforce.SetFTE(b.ctx, env.DB, adminB, hip, "hip", 0, day(2026, 9, 1)); field(err) != "user" {
		t.Fatalf("B ended A's FTE: %v", err)
	}
	if _, err := workforce.AddLeave(b.ctx, env.DB, adminB, hip, "sick", day(2026, 9, 1), day(2026, 9, 1)); field(err) != "user" {
		t.Fatalf("B added leave for A's HIP: %v", err)
	}
	if got := spans(t, a, hip); !slices.Equal(got, []string{"hip 1.00 2026-07-01–open"}) {
		t.Fatalf("A's spans changed: %v", got)
	}
	if ls, _ := workforce.Leaves(a.ctx, env.DB, day(2026, 1, 1), day(2027, 1, 1)); len(ls) != 1 {
		t.Fatalf("A's leave changed: %+v", ls)
	}
	if err := workforce.SetFTE(context.Background(), env.DB, admin, hip, "hip", 0.5, day(2026, 10, 1)); !errors.Is(err, db.ErrNoTenant) {
		t.Fatalf("no tenant: %v", err)
	}
}
