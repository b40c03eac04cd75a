package waitlist

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tuhono/tuhono/models/text"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Urgency orders the list: urgent before soon before routine, then oldest
// first.
type Urgency string

const (
	UrgencyRoutine Urgency = "routine"
	UrgencySoon    Urgency = "soon"
	UrgencyUrgent  Urgency = "urgent"
)

// Urgencies lists every urgency in the order forms show them.
var Urgencies = []Urgency{UrgencyRoutine, UrgencySoon, UrgencyUrgent}

// Status is where an entry is.
type Status string

const (
	StatusOpen      Status = "open"
	StatusBooked    Status = "booked"
	StatusWithdrawn Status = "withdrawn"
)

// Part is a part of the day in the practice's zone. The parts cover the
// whole day, so every slot is in exactly one: morning before 12:00,
// afternoon 12:00–17:00, evening from 17:00.
type Part string

const (
	Morning   Part = "morning"
	Afternoon Part = "afternoon"
	Evening   Part = "evening"
)

// Parts lists the parts of the day in order.
var Parts = []Part{Morning, Afternoon, Evening}

// partOf is the part of the day of a local wall-clock time.
func partOf(local time.Time) Part {
	switch h := local.Hour(); {
	case h < 12:
		return Morning
	case h < 17:
		return Afternoon
	}
	return Evening
}

// Preference is one weekday and part of the day the person can come.
type Preference struct {
	Day  time.Weekday
	Part Part
}

var dayCodes = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// String is the stored code, "mon:morning".
func (p Preference) String() string { return dayCodes[p.Day] + ":" + string(p.Part) }

// Label is the preference as people read it, "Monday morning".
func (p Preference) Label() string { return p.Day.String() + " " + string(p.Part) }

// ParsePreference reads a stored code such as "mon:morning".
func ParsePreference(s string) (Preference, error) {
	day, part, ok := strings.Cut(s, ":")
	i := slices.Index(dayCodes, day)
	if !ok || i < 0 || !slices.Contains(Parts, Part(part)) {
		return Preference{}, fault.InvalidField("preferred", "choose days and parts of the day from the list")
	}
	return Preference{Day: time.Weekday(i), Part: Part(part)}, nil
}

// Fits reports whether a slot starting at start (shown in loc) suits
// someone with these preferences; none means any time.
func Fits(prefs []Preference, start time.Time, loc *time.Location) bool {
	if len(prefs) == 0 {
		return true
	}
	local := start.In(loc)
	return slices.Contains(prefs, Preference{Day: local.Weekday(), Part: partOf(local)})
}

// NewEntry is what someone putting a person on the list asks for.
type NewEntry struct {
	PatientID      uuid.UUID
	ServiceLine    booking.ServiceLine
	PractitionerID uuid.UUID // zero: anyone in the service line
	Urgency        Urgency
	Preferred      []Preference // none: any time
	Note           string
}

// Entry is one entry as stored.
type Entry struct {
	ID             uuid.UUID
	PatientID      uuid.UUID
	PatientName    string // for the practice's screens; never logged
	ServiceLine    booking.ServiceLine
	PractitionerID uuid.UUID
	Urgency        Urgency
	Preferred      []Preference
	Note           string
	Status         Status
	AppointmentID  uuid.UUID // set when booked
	AddedBy        uuid.UUID
	ClosedBy       uuid.UUID
	ClosedAt       time.Time
	WithdrawReason string
	CreatedAt      time.Time
}

const maxNote = 1000

// Validate checks the request's own fields and reports each bad one.
func (n *NewEntry) Validate() error {
	var f fault.Fields
	if n.PatientID == uuid.Nil {
		f.Add("patient_id", "choose the person")
	}
	switch n.ServiceLine {
	case booking.LineHIP, booking.LineHealthCoach, booking.LineSupportWorker:
	default:
		f.Add("service_line", "choose HIP, Health Coach or Support Worker")
	}
	if !slices.Contains(Urgencies, n.Urgency) {
		f.Add("urgency", "choose routine, soon or urgent")
	}
	seen := map[Preference]bool{}
	for _, p := range n.Preferred {
		if p.Day < time.Sunday || p.Day > time.Saturday || !slices.Contains(Parts, p.Part) {
			f.Add("preferred", "choose days and parts of the day from the list")
			break
		}
		if seen[p] {
			f.Add("preferred", "choose each time once")
			break
		}
		seen[p] = true
	}
	var msg string
	if n.Note, msg = text.Clean(n.Note, maxNote); msg != "" {
		f.Add("note", msg)
	}
	return f.Err()
}

// Add puts a person on the list of the tenant in ctx. A foreign patient or
// practitioner is not found; a person already waiting for the service line
// is a conflict.
func Add(ctx context.Context, d *db.DB, actor uuid.UUID, n NewEntry) (Entry, error) {
	if err := n.Validate(); err != nil {
		return Entry{}, fmt.Errorf("waitlist.Add: %w", err)
	}
	var out Entry
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		if err := checkPeople(tx, n); err != nil {
			return err
		}
		var waiting int64
		if err := tx.Raw(`SELECT count(*) FROM waitlist_entries WHERE patient_id = ? AND service_line = ? AND status = 'open'`,
			n.PatientID, n.ServiceLine).Scan(&waiting).Error; err != nil {
			return err
		}
		if waiting > 0 {
			return fault.New(fault.KindConflict, "this person is already on the waitlist for that service", nil)
		}
		prefs := make([]string, len(n.Preferred))
		for i, p := range n.Preferred {
			prefs[i] = p.String()
		}
		id := uuid.Must(uuid.NewV7())
		if err := tx.Exec(`INSERT INTO waitlist_entries (tenant_id, id, patient_id, service_line, practitioner_id,
				urgency, preferred, note, status, added_by)
			VALUES (?, ?, ?, ?, ?, ?, ?::text[], ?, 'open', ?)`, tx.Tenant.ID, id, n.PatientID, n.ServiceLine,
			nullID(n.PractitionerID), n.Urgency, pq.StringArray(prefs), n.Note, actor).Error; err != nil {
			return err
		}
		var err error
		if out, err = load(tx, id, false); err != nil {
			return err
		}
		return audit.Record(tx, event(ctx, audit.ActionRecordCreate, actor, out, "added to the waitlist"))
	})
	if err != nil {
		return Entry{}, fmt.Errorf("waitlist.Add: %w", err)
	}
	return out, nil
}

func checkPeople(tx *db.Tx, n NewEntry) error {
	var found int64
	if err := tx.Raw(`SELECT count(*) FROM patients WHERE id = ?`, n.PatientID).Scan(&found).Error; err != nil {
		return err
	}
	if found == 0 {
		return fault.New(fault.KindNotFound, "patient not found", nil)
	}
	if n.PractitionerID == uuid.Nil {
		return nil
	}
	var has []bool
	if err := tx.Raw(`SELECT ? = ANY (roles) FROM memberships WHERE user_id = ? AND status = 'active'`,
		string(n.ServiceLine), n.PractitionerID).Scan(&has).Error; err != nil {
		return err
	}
	if len(has) == 0 {
		return fault.New(fault.KindNotFound, "practitioner not found", nil)
	}
	if !has[0] {
		return fault.InvalidField("practitioner_id", "this practitioner does not work in that service line here")
	}
	return nil
}

// List is the open entries, most urgent and oldest first. The list names
// people, so its read is audited (one event with the count).
func List(ctx context.Context, d *db.DB) ([]Entry, error) {
	var rows []row
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		if err := tx.Raw(`SELECT ` + columns + from + ` WHERE w.status = 'open' ORDER BY ` + order).Scan(&rows).Error; err != nil {
			return err
		}
		e := event(ctx, audit.ActionRecordRead, uuid.Nil, Entry{}, "waitlist viewed")
		e.ObjectID, e.Detail = "", map[string]string{"kind": "list", "count": strconv.Itoa(len(rows))}
		return audit.Record(tx, e)
	})
	if err != nil {
		return nil, fmt.Errorf("waitlist.List: %w", err)
	}
	return entries(rows), nil
}

// Get reads one entry, open or not.
func Get(ctx context.Context, d *db.DB, id uuid.UUID) (Entry, error) {
	var out Entry
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = load(tx, id, false)
		return err
	})
	if err != nil {
		return Entry{}, fmt.Errorf("waitlist.Get: %w", err)
	}
	return out, nil
}

// Withdraw takes an open entry off the list, with the reason.
func Withdraw(ctx context.Context, d *db.DB, actor, id uuid.UUID, reason string) (Entry, error) {
	reason, msg := text.Clean(reason, 500)
	if msg == "" && reason == "" {
		msg = "say why, in up to 500 characters"
	}
	if msg != "" {
		return Entry{}, fmt.Errorf("waitlist.Withdraw: %w", fault.InvalidField("reason", msg))
	}
	var out Entry
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		e, err := load(tx, id, true)
		if err != nil {
			return err
		}
		if e.Status != StatusOpen {
			return fault.New(fault.KindConflict, "this entry is no longer on the waitlist", nil)
		}
		if err := tx.Exec(`UPDATE waitlist_entries SET status = 'withdrawn', withdraw_reason = ?, closed_by = ?,
			closed_at = now(), updated_at = now() WHERE id = ?`, reason, actor, id).Error; err != nil {
			return err
		}
		if out, err = load(tx, id, false); err != nil {
			return err
		}
		return audit.Record(tx, event(ctx, audit.ActionRecordUpdate, actor, out, "withdrawn from the waitlist"))
	})
	if err != nil {
		return Entry{}, fmt.Errorf("waitlist.Withdraw: %w", err)
	}
	return out, nil
}

// order is the list's order: urgency, then oldest.
const order = `CASE w.urgency WHEN 'urgent' THEN 0 WHEN 'soon' THEN 1 ELSE 2 END, w.created_at, w.id`

const columns = `w.id, w.patient_id, coalesce(nullif(p.preferred_name, ''), p.given_names) || ' ' || p.family_name AS patient_name,
	w.service_line, w.practitioner_id, w.urgency, w.preferred, w.note, w.status, w.appointment_id, w.added_by,
	w.closed_by, w.closed_at, w.withdraw_reason, w.created_at`

const from = ` FROM waitlist_entries w JOIN patients p ON p.tenant_id = w.tenant_id AND p.id = w.patient_id`

type row struct {
	ID             uuid.UUID
	PatientID      uuid.UUID
	PatientName    string
	ServiceLine    string
	PractitionerID uuid.NullUUID
	Urgency        string
	Preferred      pq.StringArray `gorm:"type:text[]"`
	Note           string
	Status         string
	AppointmentID  uuid.NullUUID
	AddedBy        uuid.UUID
	ClosedBy       uuid.NullUUID
	ClosedAt       *time.Time
	WithdrawReason *string
	CreatedAt      time.Time
}

func (r row) entry() Entry {
	e := Entry{ID: r.ID, PatientID: r.PatientID, PatientName: r.PatientName, ServiceLine: booking.ServiceLine(r.ServiceLine),
		PractitionerID: r.PractitionerID.UUID, Urgency: Urgency(r.Urgency), Note: r.Note, Status: Status(r.Status),
		AppointmentID: r.AppointmentID.UUID, AddedBy: r.AddedBy, ClosedBy: r.ClosedBy.UUID, CreatedAt: r.CreatedAt.UTC()}
	for _, s := range r.Preferred {
		if p, err := ParsePreference(s); err == nil { // the database checks the same shape
			e.Preferred = append(e.Preferred, p)
		}
	}
	if r.ClosedAt != nil {
		e.ClosedAt = r.ClosedAt.UTC()
	}
	if r.WithdrawReason != nil {
		e.WithdrawReason = *r.WithdrawReason
	}
	return e
}

func entries(rows []row) []Entry {
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out
}

func load(tx *db.Tx, id uuid.UUID, forUpdate bool) (Entry, error) {
	q := `SELECT ` + columns + from + ` WHERE w.id = ?`
	if forUpdate {
		q += ` FOR UPDATE OF w`
	}
	var r row
	if err := tx.Raw(q, id).Take(&r).Error; err != nil {
		return Entry{}, err
	}
	return r.entry(), nil
}

func nullID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

// event is the audit event of an entry: the patient by id, never the note.
func event(ctx context.Context, action string, actor uuid.UUID, e Entry, reason string) audit.Event {
	ev := audit.Event{Action: action, ActorUserID: actor, PatientID: e.PatientID, Object: "waitlist_entry",
		ObjectID: e.ID.String(), Reason: reason, Detail: map[string]string{"status": string(e.Status)}}
	if e.AppointmentID != uuid.Nil {
		ev.Detail["appointment"] = e.AppointmentID.String()
	}
	if a, ok := tenants.ActorFrom(ctx); ok {
		if ev.ActorUserID == uuid.Nil {
			ev.ActorUserID = a.UserID
		}
		if a.UserID == ev.ActorUserID {
			ev.ActorRoles = a.Roles
		}
	}
	return ev
}

// ParsePreferences reads preferred times as forms and the API send them:
// codes such as "mon:morning", or "any" alone (or none) for any time.
func ParsePreferences(codes []string) ([]Preference, error) {
	if len(codes) == 1 && codes[0] == "any" {
		return nil, nil
	}
	var out []Preference
	for _, c := range codes {
		p, err := ParsePreference(c)
		if err != nil {
			return nil, fault.InvalidField("preferred", `use "mon:morning" … "sun:evening", or "any" alone`)
		}
		out = append(out, p)
	}
	return out, nil
}
