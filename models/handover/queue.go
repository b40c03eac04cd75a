package handover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Status is where a queue entry is.
type Status string

const (
	StatusWaiting   Status = "waiting"
	StatusTaken     Status = "taken"
	StatusWithdrawn Status = "withdrawn"
)

// MaxNote is the longest introducer's note, in characters: a line or two
// for the HIP, not a clinical record.
const MaxNote = 500

// DefaultMinutes is the length of a same-day session booked without one: HIP
// sessions run 15–30 minutes (DOMAIN.md); the longer end leaves room.
const DefaultMinutes = 30

// NewEntry is a person put in the same-day queue.
type NewEntry struct {
	PatientID uuid.UUID
	// ServiceLine is the workforce wanted: booking.LineHIP,
	// booking.LineHealthCoach, or empty when either will do.
	ServiceLine booking.ServiceLine
	Note        string
}

// Entry is one person in (or once in) the same-day queue.
type Entry struct {
	ID             uuid.UUID
	PatientID      uuid.UUID
	FamilyName     string
	GivenNames     string
	PreferredName  string
	ServiceLine    booking.ServiceLine // empty: either
	Note           string
	IntroducedBy   uuid.UUID
	IntroducedAt   time.Time
	Status         Status
	TakenBy        uuid.UUID
	TakenAt        time.Time
	AppointmentID  uuid.UUID
	WithdrawnBy    uuid.UUID
	WithdrawnAt    time.Time
	WithdrawReason string
}

// Name is the person as a colleague calls them: the preferred name when
// there is one, with the family name.
func (e Entry) Name() string {
	given := e.PreferredName
	if given == "" {
		given = e.GivenNames
	}
	return strings.TrimSpace(given + " " + e.FamilyName)
}

// Waiting is how long the person has waited by now (until taken or
// withdrawn, for a closed entry).
func (e Entry) Waiting(now time.Time) time.Duration {
	end := now
	switch {
	case e.Status == StatusTaken:
		end = e.TakenAt
	case e.Status == StatusWithdrawn:
		end = e.WithdrawnAt
	}
	if end.Before(e.IntroducedAt) {
		return 0
	}
	return end.Sub(e.IntroducedAt)
}

// Validate checks the entry's own fields and normalises the note (NFC,
// trimmed).
func (n *NewEntry) Validate() error {
	var f fault.Fields
	if n.PatientID == uuid.Nil {
		f.Add("patient_id", "choose the person to introduce")
	}
	switch n.ServiceLine {
	case "", booking.LineHIP, booking.LineHealthCoach:
	default:
		f.Add("service_line", "choose HIP, Health Coach or either")
	}
	note, err := cleanText(n.Note, MaxNote)
	if err != "" {
		f.Add("note", err)
	}
	n.Note = note
	return f.Err()
}

// cleanText normalises free text and says what is wrong with it, if anything.
func cleanText(s string, max int) (string, string) {
	if !utf8.ValidString(s) {
		return "", "must be valid text"
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	for _, r := range s {
		if r == 0 || (unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t') {
			return "", "must be plain text"
		}
	}
	if utf8.RuneCountInString(s) > max {
		return "", fmt.Sprintf("keep it to %d characters", max)
	}
	return s, ""
}

// Enqueue puts a person in the practice's same-day queue with the
// introducer's note. The introducer must be an active GP or practice nurse
// here; a person already waiting is a conflict.
func Enqueue(ctx context.Context, d *db.DB, actor uuid.UUID, n NewEntry) (Entry, error) {
	if err := n.Validate(); err != nil {
		return Entry{}, fmt.Errorf("handover.Enqueue: %w", err)
	}
	var out Entry
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		if err := checkIntroducer(tx, actor); err != nil {
			return err
		}
		if err := patientExists(tx, n.PatientID); err != nil {
			return err
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		var line any
		if n.ServiceLine != "" {
			line = n.ServiceLine
		}
		err = tx.Exec(`INSERT INTO handovers (tenant_id, id, patient_id, service_line, note, introduced_by)
			VALUES (?, ?, ?, ?, ?, ?)`, tx.Tenant.ID, id, n.PatientID, line, n.Note, actor).Error
		if pgCode(err) == "23505" { // unique_violation: handovers_one_wait
			return fault.New(fault.KindConflict, "this person is already waiting in the same-day queue", err)
		}
		if err != nil {
			return err
		}
		if out, err = get(tx, id, false); err != nil {
			return err
		}
		return audit.Record(tx, audit.Event{Action: audit.ActionRecordCreate, ActorUserID: actor, PatientID: n.PatientID,
			Object: "handover", ObjectID: id.String(), Detail: map[string]string{"status": string(StatusWaiting)}})
	})
	if err != nil {
		return Entry{}, fmt.Errorf("handover.Enqueue: %w", err)
	}
	return out, nil
}

// Queue lists the practice's waiting entries, oldest first: the person who
// has waited longest is taken first.
func Queue(ctx context.Context, d *db.DB) ([]Entry, error) {
	var rows []row
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT ` + columns + ` FROM handovers h JOIN patients p ON p.tenant_id = h.tenant_id AND p.id = h.patient_id
			WHERE h.status = 'waiting' ORDER BY h.introduced_at, h.id`).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("handover.Queue: %w", err)
	}
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, nil
}

// Version is a short tag of the queue's state that changes whenever an entry
// is added, taken or withdrawn: pollers compare it and fetch the queue only
// when it differs. It carries no patient detail.
func Version(ctx context.Context, d *db.DB) (string, error) {
	var v struct {
		Waiting int64
		Changed *time.Time
	}
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT (SELECT count(*) FROM handovers WHERE status = 'waiting') AS waiting,
			(SELECT max(updated_at) FROM handovers) AS changed`).Scan(&v).Error
	})
	if err != nil {
		return "", fmt.Errorf("handover.Version: %w", err)
	}
	var changed int64
	if v.Changed != nil {
		changed = v.Changed.UnixMicro()
	}
	return fmt.Sprintf("%d.%d", v.Waiting, changed), nil
}

// Get reads one entry, whatever its status.
func Get(ctx context.Context, d *db.DB, id uuid.UUID) (Entry, error) {
	var out Entry
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = get(tx, id, false)
		return err
	})
	if err != nil {
		return Entry{}, fmt.Errorf("handover.Get: %w", err)
	}
	return out, nil
}

// Taking is how a HIP or Health Coach sees the person they take.
type Taking struct {
	// ServiceLine the taker sees them in; empty: the entry's wanted line,
	// or the taker's own when either will do.
	ServiceLine booking.ServiceLine
	Mode        booking.Mode // empty: in person
	Minutes     int          // zero: DefaultMinutes
	At          time.Time    // when the session starts; zero: now
}

// Take gives a waiting entry to the actor, a HIP or Health Coach here: in one
// transaction it locks the entry, books a same-day appointment for the actor
// starting now (carrying the introduction) and marks the entry taken. A second
// taker waits for the lock, then finds it taken: a conflict, and nothing is
// booked for them. A taker already booked at that time is a conflict too, and
// the entry stays waiting.
func Take(ctx context.Context, d *db.DB, actor, id uuid.UUID, t Taking) (Entry, booking.Appointment, error) {
	at := t.At
	if at.IsZero() {
		at = time.Now()
	}
	at = at.UTC().Truncate(time.Minute)
	if t.Mode == "" {
		t.Mode = booking.ModeInPerson
	}
	if t.Minutes == 0 {
		t.Minutes = DefaultMinutes
	}
	var e Entry
	var a booking.Appointment
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		if e, err = get(tx, id, true); err != nil {
			return err
		}
		if err := stillWaiting(e); err != nil {
			return err
		}
		line, err := lineFor(tx, actor, e.ServiceLine, t.ServiceLine)
		if err != nil {
			return err
		}
		a, _, err = booking.BookIn(tx, actor, booking.NewAppointment{PractitionerID: actor, PatientID: e.PatientID,
			Kind: booking.KindSameDay, Mode: t.Mode, ServiceLine: line, StartsAt: at, Minutes: t.Minutes,
			IntroducedBy: e.IntroducedBy, IntroducedAt: e.IntroducedAt})
		if err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE handovers SET status = 'taken', taken_by = ?, taken_at = now(), appointment_id = ?,
			updated_at = now() WHERE id = ?`, actor, a.ID, id).Error; err != nil {
			return err
		}
		if e, err = get(tx, id, false); err != nil {
			return err
		}
		return audit.Record(tx, audit.Event{Action: audit.ActionRecordUpdate, ActorUserID: actor, PatientID: e.PatientID,
			Object: "handover", ObjectID: id.String(),
			Detail: map[string]string{"status": string(StatusTaken), "appointment": a.ID.String()}})
	})
	if err != nil {
		return Entry{}, booking.Appointment{}, fmt.Errorf("handover.Take: %w", err)
	}
	return e, a, nil
}

// Withdraw takes a waiting person out of the queue (they left, or were seen
// another way), recording who and why.
func Withdraw(ctx context.Context, d *db.DB, actor, id uuid.UUID, reason string) (Entry, error) {
	reason, msg := cleanText(reason, 500)
	if msg == "" && reason == "" {
		msg = "say why, in up to 500 characters"
	}
	if msg != "" {
		return Entry{}, fmt.Errorf("handover.Withdraw: %w", fault.InvalidField("reason", msg))
	}
	var e Entry
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		if e, err = get(tx, id, true); err != nil {
			return err
		}
		if err := stillWaiting(e); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE handovers SET status = 'withdrawn', withdrawn_by = ?, withdrawn_at = now(),
			withdraw_reason = ?, updated_at = now() WHERE id = ?`, actor, reason, id).Error; err != nil {
			return err
		}
		if e, err = get(tx, id, false); err != nil {
			return err
		}
		return audit.Record(tx, audit.Event{Action: audit.ActionRecordUpdate, ActorUserID: actor, PatientID: e.PatientID,
			Object: "handover", ObjectID: id.String(), Detail: map[string]string{"status": string(StatusWithdrawn)}})
	})
	if err != nil {
		return Entry{}, fmt.Errorf("handover.Withdraw: %w", err)
	}
	return e, nil
}

func stillWaiting(e Entry) error {
	switch e.Status {
	case StatusTaken:
		return fault.New(fault.KindConflict, "someone has already taken this person", nil)
	case StatusWithdrawn:
		return fault.New(fault.KindConflict, "this person has been taken out of the queue", nil)
	}
	return nil
}

// lineFor is the service line the taker sees the person in: the one asked
// for, else the entry's, else the taker's own (HIP first). The taker must
// practise it here.
func lineFor(tx *db.Tx, taker uuid.UUID, wanted, asked booking.ServiceLine) (booking.ServiceLine, error) {
	roles, err := activeRoles(tx, taker)
	if err != nil {
		return "", err
	}
	has := func(l booking.ServiceLine) bool {
		for _, r := range roles {
			if r == string(l) {
				return true
			}
		}
		return false
	}
	if asked != "" && asked != booking.LineHIP && asked != booking.LineHealthCoach {
		return "", fault.InvalidField("service_line", "choose HIP or Health Coach")
	}
	if asked != "" && wanted != "" && asked != wanted {
		return "", fault.InvalidField("service_line", "this person was introduced for another service line")
	}
	line := asked
	if line == "" {
		line = wanted
	}
	if line == "" {
		for _, l := range []booking.ServiceLine{booking.LineHIP, booking.LineHealthCoach} {
			if has(l) {
				return l, nil
			}
		}
		return "", fault.New(fault.KindForbidden, "only a HIP or Health Coach of this practice takes people from the queue", nil)
	}
	if !has(line) {
		return "", fault.New(fault.KindForbidden, "only a "+lineLabel(line)+" of this practice can take this person", nil)
	}
	return line, nil
}

func lineLabel(l booking.ServiceLine) string {
	if l == booking.LineHealthCoach {
		return "Health Coach"
	}
	return "HIP"
}

// checkIntroducer: a warm handover is made by the GP or practice nurse who
// has the person in front of them (DOMAIN.md), an active member here.
func checkIntroducer(tx *db.Tx, actor uuid.UUID) error {
	roles, err := activeRoles(tx, actor)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if r == "gp" || r == "nurse" {
			return nil
		}
	}
	return fault.New(fault.KindForbidden, "an introduction is made by a GP or practice nurse of this practice", nil)
}

// activeRoles are the user's roles in an active membership here (none when
// they are not an active member).
func activeRoles(tx *db.Tx, userID uuid.UUID) ([]string, error) {
	var rows []struct {
		Roles pq.StringArray `gorm:"type:text[]"`
	}
	if err := tx.Raw(`SELECT roles FROM memberships WHERE user_id = ? AND status = 'active'`, userID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0].Roles, nil
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

const columns = `h.id, h.patient_id, p.family_name, p.given_names, p.preferred_name, h.service_line, h.note,
	h.introduced_by, h.introduced_at, h.status, h.taken_by, h.taken_at, h.appointment_id,
	h.withdrawn_by, h.withdrawn_at, h.withdraw_reason`

type row struct {
	ID             uuid.UUID
	PatientID      uuid.UUID
	FamilyName     string
	GivenNames     string
	PreferredName  string
	ServiceLine    *string
	Note           string
	IntroducedBy   uuid.UUID
	IntroducedAt   time.Time
	Status         string
	TakenBy        uuid.NullUUID
	TakenAt        *time.Time
	AppointmentID  uuid.NullUUID
	WithdrawnBy    uuid.NullUUID
	WithdrawnAt    *time.Time
	WithdrawReason *string
}

func (r row) entry() Entry {
	t := func(p *time.Time) time.Time {
		if p == nil {
			return time.Time{}
		}
		return p.UTC()
	}
	e := Entry{ID: r.ID, PatientID: r.PatientID, FamilyName: r.FamilyName, GivenNames: r.GivenNames,
		PreferredName: r.PreferredName, Note: r.Note, IntroducedBy: r.IntroducedBy, IntroducedAt: r.IntroducedAt.UTC(),
		Status: Status(r.Status), TakenBy: r.TakenBy.UUID, TakenAt: t(r.TakenAt), AppointmentID: r.AppointmentID.UUID,
		WithdrawnBy: r.WithdrawnBy.UUID, WithdrawnAt: t(r.WithdrawnAt)}
	if r.ServiceLine != nil {
		e.ServiceLine = booking.ServiceLine(*r.ServiceLine)
	}
	if r.WithdrawReason != nil {
		e.WithdrawReason = *r.WithdrawReason
	}
	return e
}

// get reads one entry, locking it when forUpdate (Take and Withdraw).
func get(tx *db.Tx, id uuid.UUID, forUpdate bool) (Entry, error) {
	q := `SELECT ` + columns + ` FROM handovers h JOIN patients p ON p.tenant_id = h.tenant_id AND p.id = h.patient_id
		WHERE h.id = ?`
	if forUpdate {
		q += ` FOR UPDATE OF h`
	}
	var r row
	if err := tx.Raw(q, id).Take(&r).Error; err != nil {
		return Entry{}, err
	}
	return r.entry(), nil
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
