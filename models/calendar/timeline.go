package calendar

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/referral"
)

// Source says what a timeline item records: an appointment (the person's
// own or a group they attended) or a Support Worker referral of theirs.
type Source string

const (
	SourceAppointment Source = "appointment"
	SourceReferral    Source = "referral"
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

	// A referral's own facts (Source is SourceReferral): StartsAt and EndsAt
	// are both when it was referred, PractitionerID the Support Worker who
	// accepted it (zero while waiting), ServiceLine the Support Worker line.
	ReferralStatus referral.Status
	Needs          []referral.Need
	DueBy          time.Time // the last local day for first contact (a civil date)
}

// FollowUp reports whether the item is a follow-up rather than a first
// session in its service line.
func (i Item) FollowUp() bool { return !i.First }

// timelineQuery is the person's own appointments and the groups they
// attended, each with whether it is their first in its service line, then
// their Support Worker referrals, all newest first. The window counts the
// completed appointments before each row; referrals sit outside it (a
// referral is not a session), so they never change an appointment's "first".
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
			ORDER BY starts_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) = 0 AS first,
		NULL::text AS referral_status, NULL::text[] AS needs, NULL::date AS due_by
	FROM mine
	UNION ALL
	SELECT 'referral', r.id, coalesce(r.worker_id, '00000000-0000-0000-0000-000000000000'::uuid), '', '',
		'support_worker', '', r.referred_at, r.referred_at, NULL, false, false,
		r.status, r.needs, r.due_by
	FROM referrals r WHERE r.tenant_id = ? AND r.patient_id = ?
	ORDER BY starts_at DESC, id DESC LIMIT ?`

// MaxTimeline bounds one timeline: years of a busy person's sessions.
const MaxTimeline = 500

// Timeline lists a person's appointments past and future, group attendance
// included, and their Support Worker referrals, newest first, in one statement. It reads no patient details:
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
		ReferralStatus *string
		Needs          pq.StringArray `gorm:"type:text[]"`
		DueBy          *time.Time
	}
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(timelineQuery, tx.Tenant.ID, patientID, tx.Tenant.ID, patientID,
			tx.Tenant.ID, patientID, MaxTimeline).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("calendar.Timeline: %w", db.Translate(err))
	}
	out := make([]Item, len(rows))
	for i, r := range rows {
		out[i] = Item{Source: Source(r.Source), ID: r.ID, PractitionerID: r.PractitionerID, Kind: booking.Kind(r.Kind),
			Mode: booking.Mode(r.Mode), ServiceLine: booking.ServiceLine(r.ServiceLine), Status: booking.Status(r.Status),
			StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), Group: r.Grp, First: r.First, CancelReason: deref(r.CancelReason)}
		if out[i].Source == SourceReferral {
			out[i].ReferralStatus = referral.Status(deref(r.ReferralStatus))
			for _, n := range r.Needs {
				out[i].Needs = append(out[i].Needs, referral.Need(n))
			}
			if r.DueBy != nil {
				y, m, d := r.DueBy.Date()
				out[i].DueBy = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			}
		}
	}
	return out, nil
}
