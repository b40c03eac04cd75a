package referral_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/referral"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// practice is one fresh tenant (Pacific/Auckland) with a HIP, a Health Coach,
// a GP, two Support Workers and a patient.
type practice struct {
	env                      *dbtest.Env
	ctx                      context.Context
	hip, coach, gp, sw1, sw2 uuid.UUID
	patient                  uuid.UUID
}

func newPractice(t *testing.T) practice {
	t.Helper()
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	p := practice{env: env, ctx: ctx}
	p.hip, p.coach, p.gp = p.member(t, "hip"), p.member(t, "health_coach"), p.member(t, "gp")
	p.sw1, p.sw2 = p.member(t, "support_worker"), p.member(t, "support_worker")
	p.patient = p.newPatient(t)
	return p
}

func (p practice) member(t *testing.T, role string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`,
			id, "u-"+id.String()[24:]+"@example.co.nz").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	err = p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY[?]::text[])`,
			tx.Tenant.ID, id, role).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (p practice) newPatient(t *testing.T) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO patients (tenant_id, id, family_name, given_names, preferred_name, name_search, date_of_birth)
			VALUES (?, ?, 'Ngata', 'Aroha', 'Ro', 'ngata aroha', DATE '1990-05-01')`, tx.Tenant.ID, id).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (p practice) setTarget(t *testing.T, days int) {
	t.Helper()
	err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO tenant_settings (tenant_id, support_contact_target_days) VALUES (?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET support_contact_target_days = excluded.support_contact_target_days`,
			tx.Tenant.ID, days).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (p practice) refer(t *testing.T, now time.Time) referral.Referral {
	t.Helper()
	r, err := referral.Create(p.ctx, p.env.DB, p.hip, referral.NewReferral{PatientID: p.patient,
		Needs: []referral.Need{referral.NeedHousing, referral.NeedWhanau}, Note: "Whānau need a warm house", Consent: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantKind(t *testing.T, err error, kind *fault.Error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want %s", err, kind.Message)
	}
}

// 15:00 on Monday 1 March 2027 in Auckland (NZDT, UTC+13) is 02:00 UTC that day;
// 23:30 on Monday in Auckland is still Monday there but 10:30 UTC Monday.
var monday3pm = time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestDueByCountsCalendarDaysInTheTenantZone(t *testing.T) {
	akl, _ := time.LoadLocation("Pacific/Auckland")
	cases := []struct {
		at   time.Time
		days int
		want time.Time
	}{
		{monday3pm, 2, date(2027, 3, 3)},
		// 11:30 on Sunday UTC is 00:30 Monday in Auckland: Monday counts.
		{time.Date(2027, 2, 28, 11, 30, 0, 0, time.UTC), 2, date(2027, 3, 3)},
		// Friday afternoon + 2 calendar days is Sunday.
		{time.Date(2027, 3, 5, 2, 0, 0, 0, time.UTC), 2, date(2027, 3, 7)},
		{monday3pm, 1, date(2027, 3, 2)},
	}
	for _, c := range cases {
		if got := referral.DueBy(c.at, akl, c.days); !got.Equal(c.want) {
			t.Errorf("DueBy(%s, %d) = %s, want %s", c.at, c.days, got.Format(time.DateOnly), c.want.Format(time.DateOnly))
		}
	}
}

func TestCreateUsesTheTargetAndRecordsConsent(t *testing.T) {
	p := newPractice(t)
	r := p.refer(t, monday3pm)
	if !r.DueBy.Equal(date(2027, 3, 3)) || r.Status != referral.StatusReferred || r.ConsentRecordedBy != p.hip ||
		!r.ConsentAt.Equal(monday3pm) || r.PatientName != "Ro Ngata" || len(r.Needs) != 2 || r.Note != "Whānau need a warm house" {
		t.Fatalf("created %+v", r)
	}
	p.setTarget(t, 1)
	if r := p.refer(t, monday3pm); !r.DueBy.Equal(date(2027, 3, 2)) {
		t.Errorf("target 1: due %s", r.DueBy)
	}
	var audited int64
	p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM audit_events WHERE object = 'referral' AND action = 'record.create' AND patient_id = ?`,
			p.patient).Scan(&audited).Error
	})
	if audited != 2 {
		t.Errorf("%d create events, want 2", audited)
	}
}

func TestCreateRefusals(t *testing.T) {
	p := newPractice(t)
	good := referral.NewReferral{PatientID: p.patient, Needs: []referral.Need{referral.NeedStress}, Consent: true}
	cases := []struct {
		name  string
		actor uuid.UUID
		edit  func(*referral.NewReferral)
		kind  *fault.Error
		field string
	}{
		{"no consent", p.hip, func(n *referral.NewReferral) { n.Consent = false }, fault.Invalid, "consent"},
		{"no needs", p.hip, func(n *referral.NewReferral) { n.Needs = nil }, fault.Invalid, "needs"},
		{"unknown need", p.hip, func(n *referral.NewReferral) { n.Needs = []referral.Need{"money"} }, fault.Invalid, "needs"},
		{"note with NUL", p.coach, func(n *referral.NewReferral) { n.Note = "a\x00b" }, fault.Invalid, "note"},
		{"consent in the future", p.hip, func(n *referral.NewReferral) { n.ConsentAt = monday3pm.Add(time.Hour) }, fault.Invalid, "consent_at"},
		{"a GP refers", p.gp, func(n *referral.NewReferral) {}, fault.Forbidden, ""},
		{"a Support Worker refers", p.sw1, func(n *referral.NewReferral) {}, fault.Forbidden, ""},
		{"unknown patient", p.hip, func(n *referral.NewReferral) { n.PatientID = uuid.Must(uuid.NewV7()) }, fault.NotFound, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := good
			c.edit(&n)
			_, err := referral.Create(p.ctx, p.env.DB, c.actor, n, monday3pm)
			wantKind(t, err, c.kind)
			if c.field != "" {
				if f := fault.As(err).Fields; len(f) == 0 || f[0].Field != c.field {
					t.Errorf("fields %v, want %s", f, c.field)
				}
			}
		})
	}
	if q, _ := referral.Queue(p.ctx, p.env.DB, monday3pm); len(q) != 0 {
		t.Errorf("refusals left %d referrals", len(q))
	}
	// The Health Coach may refer.
	n := good
	if _, err := referral.Create(p.ctx, p.env.DB, p.coach, n, monday3pm); err != nil {
		t.Fatal(err)
	}
}

func TestLifecycle(t *testing.T) {
	p := newPractice(t)
	r := p.refer(t, monday3pm)
	d, ctx := p.env.DB, p.ctx
	later := monday3pm.Add(2 * time.Hour)

	_, err := referral.RecordContact(ctx, d, p.sw1, r.ID, referral.Contact{At: later, Mode: referral.ContactPhone,
		Outcome: referral.ContactReached}, later)
	wantKind(t, err, fault.Conflict) // not accepted yet
	_, err = referral.Accept(ctx, d, p.hip, r.ID, later)
	wantKind(t, err, fault.Forbidden)
	r, err = referral.Accept(ctx, d, p.sw1, r.ID, later)
	if err != nil || r.Status != referral.StatusAccepted || r.WorkerID != p.sw1 || !r.AcceptedAt.Equal(later) {
		t.Fatalf("accepted %+v, %v", r, err)
	}
	_, err = referral.Accept(ctx, d, p.sw2, r.ID, later)
	wantKind(t, err, fault.Conflict)

	// Another Support Worker cannot record contact on it.
	_, err = referral.RecordContact(ctx, d, p.sw2, r.ID, referral.Contact{At: later, Mode: referral.ContactPhone,
		Outcome: referral.ContactReached}, later)
	wantKind(t, err, fault.Forbidden)
	// Bad input.
	_, err = referral.RecordContact(ctx, d, p.sw1, r.ID, referral.Contact{At: later.Add(time.Hour), Mode: "pigeon",
		Outcome: "maybe"}, later)
	wantKind(t, err, fault.Invalid)
	if f := fault.As(err).Fields; len(f) != 3 {
		t.Errorf("fields %v, want at, mode and outcome", f)
	}

	// An attempt that did not reach the person changes nothing but the record.
	r, err = referral.RecordContact(ctx, d, p.sw1, r.ID, referral.Contact{At: later, Mode: referral.ContactPhone,
		Outcome: referral.ContactNoAnswer}, later)
	if err != nil || r.Status != referral.StatusAccepted || !r.FirstContactAt.IsZero() {
		t.Fatalf("after an attempt %+v, %v", r, err)
	}
	next := monday3pm.Add(24 * time.Hour)
	r, err = referral.RecordContact(ctx, d, p.sw1, r.ID, referral.Contact{At: next, Mode: referral.ContactPhone,
		Outcome: referral.ContactReached, Note: "Talked about options"}, next)
	if err != nil || r.Status != referral.StatusContacted || !r.FirstContactAt.Equal(next) || r.Sessions != 0 {
		t.Fatalf("after first contact %+v, %v", r, err)
	}
	week := monday3pm.AddDate(0, 0, 7)
	r, err = referral.RecordContact(ctx, d, p.sw1, r.ID, referral.Contact{At: week, Mode: referral.ContactCommunity,
		Outcome: referral.ContactReached}, week)
	if err != nil || r.Status != referral.StatusActive || r.Sessions != 1 {
		t.Fatalf("after a session %+v, %v", r, err)
	}
	cs, err := referral.Contacts(ctx, d, r.ID)
	if err != nil || len(cs) != 3 || cs[0].Outcome != referral.ContactNoAnswer {
		t.Fatalf("contacts %+v, %v", cs, err)
	}

	_, err = referral.Close(ctx, d, p.sw1, r.ID, "fixed", "", week)
	wantKind(t, err, fault.Invalid)
	_, err = referral.Close(ctx, d, p.sw2, r.ID, referral.OutcomeNeedsMet, "", week)
	wantKind(t, err, fault.Forbidden)
	r, err = referral.Close(ctx, d, p.sw1, r.ID, referral.OutcomeNeedsMet, "Housed", week)
	if err != nil || r.Status != referral.StatusClosed || r.Outcome != referral.OutcomeNeedsMet || r.ClosedBy != p.sw1 {
		t.Fatalf("closed %+v, %v", r, err)
	}
	_, err = referral.Close(ctx, d, p.sw1, r.ID, referral.OutcomeNeedsMet, "", week)
	wantKind(t, err, fault.Conflict)
	_, err = referral.RecordContact(ctx, d, p.sw1, r.ID, referral.Contact{At: week, Mode: referral.ContactPhone,
		Outcome: referral.ContactReached}, week)
	wantKind(t, err, fault.Conflict)

	var events int64
	d.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM audit_events WHERE object = 'referral' AND object_id = ? AND action = 'record.update'`,
			r.ID.String()).Scan(&events).Error
	})
	if events != 5 { // accept, attempt, first contact, session, close
		t.Errorf("%d update events, want 5", events)
	}
}

func TestReferrerMayCloseBeforeAcceptance(t *testing.T) {
	p := newPractice(t)
	r := p.refer(t, monday3pm)
	_, err := referral.Close(p.ctx, p.env.DB, p.coach, r.ID, referral.OutcomeDeclined, "", monday3pm)
	wantKind(t, err, fault.Forbidden)
	r, err = referral.Close(p.ctx, p.env.DB, p.hip, r.ID, referral.OutcomeDeclined, "Changed their mind", monday3pm)
	if err != nil || r.Status != referral.StatusClosed {
		t.Fatalf("%+v, %v", r, err)
	}
}

// The queue over a fixed clock: the referral of Monday 15:00 with a 2-day
// target is due on Wednesday and overdue from Thursday 00:00 in Auckland.
func TestQueueFlagsOverAFixedClock(t *testing.T) {
	p := newPractice(t)
	first := p.refer(t, monday3pm)
	tuesday := monday3pm.Add(24 * time.Hour)
	second := p.refer(t, tuesday) // due Thursday
	akl, _ := time.LoadLocation("Pacific/Auckland")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, akl) }

	flags := func(now time.Time) map[uuid.UUID]referral.Item {
		t.Helper()
		q, err := referral.Queue(p.ctx, p.env.DB, now)
		if err != nil {
			t.Fatal(err)
		}
		out := map[uuid.UUID]referral.Item{}
		for _, it := range q {
			out[it.ID] = it
		}
		return out
	}
	f := flags(at(2027, 3, 2, 9, 0)) // Tuesday
	if it := f[first.ID]; it.DueToday || it.Overdue {
		t.Errorf("Tuesday: %+v", it)
	}
	f = flags(at(2027, 3, 3, 23, 59)) // Wednesday, last minute
	if it := f[first.ID]; !it.DueToday || it.Overdue {
		t.Errorf("Wednesday 23:59: %+v", it)
	}
	q, _ := referral.Queue(p.ctx, p.env.DB, at(2027, 3, 4, 0, 0)) // Thursday
	if len(q) != 2 || q[0].ID != first.ID || !q[0].Overdue || q[1].ID != second.ID || !q[1].DueToday {
		t.Fatalf("Thursday queue %+v", q)
	}
	// The second referral becomes overdue on Friday and sorts first? No:
	// overdue sorts by due day, so Monday's stays first.
	q, _ = referral.Queue(p.ctx, p.env.DB, at(2027, 3, 5, 8, 0))
	if len(q) != 2 || q[0].ID != first.ID || !q[0].Overdue || !q[1].Overdue {
		t.Fatalf("Friday queue %+v", q)
	}

	// Contact on Wednesday evening: contacted within target, never overdue.
	if _, err := referral.Accept(p.ctx, p.env.DB, p.sw1, second.ID, tuesday); err != nil {
		t.Fatal(err)
	}
	wed := at(2027, 3, 3, 19, 0)
	if _, err := referral.RecordContact(p.ctx, p.env.DB, p.sw1, second.ID, referral.Contact{At: wed,
		Mode: referral.ContactPhone, Outcome: referral.ContactReached}, wed); err != nil {
		t.Fatal(err)
	}
	q, _ = referral.Queue(p.ctx, p.env.DB, at(2027, 3, 10, 8, 0))
	if q[0].ID != first.ID || q[1].ID != second.ID || !q[1].Contacted || !q[1].WithinTarget || q[1].Overdue {
		t.Fatalf("after contact %+v", q)
	}
	// Three months on, both episodes prompt review; not a day before.
	f = flags(at(2027, 5, 31, 23, 0))
	if f[first.ID].ReviewDue {
		t.Error("review due before three months")
	}
	f = flags(at(2027, 6, 1, 15, 0))
	if !f[first.ID].ReviewDue || f[second.ID].ReviewDue {
		t.Errorf("1 June: first %v, second %v", f[first.ID].ReviewDue, f[second.ID].ReviewDue)
	}
	var reads int64
	p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM audit_events WHERE action = 'record.read' AND object = 'referral' AND object_id IS NULL`).
			Scan(&reads).Error
	})
	if reads < 5 {
		t.Errorf("%d audited queue reads, want one per read", reads)
	}
	// A late first contact is outside target.
	it := referral.Flag(first, at(2027, 3, 10, 8, 0), akl)
	it.FirstContactAt = at(2027, 3, 4, 9, 0)
	if got := referral.Flag(it.Referral, at(2027, 3, 10, 8, 0), akl); got.WithinTarget || !got.Contacted {
		t.Errorf("late contact %+v", got)
	}
}

func TestAnotherPracticeCannotSeeOrAct(t *testing.T) {
	a := newPractice(t)
	b := newPractice(t)
	r := a.refer(t, monday3pm)
	if _, err := referral.Get(b.ctx, b.env.DB, r.ID); !errors.Is(err, fault.NotFound) {
		t.Errorf("get from B: %v", err)
	}
	if _, err := referral.Accept(b.ctx, b.env.DB, b.sw1, r.ID, monday3pm); !errors.Is(err, fault.NotFound) {
		t.Errorf("accept from B: %v", err)
	}
	if _, err := referral.Close(b.ctx, b.env.DB, b.sw1, r.ID, referral.OutcomeOther, "", monday3pm); !errors.Is(err, fault.NotFound) {
		t.Errorf("close from B: %v", err)
	}
	if _, err := referral.Contacts(b.ctx, b.env.DB, r.ID); !errors.Is(err, fault.NotFound) {
		t.Errorf("contacts from B: %v", err)
	}
	if q, _ := referral.Queue(b.ctx, b.env.DB, monday3pm); len(q) != 0 {
		t.Errorf("B's queue shows %d referrals", len(q))
	}
	// B's HIP referring A's patient: not found.
	_, err := referral.Create(b.ctx, b.env.DB, b.hip, referral.NewReferral{PatientID: a.patient,
		Needs: []referral.Need{referral.NeedFood}, Consent: true}, monday3pm)
	wantKind(t, err, fault.NotFound)
	// A's Support Worker acting in B: not a member there.
	_, err = referral.Accept(a.ctx, a.env.DB, b.sw1, r.ID, monday3pm)
	wantKind(t, err, fault.Forbidden)
	if got, err := referral.Get(a.ctx, a.env.DB, r.ID); err != nil || got.Status != referral.StatusReferred {
		t.Errorf("A's referral after B's attempts: %+v, %v", got, err)
	}
}
