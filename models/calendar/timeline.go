package calendar

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
)

// Source says what a timeline item records. Only appointments exist today.
//
// The seam for referrals: when Support Worker referrals land, they join the
// timeline as items of SourceReferral — one more UNION ALL branch in
// timelineQuery selecting the referral's id, its date and status into the
// same columns, and a case in the page. Nothing else here changes.
type Source string

const (
	SourceAppointment Source = "appointment"
	SourceReferral    Source = "referral" // reserved: see Source
)

// Item is one line of a person's timeline.
type Item struct {
	Source         Source
	ID             uuid.UUID
	PractitionerID uuid.UUID
	Kind           booking.Kind
	Mode           booking.Mode
	ServiceLine    booking.ServiceLine
	Status         booking.Status
	StartsAt       time.Time
	EndsAt         time.Time
	// Group: the person attended as one of a group.
	Group bool
	// First: no completed appointment of theirs in this service line began
	// before this one (booking.FirstVisit's rule); otherwise a follow-up.
	// Meaningless for cancelled and missed appointments, which never count.
	First        bool
	CancelReason string
}

// FollowUp reports whether the item is a follow-up rather than a first
// session in its service line.
func (i Item) FollowUp() bool { return !i.First }

// timelineQuery is the person's own appointments and the groups they
// attended, each with whether it is their first in its service line, newest
// first. The window counts the completed appointments before each row.
const timelineQuery = `WITH mine AS (
		SELECT a.id, a.practitioner_id, a.kind, a.mode, a.service_line, a.status, a.starts_at, a.ends_at,
			a.cancel_reason, false AS grp
		FROM appointments a WHERE a.tenant_id = ? AND a.patient_id = ?
		UNION ALL
		SELECT a.id, a.practitioner_id, a.kind, a.mode, a.service_line, a.status, a.starts_at, a.ends_at,
			a.cancel_reason, true
		FROM appointment_attendees aa
		JOIN appointments a ON a.tenant_id = aa.tenant_id AND a.id = aa.appointment_id
		WHERE aa.tenant_id = ? AND aa.patient_id = ?
	)
	SELECT 'appointment' AS source, id, practitioner_id, kind, mode, service_line, status, starts_at, ends_at,
		cancel_reason, grp,
		coalesce(sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) OVER (PARTITION BY service_line
			ORDER BY starts_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) = 0 AS first
	FROM mine ORDER BY starts_at DESC, id DESC LIMIT ?`

// MaxTimeline bounds one timeline: years of a busy person's sessions.
const MaxTimeline = 500

// Timeline lists a person's appointments past and future, group attendance
// included, newest first, in one statement. It reads no patient details:
// the page that shows it reads the person through patient.Get, which audits
// the read. Another tenant's id finds nothing.
func Timeline(ctx context.Context, d *db.DB, patientID uuid.UUID) ([]Item, error) {
	var rows []struct {
		Source         string
		ID             uuid.UUID
		PractitionerID uuid.UUID
		Kind           string
		Mode           string
		ServiceLine    string
		Status         string
		StartsAt       time.Time
		EndsAt         time.Time
		CancelReason   *string
		Grp            bool
		First          bool
	}
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(timelineQuery, tx.Tenant.ID, patientID, tx.Tenant.ID, patientID, MaxTimeline).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("calendar.Timeline: %w", db.Translate(err))
	}
	out := make([]Item, len(rows))
	for i, r := range rows {
		out[i] = Item{Source: Source(r.Source), ID: r.ID, PractitionerID: r.PractitionerID, Kind: booking.Kind(r.Kind),
			Mode: booking.Mode(r.Mode), ServiceLine: booking.ServiceLine(r.ServiceLine), Status: booking.Status(r.Status),
			StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), Group: r.Grp, First: r.First, CancelReason: deref(r.CancelReason)}
	}
	return out, nil
}
