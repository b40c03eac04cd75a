package booking_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/correction"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/keys"
	"github.com/tuhono/tuhono/models/note"
	"github.com/tuhono/tuhono/tenants"
)

// standing sets the practice's billing standing as models/billing keeps it
// (platform scope): grace is the end of a past_due grace period, or nil.
func (p practice) standing(t *testing.T, status string, grace *time.Time) {
	t.Helper()
	tn, _ := tenants.FromContext(p.ctx)
	err := p.env.DB.Platform(context.Background(), "test: billing standing", func(tx *db.Tx) error {
		return tx.Exec(`UPDATE tenants SET billing_status = ?, billing_grace_until = ? WHERE id = ?`, status, grace, tn.ID).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

func wantSuspended(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, billing.ErrSuspended) || !errors.Is(err, fault.Conflict) {
		t.Fatalf("%s: got %v, want the suspension", what, err)
	}
	if got := fault.As(err).Message; got != billing.ErrSuspended.Message {
		t.Fatalf("%s: message %q", what, got)
	}
}

func testKeyring(t *testing.T) *keys.Keyring {
	t.Helper()
	l, err := keys.NewLocal(bytes.Repeat([]byte{3}, keys.KeyLen))
	if err != nil {
		t.Fatal(err)
	}
	return keys.NewKeyring(l)
}

// While suspended, every kind of new appointment is refused with the
// suspension's message and leaves nothing behind; what exists stays
// readable, exportable and can still be moved along, completed and
// cancelled; reactivation books again.
func TestSuspensionStopsNewBookingsOnly(t *testing.T) {
	p := newPractice(t)
	ring := testKeyring(t)
	tn, _ := tenants.FromContext(p.ctx)
	hip := note.Viewer{UserID: p.hip, TenantID: tn.ID, Roles: []string{"hip"}}

	// Before: a session with a signed note, another booking, a hold and a
	// group with room.
	seen := p.book(t, p.booking(day, 30))
	later := p.book(t, p.booking(day.Add(2*time.Hour), 30))
	held, _, err := booking.Hold(p.ctx, p.env.DB, p.gp, p.booking(day.Add(4*time.Hour), 30), booking.MaxHoldTTL)
	if err != nil {
		t.Fatal(err)
	}
	group, _, err := booking.Book(p.ctx, p.env.DB, p.gp, booking.NewAppointment{PractitionerID: p.coach, Kind: booking.KindGroup,
		Mode: booking.ModeCommunity, ServiceLine: booking.LineHealthCoach, StartsAt: day.Add(6 * time.Hour), Minutes: 60, Capacity: 8})
	if err != nil {
		t.Fatal(err)
	}
	const said = "Getting back to waka ama with her cousins"
	m, err := note.SaveDraft(p.ctx, p.env.DB, ring, hip, note.Draft{PatientID: p.patient, AppointmentID: seen.ID,
		Body: note.Body{Fields: map[string]string{"what_matters": said, "presenting_concern": "Low mood since winter",
			"plan": "Walk twice a week", "risk_screen": "screened: no current risk", "follow_up": "follow-up booked"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Sign(p.ctx, p.env.DB, ring, hip, m.ID, m.Version); err != nil {
		t.Fatal(err)
	}
	before := p.count(t, "true")

	p.standing(t, billing.StatusSuspended, nil)

	// Every way to a new appointment is refused, with the message.
	_, _, err = booking.Book(p.ctx, p.env.DB, p.gp, p.booking(day.Add(8*time.Hour), 30))
	wantSuspended(t, "book", err)
	same := p.booking(day.Add(9*time.Hour), 20)
	same.Kind, same.IntroducedBy = booking.KindSameDay, p.gp
	_, _, err = booking.Book(p.ctx, p.env.DB, p.gp, same)
	wantSuspended(t, "same-day", err)
	_, _, err = booking.Hold(p.ctx, p.env.DB, p.gp, p.booking(day.Add(10*time.Hour), 30), 0)
	wantSuspended(t, "hold", err)
	err = p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error {
		_, _, err := booking.BookIn(tx, p.gp, p.booking(day.Add(11*time.Hour), 30))
		return err
	})
	wantSuspended(t, "book in a caller's transaction", err)
	_, _, err = booking.Book(p.ctx, p.env.DB, p.gp, booking.NewAppointment{PractitionerID: p.coach, Kind: booking.KindGroup,
		Mode: booking.ModeInPerson, ServiceLine: booking.LineHealthCoach, StartsAt: day.Add(12 * time.Hour), Minutes: 60, Capacity: 4})
	wantSuspended(t, "new group", err)
	_, err = booking.AddAttendee(p.ctx, p.env.DB, p.gp, group.ID, p.patient)
	wantSuspended(t, "join a group", err)
	_, err = booking.Confirm(p.ctx, p.env.DB, p.gp, held.ID)
	wantSuspended(t, "confirm a hold", err)
	_, _, err = booking.Reschedule(p.ctx, p.env.DB, p.gp, later.ID, day.Add(13*time.Hour), 30)
	wantSuspended(t, "reschedule", err)

	// Nothing was written by any of them.
	if n := p.count(t, "true"); n != before {
		t.Fatalf("%d appointments, want %d: a refused booking left a row", n, before)
	}
	if got, err := booking.Attendees(p.ctx, p.env.DB, group.ID); err != nil || len(got) != 0 {
		t.Fatalf("group attendees %v, %v", got, err)
	}
	if a, err := booking.Get(p.ctx, p.env.DB, held.ID); err != nil || a.Status != booking.StatusHeld {
		t.Fatalf("hold after a refused confirmation: %+v, %v", a, err)
	}
	if a, err := booking.Get(p.ctx, p.env.DB, later.ID); err != nil || a.Status != booking.StatusBooked {
		t.Fatalf("booking after a refused reschedule: %+v, %v", a, err)
	}

	// What is booked goes on: the session runs to completion, another is
	// cancelled.
	for _, to := range []booking.Status{booking.StatusArrived, booking.StatusInSession, booking.StatusCompleted} {
		if _, err := booking.SetStatus(p.ctx, p.env.DB, p.hip, seen.ID, to); err != nil {
			t.Fatalf("%s while suspended: %v", to, err)
		}
	}
	if _, err := booking.Cancel(p.ctx, p.env.DB, p.gp, later.ID, "the person is away"); err != nil {
		t.Fatalf("cancel while suspended: %v", err)
	}

	// Every record stays readable: the appointments, the note in full, and
	// the person's whole record export in both formats.
	list, err := booking.Between(p.ctx, p.env.DB, p.hip, day.Add(-time.Hour), day.Add(24*time.Hour))
	if err != nil || len(list) != 3 {
		t.Fatalf("appointments while suspended: %d, %v", len(list), err)
	}
	entries, err := note.Timeline(p.ctx, p.env.DB, ring, hip, p.patient)
	if err != nil || len(entries) != 1 {
		t.Fatalf("note timeline: %+v, %v", entries, err)
	}
	n, err := note.Open(p.ctx, p.env.DB, ring, hip, m.ID, time.Now())
	if err != nil || n.Access != note.AccessBody || n.Body.Fields["what_matters"] != said {
		t.Fatalf("note while suspended: %+v, %v", n, err)
	}
	names := func(context.Context, []uuid.UUID) (map[uuid.UUID]string, error) {
		return map[uuid.UUID]string{p.hip: "Mere Tūhoe", p.coach: "Sam Lee"}, nil
	}
	r, err := correction.Gather(p.ctx, p.env.DB, ring, hip, p.patient, names)
	if err != nil {
		t.Fatal(err)
	}
	sessions := map[string]string{}
	for _, s := range r.Sessions {
		sessions[s.ID] = s.Status
	}
	if sessions[seen.ID.String()] != string(booking.StatusCompleted) || sessions[later.ID.String()] != string(booking.StatusCancelled) ||
		sessions[held.ID.String()] != string(booking.StatusHeld) {
		t.Errorf("sessions in the record: %v", sessions)
	}
	if len(r.Notes) != 1 || r.Notes[0].SessionID != seen.ID.String() || !strings.Contains(r.Notes[0].Fields[0].Value, "waka ama") {
		t.Errorf("notes in the record: %+v", r.Notes)
	}
	fhir, err := correction.Export(p.ctx, p.env.DB, ring, hip, p.patient, "fhir", names)
	if err != nil {
		t.Fatalf("FHIR export while suspended: %v", err)
	}
	var bundle struct {
		Entry []struct {
			Resource struct{ ResourceType string }
		}
	}
	if err := json.Unmarshal(fhir, &bundle); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range bundle.Entry {
		kinds[e.Resource.ResourceType]++
	}
	if kinds["Encounter"] != len(r.Sessions) || kinds["Composition"] != 1 || !bytes.Contains(fhir, []byte(said)) {
		t.Errorf("the FHIR export lacks sessions or the note: %v", kinds)
	}
	pdf, err := correction.Export(p.ctx, p.env.DB, ring, hip, p.patient, "pdf", names)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("PDF export while suspended: %.20q, %v", pdf, err)
	}

	// Reactivated: bookings, holds, confirmations and groups work again.
	p.standing(t, billing.StatusActive, nil)
	if _, _, err := booking.Book(p.ctx, p.env.DB, p.gp, p.booking(day.Add(8*time.Hour), 30)); err != nil {
		t.Fatalf("book after reactivation: %v", err)
	}
	if _, err := booking.Confirm(p.ctx, p.env.DB, p.gp, held.ID); err != nil {
		t.Fatalf("confirm after reactivation: %v", err)
	}
	if _, err := booking.AddAttendee(p.ctx, p.env.DB, p.gp, group.ID, p.patient); err != nil {
		t.Fatalf("join a group after reactivation: %v", err)
	}
}

// Which standings take new bookings: past_due only until its grace ends.
func TestSuspensionByStanding(t *testing.T) {
	p := newPractice(t)
	future, past := time.Now().Add(48*time.Hour), time.Now().Add(-time.Minute)
	cases := []struct {
		status string
		grace  *time.Time
		books  bool
	}{
		{billing.StatusNone, nil, true},
		{billing.StatusExempt, nil, true},
		{billing.StatusIncomplete, nil, true},
		{billing.StatusTrialing, nil, true},
		{billing.StatusActive, nil, true},
		{billing.StatusPastDue, &future, true},
		{billing.StatusPastDue, &past, false},
		{billing.StatusSuspended, nil, false},
		{billing.StatusCanceled, nil, false},
		{billing.StatusActive, nil, true}, // reactivated
	}
	for i, c := range cases {
		p.standing(t, c.status, c.grace)
		at := day.Add(time.Duration(i) * time.Hour)
		before := p.count(t, "true")
		_, _, err := booking.Book(p.ctx, p.env.DB, p.gp, p.booking(at, 30))
		name := c.status
		if c.grace != nil {
			name += ", grace until " + c.grace.Format(time.RFC3339)
		}
		switch {
		case c.books && err != nil:
			t.Errorf("%s: %v, want it booked", name, err)
		case !c.books:
			wantSuspended(t, name, err)
			if n := p.count(t, "true"); n != before {
				t.Errorf("%s: %d rows after a refusal, want %d", name, n, before)
			}
		}
	}
}

// One practice's suspension is its own: another practice books on.
func TestSuspensionIsPerPractice(t *testing.T) {
	a, b := newPractice(t), newPractice(t)
	a.standing(t, billing.StatusSuspended, nil)
	_, _, err := booking.Book(a.ctx, a.env.DB, a.gp, a.booking(day, 30))
	wantSuspended(t, "suspended practice", err)
	if _, _, err := booking.Book(b.ctx, b.env.DB, b.gp, b.booking(day, 30)); err != nil {
		t.Fatalf("the other practice: %v", err)
	}
}
