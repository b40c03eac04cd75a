package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/schedule"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type practice struct {
	env *dbtest.Env
	ctx context.Context
	t   tenants.Tenant
}

func newPractice(t *testing.T) practice {
	t.Helper()
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	return practice{env: env, ctx: ctx, t: tn}
}

// newUser makes a global user.
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

// join gives the user a membership here with the role.
func (p practice) join(t *testing.T, user uuid.UUID, role string) uuid.UUID {
	t.Helper()
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ?::text[])`,
			tx.Tenant.ID, user, fmt.Sprintf("{%s}", role)).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return user
}

func (p practice) member(t *testing.T, role string) uuid.UUID {
	return p.join(t, newUser(t, p.env), role)
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func everyDay(start, end schedule.Clock, kind schedule.Kind) []schedule.Block {
	var out []schedule.Block
	for wd := 1; wd <= 7; wd++ {
		out = append(out, schedule.Block{Weekday: wd, Starts: start, Ends: end, Kind: kind})
	}
	return out
}

func wantKind(t *testing.T, err error, kind *fault.Error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %s", err, kind.Message)
	}
}

func (p practice) save(t *testing.T, n schedule.NewTemplate) schedule.Template {
	t.Helper()
	tpl, err := schedule.SaveTemplate(p.ctx, p.env.DB, n.PractitionerID, n)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestSaveAndGetTemplate(t *testing.T) {
	p := newPractice(t)
	hip := p.member(t, "hip")
	blocks := []schedule.Block{
		{Weekday: 2, Starts: schedule.At(13, 0), Ends: schedule.At(17, 0), Kind: schedule.KindBooked},
		{Weekday: 2, Starts: schedule.At(8, 30), Ends: schedule.At(12, 0), Kind: schedule.KindOpen},
		{Weekday: 5, Starts: schedule.At(9, 0), Ends: schedule.At(9, 45), Kind: schedule.KindAdmin},
	}
	saved := p.save(t, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 3, 2), Blocks: blocks})
	got, err := schedule.GetTemplate(p.ctx, p.env.DB, saved.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.EffectiveFrom.Equal(day(2026, 3, 2)) || !got.EffectiveTo.IsZero() || len(got.Blocks) != 3 {
		t.Fatalf("got %+v", got)
	}
	if b := got.Blocks[0]; b.Weekday != 2 || b.Starts != schedule.At(8, 30) || b.Ends != schedule.At(12, 0) || b.Kind != schedule.KindOpen {
		t.Errorf("first block %+v", b)
	}
}

func TestSaveTemplateRefusesBadBlocks(t *testing.T) {
	p := newPractice(t)
	hip := p.member(t, "hip")
	for name, blocks := range map[string][]schedule.Block{
		"overlap": {
			{Weekday: 1, Starts: schedule.At(9, 0), Ends: schedule.At(12, 0), Kind: schedule.KindOpen},
			{Weekday: 1, Starts: schedule.At(11, 0), Ends: schedule.At(13, 0), Kind: schedule.KindBooked},
		},
		"off grid":   {{Weekday: 1, Starts: schedule.At(9, 3), Ends: schedule.At(12, 0), Kind: schedule.KindOpen}},
		"before day": {{Weekday: 1, Starts: schedule.At(5, 0), Ends: schedule.At(12, 0), Kind: schedule.KindOpen}},
	} {
		_, err := schedule.SaveTemplate(p.ctx, p.env.DB, hip, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 1, 1), Blocks: blocks})
		if !errors.Is(err, fault.Invalid) {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	tpls, err := schedule.Templates(p.ctx, p.env.DB, hip)
	if err != nil || len(tpls) != 0 {
		t.Errorf("refused templates stored: %v, %v", tpls, err)
	}
	gp := p.member(t, "gp")
	_, err = schedule.SaveTemplate(p.ctx, p.env.DB, gp, schedule.NewTemplate{PractitionerID: gp, EffectiveFrom: day(2026, 1, 1),
		Blocks: everyDay(schedule.At(9, 0), schedule.At(12, 0), schedule.KindOpen)})
	wantKind(t, err, fault.Invalid)
}

// A new template ends the running one the day it starts; one that would
// overlap a later template is a conflict.
func TestNewTemplateEndsTheRunningOne(t *testing.T) {
	p := newPractice(t)
	hip := p.member(t, "hip")
	first := p.save(t, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 1, 1),
		Blocks: everyDay(schedule.At(9, 0), schedule.At(12, 0), schedule.KindOpen)})
	p.save(t, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 6, 1),
		Blocks: everyDay(schedule.At(13, 0), schedule.At(15, 0), schedule.KindBooked)})
	got, err := schedule.GetTemplate(p.ctx, p.env.DB, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.EffectiveTo.Equal(day(2026, 6, 1)) {
		t.Errorf("first template ends %s, want 2026-06-01", got.EffectiveTo)
	}
	loc := p.t.Location()
	slots, err := schedule.Expand(p.ctx, p.env.DB, hip, time.Date(2026, 5, 31, 0, 0, 0, 0, loc), time.Date(2026, 6, 2, 0, 0, 0, 0, loc))
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 2 || slots[0].Kind != schedule.KindOpen || slots[1].Kind != schedule.KindBooked ||
		slots[1].Start.In(loc).Hour() != 13 {
		t.Errorf("slots across the change of template: %v", slots)
	}
	_, err = schedule.SaveTemplate(p.ctx, p.env.DB, hip, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 3, 1),
		EffectiveTo: day(2026, 7, 1), Blocks: everyDay(schedule.At(9, 0), schedule.At(10, 0), schedule.KindAdmin)})
	wantKind(t, err, fault.Conflict)
}

// Templates spanning both 2026 changes give the same local times through the
// database, in Auckland and in Chatham.
func TestExpandAcrossDaylightSaving(t *testing.T) {
	for _, zone := range []string{"Pacific/Auckland", "Pacific/Chatham"} {
		t.Run(zone, func(t *testing.T) {
			p := newPractice(t)
			if zone != p.t.TimeZone {
				err := p.env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
					return tx.Exec(`UPDATE tenants SET time_zone = ? WHERE id = ?`, zone, p.t.ID).Error
				})
				if err != nil {
					t.Fatal(err)
				}
				p.t.TimeZone = zone
				p.ctx = tenants.WithTenant(context.Background(), p.t)
			}
			hip := p.member(t, "hip")
			p.save(t, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 1, 1),
				Blocks: everyDay(schedule.At(9, 0), schedule.At(12, 0), schedule.KindOpen)})
			loc := p.t.Location()
			for _, d := range []time.Time{day(2026, 4, 4), day(2026, 4, 5), day(2026, 4, 6), day(2026, 9, 26), day(2026, 9, 27), day(2026, 9, 28)} {
				from := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
				slots, err := schedule.Expand(p.ctx, p.env.DB, hip, from, from.Add(24*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if len(slots) != 1 {
					t.Fatalf("%s: slots %v", d.Format(time.DateOnly), slots)
				}
				s := slots[0]
				if s.Start.In(loc).Format("2006-01-02 15:04") != d.Format("2006-01-02")+" 09:00" ||
					s.End.In(loc).Format("15:04") != "12:00" || s.End.Sub(s.Start) != 3*time.Hour || s.Start.Location() != time.UTC {
					t.Errorf("%s: slot %s–%s local", d.Format(time.DateOnly), s.Start.In(loc), s.End.In(loc))
				}
			}
			// A whole year: never an empty or negative slot, 365 of them.
			from := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
			slots, err := schedule.Expand(p.ctx, p.env.DB, hip, from, from.AddDate(1, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if len(slots) != 365 {
				t.Errorf("%d slots in 2026, want 365", len(slots))
			}
			for _, s := range slots {
				if s.End.Sub(s.Start) != 3*time.Hour {
					t.Fatalf("slot %v lasts %s", s, s.End.Sub(s.Start))
				}
			}
		})
	}
}

func TestExceptionsRemoveCapacity(t *testing.T) {
	p := newPractice(t)
	hip := p.member(t, "hip")
	p.save(t, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 1, 1), Blocks: []schedule.Block{
		{Weekday: 1, Starts: schedule.At(9, 0), Ends: schedule.At(12, 0), Kind: schedule.KindOpen},
		{Weekday: 1, Starts: schedule.At(13, 0), Ends: schedule.At(16, 0), Kind: schedule.KindBooked},
		{Weekday: 2, Starts: schedule.At(9, 0), Ends: schedule.At(12, 0), Kind: schedule.KindOpen},
	}})
	loc := p.t.Location()
	// Monday 2026-06-08: training 10:00–11:00 splits the open block.
	if _, err := schedule.AddException(p.ctx, p.env.DB, hip, schedule.NewException{PractitionerID: hip,
		StartsAt: time.Date(2026, 6, 8, 10, 0, 0, 0, loc), EndsAt: time.Date(2026, 6, 8, 11, 0, 0, 0, loc),
		Reason: schedule.ReasonTraining}); err != nil {
		t.Fatal(err)
	}
	// Tuesday: sick all day drops the block.
	if _, err := schedule.AddException(p.ctx, p.env.DB, hip, schedule.NewException{PractitionerID: hip,
		StartsAt: time.Date(2026, 6, 9, 0, 0, 0, 0, loc), EndsAt: time.Date(2026, 6, 10, 0, 0, 0, 0, loc),
		Reason: schedule.ReasonSick}); err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 6, 8, 0, 0, 0, 0, loc), time.Date(2026, 6, 10, 0, 0, 0, 0, loc)
	slots, err := schedule.Expand(p.ctx, p.env.DB, hip, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range slots {
		got = append(got, s.Start.In(loc).Format("Mon 15:04")+"–"+s.End.In(loc).Format("15:04")+" "+string(s.Kind))
	}
	want := fmt.Sprint([]string{"Mon 09:00–10:00 open", "Mon 11:00–12:00 open", "Mon 13:00–16:00 booked"})
	if fmt.Sprint(got) != want {
		t.Errorf("slots = %v, want %s", got, want)
	}
	days, err := schedule.OpenCapacity(p.ctx, p.env.DB, hip, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0].OpenMinutes != 120 || days[1].OpenMinutes != 0 {
		t.Errorf("open capacity = %v, want 120 then 0", days)
	}
	_, err = schedule.AddException(p.ctx, p.env.DB, hip, schedule.NewException{PractitionerID: hip,
		StartsAt: to, EndsAt: from, Reason: schedule.ReasonLeave})
	wantKind(t, err, fault.Invalid)
	_, err = schedule.AddException(p.ctx, p.env.DB, hip, schedule.NewException{PractitionerID: hip,
		StartsAt: from, EndsAt: to, Reason: "holiday"})
	wantKind(t, err, fault.Invalid)
}

// One HIP, two practices, a different week at each: each tenant sees only
// its own.
func TestHIPAtTwoPractices(t *testing.T) {
	a, b := newPractice(t), newPractice(t)
	hip := newUser(t, a.env)
	a.join(t, hip, "hip")
	b.join(t, hip, "hip")
	a.save(t, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 1, 1), Blocks: []schedule.Block{
		{Weekday: 1, Starts: schedule.At(9, 0), Ends: schedule.At(17, 0), Kind: schedule.KindOpen}}})
	b.save(t, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 1, 1), Blocks: []schedule.Block{
		{Weekday: 3, Starts: schedule.At(9, 0), Ends: schedule.At(12, 0), Kind: schedule.KindBooked}}})
	loc := a.t.Location()
	from := time.Date(2026, 6, 8, 0, 0, 0, 0, loc) // a Monday
	for _, c := range []struct {
		p       practice
		weekday time.Weekday
		kind    schedule.Kind
	}{{a, time.Monday, schedule.KindOpen}, {b, time.Wednesday, schedule.KindBooked}} {
		slots, err := schedule.Expand(c.p.ctx, c.p.env.DB, hip, from, from.AddDate(0, 0, 7))
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) != 1 || slots[0].Start.In(loc).Weekday() != c.weekday || slots[0].Kind != c.kind {
			t.Errorf("slots = %v, want one %s %s", slots, c.weekday, c.kind)
		}
	}
}

// Cross-tenant: B cannot read, expand, extend or except A's schedules.
func TestCrossTenant(t *testing.T) {
	a, b := newPractice(t), newPractice(t)
	hip := a.member(t, "hip")
	tpl := a.save(t, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 1, 1),
		Blocks: everyDay(schedule.At(9, 0), schedule.At(12, 0), schedule.KindOpen)})
	from := time.Date(2026, 6, 8, 0, 0, 0, 0, a.t.Location())

	_, err := schedule.GetTemplate(b.ctx, b.env.DB, tpl.ID)
	wantKind(t, err, fault.NotFound)
	list, err := schedule.Templates(b.ctx, b.env.DB, hip)
	if err != nil || len(list) != 0 {
		t.Errorf("B lists A's templates: %v, %v", list, err)
	}
	_, err = schedule.Expand(b.ctx, b.env.DB, hip, from, from.AddDate(0, 0, 7))
	wantKind(t, err, fault.NotFound)
	_, err = schedule.OpenCapacity(b.ctx, b.env.DB, hip, from, from.AddDate(0, 0, 7))
	wantKind(t, err, fault.NotFound)
	_, err = schedule.SaveTemplate(b.ctx, b.env.DB, hip, schedule.NewTemplate{PractitionerID: hip, EffectiveFrom: day(2026, 7, 1),
		Blocks: everyDay(schedule.At(9, 0), schedule.At(10, 0), schedule.KindAdmin)})
	wantKind(t, err, fault.NotFound)
	_, err = schedule.AddException(b.ctx, b.env.DB, hip, schedule.NewException{PractitionerID: hip,
		StartsAt: from, EndsAt: from.Add(24 * time.Hour), Reason: schedule.ReasonLeave})
	wantKind(t, err, fault.NotFound)

	// A's schedule is untouched.
	slots, err := schedule.Expand(a.ctx, a.env.DB, hip, from, from.AddDate(0, 0, 7))
	if err != nil || len(slots) != 7 {
		t.Errorf("A's week after B's attempts: %d slots, %v", len(slots), err)
	}
	got, err := schedule.GetTemplate(a.ctx, a.env.DB, tpl.ID)
	if err != nil || !got.EffectiveTo.IsZero() {
		t.Errorf("A's template changed: %+v, %v", got, err)
	}
}
