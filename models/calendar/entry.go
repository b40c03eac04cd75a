package calendar

import (
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
)

// Entry is one appointment as a calendar shows it.
type Entry struct {
	ID             uuid.UUID
	PractitionerID uuid.UUID
	PatientID      uuid.UUID // zero for a group
	// PatientName is the name the person is called by: the preferred name,
	// else the given names, then the family name. Empty for a group.
	PatientName string
	Kind        booking.Kind
	Mode        booking.Mode
	ServiceLine booking.ServiceLine
	Status      booking.Status
	StartsAt    time.Time
	EndsAt      time.Time
	Attendees   int // a group's people; 0 otherwise
	Capacity    int // a group's capacity; 0 otherwise
}

// Minutes is the appointment's length.
func (e Entry) Minutes() int { return int(e.EndsAt.Sub(e.StartsAt) / time.Minute) }

// entryRow is what the views' statements return.
type entryRow struct {
	ID             uuid.UUID
	PractitionerID uuid.UUID
	PatientID      uuid.NullUUID
	FamilyName     *string
	GivenNames     *string
	PreferredName  *string
	Kind           string
	Mode           string
	ServiceLine    string
	Status         string
	StartsAt       time.Time
	EndsAt         time.Time
	Attendees      int
	Capacity       *int
}

func (r entryRow) entry() Entry {
	e := Entry{ID: r.ID, PractitionerID: r.PractitionerID, PatientID: r.PatientID.UUID,
		Kind: booking.Kind(r.Kind), Mode: booking.Mode(r.Mode), ServiceLine: booking.ServiceLine(r.ServiceLine),
		Status: booking.Status(r.Status), StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), Attendees: r.Attendees}
	if r.Capacity != nil {
		e.Capacity = *r.Capacity
	}
	if r.FamilyName != nil {
		e.PatientName = displayName(deref(r.PreferredName), deref(r.GivenNames), *r.FamilyName)
	}
	return e
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// displayName is how the day and board name a person: the name they go by
// first, with the family name so two Arohas can be told apart.
func displayName(preferred, given, family string) string {
	first := preferred
	if first == "" {
		first = given
	}
	if first == "" {
		return family
	}
	return first + " " + family
}

// entryColumns select an appointment with its person's names and a group's
// attendance; the statements alias appointments as a and patients as p.
const entryColumns = `a.id, a.practitioner_id, a.patient_id, p.family_name, p.given_names, p.preferred_name,
	a.kind, a.mode, a.service_line, a.status, a.starts_at, a.ends_at, a.capacity,
	CASE WHEN a.kind = 'group' THEN (SELECT count(*) FROM appointment_attendees aa
		WHERE aa.tenant_id = a.tenant_id AND aa.appointment_id = a.id) ELSE 0 END AS attendees`

// dayBounds are the instants of a civil date's midnight to the next, in loc:
// 23 or 25 hours on a daylight-saving change.
func dayBounds(loc *time.Location, date time.Time) (from, to time.Time) {
	y, m, d := date.Date()
	from = time.Date(y, m, d, 0, 0, 0, 0, loc)
	to = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	return from.UTC(), to.UTC()
}

// civilDate is a date as midnight UTC, the way the schedule package keeps
// dates.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Today is the civil date now in loc.
func Today(loc *time.Location) time.Time { return civilDate(now().In(loc)) }

// now is the clock; tests may replace it.
var now = time.Now
