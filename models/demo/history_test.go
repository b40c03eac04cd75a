package demo_test

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/demo"
	"github.com/tuhono/tuhono/models/patient"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var auckland, _ = time.LoadLocation("Pacific/Auckland")

func staff() demo.Staff {
	id := func(n byte) uuid.UUID { return uuid.UUID{15: n} }
	return demo.Staff{
		Practitioners: []demo.Practitioner{
			{ID: id(1), ServiceLine: "hip"},
			{ID: id(2), ServiceLine: "health_coach", Weekdays: []time.Weekday{time.Monday, time.Wednesday, time.Thursday}},
			{ID: id(3), ServiceLine: "support_worker"},
		},
		Introducers: []uuid.UUID{id(10), id(11)},
		Creator:     id(20),
	}
}

var now = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

func TestGeneratedHistoryHasTheMixOfTheModel(t *testing.T) {
	plan := demo.Generate(auckland, staff(), demo.HistoryOptions{Seed: 42, Now: now})
	n := len(plan.Appointments)
	if n < 3000 || n > 8000 {
		t.Fatalf("%d appointments in a year for 2.6 FTE; want thousands", n)
	}
	count := func(f func(demo.GenAppointment) bool) (k, of int) {
		for _, a := range plan.Appointments {
			if a.StartsAt.Before(now) {
				of++
				if f(a) {
					k++
				}
			}
		}
		return
	}
	share := func(k, of int) float64 { return float64(k) / float64(of) }

	// HIPs and Health Coaches see about half on the day; Support Workers
	// take referrals, booked.
	sameDay, _ := count(func(a demo.GenAppointment) bool { return a.Kind == "same_day" })
	brief, _ := count(func(a demo.GenAppointment) bool { return a.ServiceLine != "support_worker" })
	if s := share(sameDay, brief); s < 0.4 || s > 0.6 {
		t.Errorf("same-day share of HIP and Health Coach sessions %.2f; want about half", s)
	}
	dna, past := count(func(a demo.GenAppointment) bool { return a.Status == "did_not_attend" })
	if s := share(dna, past); s < 0.08 || s > 0.12 {
		t.Errorf("did-not-attend %.3f; want 8–12%%", s)
	}
	cancelled, _ := count(func(a demo.GenAppointment) bool { return a.Status == "cancelled" })
	if s := share(cancelled, past); s < 0.01 || s > 0.08 {
		t.Errorf("cancelled %.3f; want some", s)
	}
	for _, a := range plan.Appointments {
		switch {
		case a.StartsAt.Before(now) && a.Status == "booked":
			t.Fatalf("a past appointment is still booked: %+v", a)
		case !a.StartsAt.Before(now) && a.Status != "booked" && a.Status != "cancelled":
			t.Fatalf("a future appointment is %s", a.Status)
		case a.Kind == "same_day" && (a.IntroducedBy == uuid.Nil || !a.IntroducedAt.Before(a.StartsAt) ||
			a.StartsAt.Sub(a.IntroducedAt) > 2*time.Hour):
			t.Fatalf("a same-day appointment without a recent introduction: %+v", a)
		case a.Kind == "booked" && a.IntroducedBy != uuid.Nil:
			t.Fatalf("a booked appointment with an introducer: %+v", a)
		}
	}

	// Mostly one or two sessions a person.
	per := map[uuid.UUID]int{}
	for _, a := range plan.Appointments {
		per[a.PatientID]++
	}
	few := 0
	for _, k := range per {
		if k <= 2 {
			few++
		}
	}
	if s := float64(few) / float64(len(per)); s < 0.7 {
		t.Errorf("%.2f of people had 1–2 sessions; want most", s)
	}
	if len(per) != len(plan.Patients) {
		t.Errorf("%d people seen, %d generated", len(per), len(plan.Patients))
	}

	// Valid, distinct NHIs; Māori about 27%.
	nhis := map[string]bool{}
	maori := 0
	for _, p := range plan.Patients {
		if !patient.ValidNHI(p.NHI) || nhis[p.NHI] {
			t.Fatalf("NHI %q invalid or repeated", p.NHI)
		}
		nhis[p.NHI] = true
		if p.EthnicGroup == "maori" {
			maori++
		}
		if p.SMSConsent && p.Phone == "" || p.EmailConsnt && p.Email == "" {
			t.Fatalf("consent without a contact: %+v", p)
		}
	}
	if s := float64(maori) / float64(len(plan.Patients)); s < 0.22 || s > 0.33 {
		t.Errorf("Māori share %.2f; want about 0.27", s)
	}
}

func TestGeneratedAppointmentsNeverOverlap(t *testing.T) {
	plan := demo.Generate(auckland, staff(), demo.HistoryOptions{Seed: 7, Now: now})
	by := map[uuid.UUID][]demo.GenAppointment{}
	for _, a := range plan.Appointments {
		by[a.PractitionerID] = append(by[a.PractitionerID], a)
	}
	for p, as := range by {
		sort.Slice(as, func(i, j int) bool { return as[i].StartsAt.Before(as[j].StartsAt) })
		for i := 1; i < len(as); i++ {
			if as[i].StartsAt.Before(as[i-1].EndsAt) {
				t.Fatalf("practitioner %s: %v overlaps %v", p, as[i].StartsAt, as[i-1].StartsAt)
			}
		}
		for _, a := range as {
			local := a.StartsAt.In(auckland)
			if h := local.Hour(); h < 9 || h >= 17 {
				t.Fatalf("appointment at %v local: outside the working day (DST?)", local)
			}
			if a.PractitionerID == staff().Practitioners[1].ID && local.Weekday() == time.Friday {
				t.Fatal("the Health Coach was booked on a day they do not work here")
			}
		}
	}
}

func TestGenerateIsDeterministicForASeed(t *testing.T) {
	a := demo.Generate(auckland, staff(), demo.HistoryOptions{Seed: 99, Now: now})
	b := demo.Generate(auckland, staff(), demo.HistoryOptions{Seed: 99, Now: now})
	c := demo.Generate(auckland, staff(), demo.HistoryOptions{Seed: 100, Now: now})
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed made different histories")
	}
	if reflect.DeepEqual(a.Appointments, c.Appointments) {
		t.Error("different seeds made the same history")
	}
}

// History writes through the tenant wall, the database's constraints (the
// exclusion constraint included) accept it, and a second run writes nothing.
func TestHistoryWritesOnceAndTheDatabaseAcceptsIt(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	roles := []string{"hip", "health_coach", "support_worker", "gp", "nurse", "practice_admin"}
	for _, role := range roles {
		id := uuid.Must(uuid.NewV7())
		err := env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
			return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`, id, "u-"+id.String()[24:]+"@example.nz").Error
		})
		if err == nil {
			err = env.DB.InTenant(ctx, func(tx *db.Tx) error {
				return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?]::text[])`, tx.Tenant.ID, id, role).Error
			})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	opt := demo.HistoryOptions{Seed: 1, Now: now, From: now.AddDate(0, -3, 0)}
	got, err := demo.History(ctx, env.DB, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Appointments < 500 || got.Patients == 0 || got.Templates != 3 || got.Skipped {
		t.Fatalf("History = %+v", got)
	}
	var stored, live int64
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.Raw(`SELECT count(*) FROM appointments`).Scan(&stored).Error; err != nil {
			return err
		}
		return tx.Raw(`SELECT count(*) FROM appointments WHERE status = 'booked'`).Scan(&live).Error
	}); err != nil {
		t.Fatal(err)
	}
	if stored != int64(got.Appointments) || live == 0 {
		t.Errorf("stored %d (%d booked), reported %d", stored, live, got.Appointments)
	}
	again, err := demo.History(ctx, env.DB, opt, nil)
	if err != nil || !again.Skipped || again.Appointments != 0 || again.Templates != 0 {
		t.Errorf("second run = %+v, %v; want skipped", again, err)
	}
}
