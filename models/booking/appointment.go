package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/reminder"
)

// Kind is how the appointment came about.
type Kind string

const (
	KindBooked  Kind = "booked"   // booked ahead
	KindSameDay Kind = "same_day" // a warm handover seen the day they present
	KindGroup   Kind = "group"    // several people; see AddAttendee
)

// Mode is how the person is seen.
type Mode string

const (
	ModeInPerson  Mode = "in_person"
	ModePhone     Mode = "phone"
	ModeVideo     Mode = "video"
	ModeCommunity Mode = "community" // at home or in the community
)

// ServiceLine is the workforce the appointment belongs to (DOMAIN.md).
type ServiceLine string

const (
	LineHIP           ServiceLine = "hip"
	LineHealthCoach   ServiceLine = "health_coach"
	LineSupportWorker ServiceLine = "support_worker"
)

// Status is where an appointment is in its lifecycle.
type Status string

const (
	StatusHeld         Status = "held"
	StatusBooked       Status = "booked"
	StatusArrived      Status = "arrived"
	StatusInSession    Status = "in_session"
	StatusCompleted    Status = "completed"
	StatusDidNotAttend Status = "did_not_attend"
	StatusCancelled    Status = "cancelled"
)

// Live reports whether the status still takes the practitioner's time (the
// statuses the exclusion constraint of migration 00013 covers).
func (s Status) Live() bool {
	return s == StatusHeld || s == StatusBooked || s == StatusArrived || s == StatusInSession
}

// next is the lifecycle. Cancelling is allowed from every live status, with a
// reason (Cancel); a hold becomes a booking only through Confirm.
var next = map[Status][]Status{
	StatusBooked:    {StatusArrived, StatusDidNotAttend},
	StatusArrived:   {StatusInSession},
	StatusInSession: {StatusCompleted},
}

// CanMove reports whether an appointment may go from one status to another
// through SetStatus.
func CanMove(from, to Status) bool { return slices.Contains(next[from], to) }

// Session lengths: HIP sessions are brief, 15–30 minutes, typically 20–30
// (DOMAIN.md); anything else is a custom length within these bounds.
const (
	MinMinutes = 5
	MaxMinutes = 240
)

// StandardMinutes are the lengths offered first.
var StandardMinutes = []int{15, 20, 30}

// NewAppointment is what a booking asks for.
type NewAppointment struct {
	PractitionerID uuid.UUID
	PatientID      uuid.UUID // required unless Kind is KindGroup, where it must be zero
	Kind           Kind
	Mode           Mode
	ServiceLine    ServiceLine
	StartsAt       time.Time
	Minutes        int
	Capacity       int       // groups only: how many people may attend
	IntroducedBy   uuid.UUID // the GP or nurse of a warm handover, if any
	IntroducedAt   time.Time // when they introduced the person; now when zero
}

// Appointment is one appointment as stored.
type Appointment struct {
	ID              uuid.UUID
	PractitionerID  uuid.UUID
	PatientID       uuid.UUID // zero for a group
	Kind            Kind
	Mode            Mode
	ServiceLine     ServiceLine
	StartsAt        time.Time
	EndsAt          time.Time
	Status          Status
	HoldExpiresAt   time.Time // zero unless held
	Capacity        int       // groups only
	IntroducedBy    uuid.UUID
	IntroducedAt    time.Time
	RescheduledFrom uuid.UUID
	CancelledBy     uuid.UUID // zero when the system cancelled (an expired hold)
	CancelledAt     time.Time
	CancelReason    string
	// SeenAt is when the session started (the move to in session): the end
	// of the introduction-to-seen time, kept apart from StartsAt.
	SeenAt    time.Time
	CreatedBy uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Minutes is the appointment's length.
func (a Appointment) Minutes() int { return int(a.EndsAt.Sub(a.StartsAt) / time.Minute) }

// Warning is something the person booking should know but that does not stop
// the booking.
type Warning struct {
	Code    string // "patient_double_booked"
	Message string // safe to show
	// Other is the appointment it concerns.
	Other uuid.UUID
}

// WarnPatientDoubleBooked: the person already has a live appointment that
// overlaps (perhaps with another practitioner or service line).
const WarnPatientDoubleBooked = "patient_double_booked"

// Reasons the system writes itself.
const (
	ReasonRescheduled = "rescheduled"
	ReasonHoldExpired = "hold expired"
)

// Validate checks the request's own fields and reports each bad one.
func (n NewAppointment) Validate() error {
	var f fault.Fields
	switch n.Kind {
	case KindBooked, KindSameDay:
		if n.PatientID == uuid.Nil {
			f.Add("patient_id", "choose the person to be seen")
		}
		if n.Capacity != 0 {
			f.Add("capacity", "only a group has a capacity")
		}
	case KindGroup:
		if n.PatientID != uuid.Nil {
			f.Add("patient_id", "add the people of a group as attendees")
		}
		if n.Capacity < 1 || n.Capacity > 100 {
			f.Add("capacity", "choose from 1 to 100 people")
		}
	default:
		f.Add("kind", "choose booked, same day or group")
	}
	switch n.Mode {
	case ModeInPerson, ModePhone, ModeVideo, ModeCommunity:
	default:
		f.Add("mode", "choose in person, phone, video or community")
	}
	if roleFor(n.ServiceLine) == "" {
		f.Add("service_line", "choose HIP, Health Coach or Support Worker")
	}
	if n.PractitionerID == uuid.Nil {
		f.Add("practitioner_id", "choose a practitioner")
	}
	checkTime(&f, n.StartsAt, n.Minutes)
	if n.IntroducedBy == uuid.Nil && !n.IntroducedAt.IsZero() {
		f.Add("introduced_by", "say who introduced the person")
	}
	return f.Err()
}

func checkTime(f *fault.Fields, start time.Time, minutes int) {
	switch {
	case start.IsZero():
		f.Add("starts_at", "choose a start time")
	case !start.Truncate(time.Minute).Equal(start):
		f.Add("starts_at", "start on a whole minute")
	}
	if minutes < MinMinutes || minutes > MaxMinutes {
		f.Add("minutes", fmt.Sprintf("choose 15, 20 or 30 minutes, or from %d to %d", MinMinutes, MaxMinutes))
	}
}

// roleFor is the membership role that may practise in a service line.
func roleFor(l ServiceLine) string {
	switch l {
	case LineHIP, LineHealthCoach, LineSupportWorker:
		return string(l)
	}
	return ""
}

// Book books an appointment in the tenant of ctx. A practitioner already
// booked (or held) at an overlapping time is a conflict, "already booked at
// that time"; a person already booked at an overlapping time gets a warning.
// A foreign patient or practitioner id is not found.
func Book(ctx context.Context, d *db.DB, actor uuid.UUID, n NewAppointment) (Appointment, []Warning, error) {
	a, w, err := create(ctx, d, actor, n, StatusBooked, 0)
	if err != nil {
		return Appointment{}, nil, fmt.Errorf("booking.Book: %w", err)
	}
	return a, w, nil
}

// create is Book and Hold: validate, check the people, release expired holds
// in the way, insert, audit.
func create(ctx context.Context, d *db.DB, actor uuid.UUID, n NewAppointment, status Status, ttl time.Duration) (Appointment, []Warning, error) {
	if err := n.Validate(); err != nil {
		return Appointment{}, nil, err
	}
	var a Appointment
	var warnings []Warning
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		a, warnings, err = createIn(tx, actor, n, status, ttl)
		return err
	})
	if err != nil {
		return Appointment{}, nil, err
	}
	return a, warnings, nil
}

// BookIn is Book inside a transaction the caller already holds, for work that
// must book and change something else atomically (taking a person from the
// same-day queue: the entry is marked taken in the same transaction).
func BookIn(tx *db.Tx, actor uuid.UUID, n NewAppointment) (Appointment, []Warning, error) {
	if err := n.Validate(); err != nil {
		return Appointment{}, nil, fmt.Errorf("booking.BookIn: %w", err)
	}
	a, w, err := createIn(tx, actor, n, StatusBooked, 0)
	if err != nil {
		return Appointment{}, nil, fmt.Errorf("booking.BookIn: %w", err)
	}
	return a, w, nil
}

func createIn(tx *db.Tx, actor uuid.UUID, n NewAppointment, status Status, ttl time.Duration) (Appointment, []Warning, error) {
	if err := notSuspended(tx); err != nil {
		return Appointment{}, nil, err
	}
	if err := checkPeople(tx, n); err != nil {
		return Appointment{}, nil, err
	}
	ends := n.StartsAt.Add(time.Duration(n.Minutes) * time.Minute)
	var warnings []Warning
	var err error
	if n.PatientID != uuid.Nil {
		// The practitioner's expired holds are released in the same
		// statement that looks up the person's overlaps.
		release := &hold{practitionerID: n.PractitionerID}
		if warnings, err = overlaps(tx, release, n.PatientID, n.StartsAt, ends, uuid.Nil); err != nil {
			return Appointment{}, nil, err
		}
	} else if err := releaseExpiredHolds(tx, n.PractitionerID, n.StartsAt, ends); err != nil {
		return Appointment{}, nil, err
	}
	a, err := insert(tx, actor, n, ends, status, ttl, uuid.Nil)
	if err != nil {
		return Appointment{}, nil, err
	}
	if a.Status == StatusBooked {
		if err := reminder.Booked(tx, reminder.Appointment{ID: a.ID, PatientID: a.PatientID, StartsAt: a.StartsAt}); err != nil {
			return Appointment{}, nil, err
		}
	}
	// The event goes out with the COMMIT (one round trip fewer), and stands
	// or falls with the booking.
	audit.RecordAtCommit(tx, audit.Event{Action: audit.ActionRecordCreate, ActorUserID: actor, PatientID: a.PatientID,
		Object: "appointment", ObjectID: a.ID.String(), Detail: map[string]string{"status": string(a.Status), "kind": string(a.Kind)}})
	return a, warnings, nil
}

// notSuspended refuses a new appointment (a booking, a hold, a confirmation, a
// reschedule's new time, a place in a group) while the practice's billing
// standing is suspended, or past due beyond its grace (issue 8), with
// billing.ErrSuspended. It runs first in the booking's own transaction, so
// a refusal leaves nothing behind. Only new bookings stop: reading,
// moving along, completing and cancelling what is already booked never
// call it, and no record is hidden.
func notSuspended(tx *db.Tx) error { return billing.CheckBookable(tx, time.Now()) }

// checkPeople confirms, inside the tenant wall, that the patient exists here,
// the practitioner is an active member with the service line's role, and the
// introducer (if any) is an active GP or nurse here.
func checkPeople(tx *db.Tx, n NewAppointment) error {
	// One statement for all three: every booking pays for it.
	var rows []struct {
		Patient      bool
		Practitioner *bool // nil: not an active member here
		Introducer   *bool
	}
	err := tx.Raw(`SELECT
			(? OR EXISTS (SELECT 1 FROM patients WHERE tenant_id = ? AND id = ?)) AS patient,
			(SELECT roles && ?::text[] FROM memberships WHERE tenant_id = ? AND user_id = ? AND status = 'active') AS practitioner,
			(SELECT roles && '{gp,nurse}'::text[] FROM memberships WHERE tenant_id = ? AND user_id = ? AND status = 'active') AS introducer`,
		n.PatientID == uuid.Nil, tx.Tenant.ID, n.PatientID,
		pq.StringArray{roleFor(n.ServiceLine)}, tx.Tenant.ID, n.PractitionerID,
		tx.Tenant.ID, n.IntroducedBy).Scan(&rows).Error
	if err != nil {
		return err
	}
	r := rows[0]
	switch {
	case !r.Patient:
		return fault.New(fault.KindNotFound, "patient not found", nil)
	case r.Practitioner == nil:
		return fault.New(fault.KindNotFound, "practitioner not found", nil)
	case !*r.Practitioner:
		return fault.InvalidField("practitioner_id", "this practitioner does not work in that service line here")
	case n.IntroducedBy != uuid.Nil && (r.Introducer == nil || !*r.Introducer):
		return fault.InvalidField("introduced_by", "an introduction is made by a GP or nurse of this practice")
	}
	return nil
}

func patientExists(tx *db.Tx, id uuid.UUID) error {
	var n int64
	if err := tx.Raw(`SELECT count(*) FROM patients WHERE id = ?`, id).Scan(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return fault.New(fault.KindNotFound, "patient not found", nil)
	}
	return nil
}

// patientOverlaps lists the person's live appointments (their own, or a group
// they attend) overlapping [start, end), other than except.
func patientOverlaps(tx *db.Tx, patientID uuid.UUID, start, end time.Time, except uuid.UUID) ([]Warning, error) {
	return overlaps(tx, nil, patientID, start, end, except)
}

// hold names the practitioner whose expired holds overlapping the time are
// released by overlaps, in the same statement.
type hold struct{ practitionerID uuid.UUID }

// overlaps is patientOverlaps, first releasing release's expired holds (as
// releaseExpiredHolds) when it is not nil: one round trip for both. The
// lookup reads the statement's snapshot, from before the release, so expired
// holds are left out of it by their expiry.
func overlaps(tx *db.Tx, release *hold, patientID uuid.UUID, start, end time.Time, except uuid.UUID) ([]Warning, error) {
	var ids []struct{ ID uuid.UUID }
	// Two index paths, not one OR: the person's own appointments through
	// appointments_patient and their group places through the attendee
	// index. The tenant is named (the policy's OR alone would not lead the
	// planner to either index), and starts_at is bounded both ways: no
	// appointment is longer than MaxMinutes. The live statuses come as a
	// parameter, not a literal list: a literal would match the partial index
	// of the exclusion constraint, which a plan made while the practice had
	// few live appointments would then scan whole as they grow.
	earliest := start.Add(-MaxMinutes * time.Minute)
	notExpired := `NOT (a.status = 'held' AND a.hold_expires_at <= now())`
	query := `SELECT id FROM (
		SELECT a.id, a.starts_at FROM appointments a
		WHERE a.tenant_id = ? AND a.patient_id = ? AND a.starts_at > ? AND a.starts_at < ? AND a.ends_at > ?
		  AND a.status = ANY (?::text[]) AND a.id <> ? AND ` + notExpired + `
		UNION ALL
		SELECT a.id, a.starts_at FROM appointment_attendees aa
		JOIN appointments a ON a.tenant_id = aa.tenant_id AND a.id = aa.appointment_id
		WHERE aa.tenant_id = ? AND aa.patient_id = ? AND a.starts_at > ? AND a.starts_at < ? AND a.ends_at > ?
		  AND a.status = ANY (?::text[]) AND a.id <> ? AND ` + notExpired + `
		) o ORDER BY starts_at`
	args := []any{tx.Tenant.ID, patientID, earliest, end, start, liveStatuses, except,
		tx.Tenant.ID, patientID, earliest, end, start, liveStatuses, except}
	if release != nil {
		query = `WITH released AS (` + releaseHolds + `) ` + query
		args = append(releaseArgs(tx, release.practitionerID, start, end), args...)
	}
	err := tx.Raw(query, args...).Scan(&ids).Error
	if err != nil {
		return nil, err
	}
	var w []Warning
	for _, id := range ids {
		w = append(w, Warning{Code: WarnPatientDoubleBooked, Other: id.ID,
			Message: "this person already has an appointment at that time"})
	}
	return w, nil
}

func insert(tx *db.Tx, actor uuid.UUID, n NewAppointment, ends time.Time, status Status, ttl time.Duration, from uuid.UUID) (Appointment, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Appointment{}, err
	}
	// A hold's expiry is on the database's clock, as is the check of it.
	var hold any
	if status == StatusHeld {
		hold = ttl.Seconds()
	}
	var introducedAt any
	if n.IntroducedBy != uuid.Nil {
		introducedAt = time.Now().UTC()
		if !n.IntroducedAt.IsZero() {
			introducedAt = n.IntroducedAt.UTC()
		}
	}
	var capacity any
	if n.Kind == KindGroup {
		capacity = n.Capacity
	}
	var r row
	err = tx.Raw(`INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode, service_line,
			starts_at, ends_at, status, hold_expires_at, capacity, introduced_by, introduced_at, rescheduled_from, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now() + make_interval(secs => ?), ?, ?, ?, ?, ?)
		RETURNING `+columns,
		tx.Tenant.ID, id, n.PractitionerID, nullID(n.PatientID), n.Kind, n.Mode, n.ServiceLine,
		n.StartsAt.UTC(), ends.UTC(), status, hold, capacity, nullID(n.IntroducedBy), introducedAt, nullID(from), actor).
		Scan(&r).Error
	if isDoubleBooking(err) {
		return Appointment{}, fault.New(fault.KindConflict, "already booked at that time", err)
	}
	if err != nil {
		return Appointment{}, err
	}
	return r.appointment(), nil
}

// liveStatuses are the statuses that take a practitioner's time, as a query
// parameter (see patientOverlaps).
var liveStatuses = pq.StringArray{string(StatusHeld), string(StatusBooked), string(StatusArrived), string(StatusInSession)}

func isDoubleBooking(err error) bool { return pgCode(err) == "23P01" } // exclusion_violation

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func nullID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

const columns = `id, practitioner_id, patient_id, kind, mode, service_line, starts_at, ends_at, status, hold_expires_at,
	capacity, introduced_by, introduced_at, rescheduled_from, cancelled_by, cancelled_at, cancel_reason,
	created_by, created_at, updated_at, seen_at`

type row struct {
	ID              uuid.UUID
	PractitionerID  uuid.UUID
	PatientID       uuid.NullUUID
	Kind            string
	Mode            string
	ServiceLine     string
	StartsAt        time.Time
	EndsAt          time.Time
	Status          string
	HoldExpiresAt   *time.Time
	Capacity        *int
	IntroducedBy    uuid.NullUUID
	IntroducedAt    *time.Time
	RescheduledFrom uuid.NullUUID
	CancelledBy     uuid.NullUUID
	CancelledAt     *time.Time
	CancelReason    *string
	CreatedBy       uuid.UUID
	CreatedAt       time.Time
	UpdatedAt       time.Time
	SeenAt          *time.Time
}

func (r row) appointment() Appointment {
	t := func(p *time.Time) time.Time {
		if p == nil {
			return time.Time{}
		}
		return p.UTC()
	}
	a := Appointment{ID: r.ID, PractitionerID: r.PractitionerID, PatientID: r.PatientID.UUID, Kind: Kind(r.Kind),
		Mode: Mode(r.Mode), ServiceLine: ServiceLine(r.ServiceLine), StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(),
		Status: Status(r.Status), HoldExpiresAt: t(r.HoldExpiresAt), IntroducedBy: r.IntroducedBy.UUID,
		IntroducedAt: t(r.IntroducedAt), RescheduledFrom: r.RescheduledFrom.UUID, CancelledBy: r.CancelledBy.UUID,
		CancelledAt: t(r.CancelledAt), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		SeenAt: t(r.SeenAt)}
	if r.Capacity != nil {
		a.Capacity = *r.Capacity
	}
	if r.CancelReason != nil {
		a.CancelReason = *r.CancelReason
	}
	return a
}
