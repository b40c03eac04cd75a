package reminder

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// Sweeper moves due reminders into the outbox. One may run in every server
// process: each tenant's sweep locks its due rows (FOR UPDATE SKIP LOCKED),
// and the outbox message and the row's "sent" commit together, so a reminder
// is queued once however many sweepers run or crash. Its outbox idempotency
// key is the reminder's id, a second guard should a row ever be set back.
type Sweeper struct {
	db  *db.DB
	log *slog.Logger
	// Batch is how many reminders one tenant transaction takes (default 200);
	// a tenant with more is swept again at once.
	Batch int
}

// NewSweeper returns a sweeper over every active practice.
func NewSweeper(d *db.DB, log *slog.Logger) *Sweeper {
	if log == nil {
		log = slog.Default()
	}
	return &Sweeper{db: d, log: log, Batch: 200}
}

// Swept counts what a sweep did.
type Swept struct {
	Sent    int // reminders queued in the outbox (one per channel)
	Skipped int // due but no longer wanted: cancelled appointment, consent withdrawn…
}

// SweepOnce sweeps every active practice, one transaction per tenant (a
// failure in one is logged and does not stop the others; the first is
// returned).
func (s *Sweeper) SweepOnce(ctx context.Context) (Swept, error) {
	all, err := onboarding.All(ctx, s.db)
	if err != nil {
		return Swept{}, fmt.Errorf("reminder.SweepOnce: %w", err)
	}
	var total Swept
	var first error
	for _, t := range all {
		if t.Kind != tenants.KindPractice || t.Status != tenants.StatusActive {
			continue
		}
		got, err := s.SweepTenant(tenants.WithTenant(ctx, t))
		total.Sent += got.Sent
		total.Skipped += got.Skipped
		if err != nil {
			s.log.ErrorContext(ctx, "reminder sweep failed", "tenant", t.Slug, "err", db.LogSafe(err))
			if first == nil {
				first = err
			}
		}
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
	return total, first
}

// SweepTenant sweeps the tenant in ctx until nothing is due.
func (s *Sweeper) SweepTenant(ctx context.Context) (Swept, error) {
	var total Swept
	for {
		got, n, err := s.sweepBatch(ctx)
		total.Sent += got.Sent
		total.Skipped += got.Skipped
		if err != nil {
			return total, fmt.Errorf("reminder.SweepTenant: %w", err)
		}
		if n < s.batch() {
			return total, nil
		}
	}
}

// due is one due reminder with what deciding about it needs.
type due struct {
	ID            uuid.UUID
	AppointmentID uuid.UUID
	Channel       Channel
	Status        string // the appointment's
	StartsAt      time.Time
	HasPatient    bool
	// The person's contact, flat: GORM does not fill an unexported embedded struct.
	Phone           string
	Email           string
	SMSConsent      bool
	EmailConsent    bool
	RemindersOptOut bool
}

func (r due) contact() contact {
	return contact{Phone: r.Phone, Email: r.Email, SMSConsent: r.SMSConsent, EmailConsent: r.EmailConsent,
		RemindersOptOut: r.RemindersOptOut}
}

func (s *Sweeper) sweepBatch(ctx context.Context) (Swept, int, error) {
	var out Swept
	var n int
	err := s.db.InTenant(ctx, func(tx *db.Tx) error {
		out, n = Swept{}, 0
		var rows []due
		err := tx.Raw(`SELECT r.id, r.appointment_id, r.channel, a.status, a.starts_at,
				p.id IS NOT NULL AS has_patient, coalesce(p.phone, '') AS phone, coalesce(p.email, '') AS email,
				coalesce(p.sms_consent, false) AS sms_consent, coalesce(p.email_consent, false) AS email_consent,
				coalesce(p.reminders_opt_out, true) AS reminders_opt_out
			FROM appointment_reminders r
			JOIN appointments a ON a.tenant_id = r.tenant_id AND a.id = r.appointment_id
			LEFT JOIN patients p ON p.tenant_id = a.tenant_id AND p.id = a.patient_id
			WHERE r.status = 'pending' AND r.due_at <= now()
			ORDER BY r.due_at
			LIMIT ?
			FOR UPDATE OF r SKIP LOCKED`, s.batch()).Scan(&rows).Error
		if err != nil {
			return err
		}
		n = len(rows)
		if n == 0 {
			return nil
		}
		st, err := loadSettings(tx)
		if err != nil {
			return err
		}
		at, err := now(tx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			reason := skipReason(r, st, at)
			if reason != "" {
				out.Skipped++
				if err := mark(tx, r.ID, StatusSkipped, reason); err != nil {
					return err
				}
				continue
			}
			if err := send(tx, r.contact(), r.Channel, kindReminder, r.ID.String(), r.StartsAt); err != nil {
				return err
			}
			out.Sent++
			if err := mark(tx, r.ID, StatusSent, ""); err != nil {
				return err
			}
		}
		return nil
	})
	return out, n, err
}

// skipReason says why a due reminder should not go, or "" if it should. The
// person's consent and the practice's channels are read again now: either
// may have changed since the booking.
func skipReason(r due, s settings, at time.Time) string {
	switch {
	case r.Status != "booked":
		return "appointment no longer booked"
	case !r.StartsAt.After(at):
		return "appointment already started"
	case !r.HasPatient || !r.contact().allows(r.Channel):
		return "no consent or contact for this channel"
	case !s.sends(r.Channel):
		return "practice does not send on this channel"
	}
	return ""
}

func mark(tx *db.Tx, id uuid.UUID, st Status, reason string) error {
	var why any
	if reason != "" {
		why = reason
	}
	return tx.Exec(`UPDATE appointment_reminders SET status = ?, reason = ?, updated_at = now() WHERE id = ?`,
		st, why, id).Error
}

func (s *Sweeper) batch() int {
	if s.Batch <= 0 {
		return 200
	}
	return s.Batch
}

// Run sweeps every interval until ctx ends.
func (s *Sweeper) Run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if _, err := s.SweepOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "reminder sweep round failed", "err", db.LogSafe(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
