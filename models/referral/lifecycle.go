package referral

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tuhono/tuhono/models/text"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// ContactMode is how the Support Worker reached, or tried to reach, the person.
type ContactMode string

const (
	ContactPhone     ContactMode = "phone"
	ContactText      ContactMode = "text"
	ContactEmail     ContactMode = "email"
	ContactInPerson  ContactMode = "in_person"
	ContactVideo     ContactMode = "video"
	ContactCommunity ContactMode = "community" // at home or in the community
)

// ContactModes lists every mode in the order forms show them.
var ContactModes = []ContactMode{ContactPhone, ContactText, ContactEmail, ContactInPerson, ContactVideo, ContactCommunity}

// ContactOutcome says whether an attempt reached the person.
type ContactOutcome string

const (
	ContactReached     ContactOutcome = "reached"
	ContactNoAnswer    ContactOutcome = "no_answer"
	ContactLeftMessage ContactOutcome = "left_message"
	ContactWrongNumber ContactOutcome = "wrong_number"
)

// ContactOutcomes lists every outcome in the order forms show them.
var ContactOutcomes = []ContactOutcome{ContactReached, ContactNoAnswer, ContactLeftMessage, ContactWrongNumber}

// Contact is one attempt or contact.
type Contact struct {
	ID        uuid.UUID
	WorkerID  uuid.UUID
	At        time.Time
	Mode      ContactMode
	Outcome   ContactOutcome
	Note      string
	CreatedAt time.Time
}

// Accept makes the actor, an active Support Worker here, the referral's
// worker. A referral someone already took is a conflict.
func Accept(ctx context.Context, d *db.DB, actor, id uuid.UUID, now time.Time) (Referral, error) {
	r, err := change(ctx, d, actor, id, "referral accepted", func(tx *db.Tx, r Referral) error {
		if err := mustHold(tx, actor, "only a Support Worker of this practice can accept a referral", "support_worker"); err != nil {
			return err
		}
		if r.Status != StatusReferred {
			return fault.New(fault.KindConflict, "this referral has already been accepted", nil)
		}
		return tx.Exec(`UPDATE referrals SET status = 'accepted', worker_id = ?, accepted_at = ?, updated_at = now()
			WHERE id = ?`, actor, now.UTC(), id).Error
	})
	if err != nil {
		return Referral{}, fmt.Errorf("referral.Accept: %w", err)
	}
	return r, nil
}

// RecordContact records an attempt or contact by the referral's worker. The
// first contact that reaches the person makes the referral "contacted" (the
// time funders measure from the referral); a later one is a support session
// and makes it "active".
func RecordContact(ctx context.Context, d *db.DB, actor, id uuid.UUID, c Contact, now time.Time) (Referral, error) {
	if err := c.validate(now); err != nil {
		return Referral{}, fmt.Errorf("referral.RecordContact: %w", err)
	}
	r, err := change(ctx, d, actor, id, "contact recorded", func(tx *db.Tx, r Referral) error {
		if err := mustHold(tx, actor, "only a Support Worker of this practice can record contact", "support_worker"); err != nil {
			return err
		}
		switch {
		case r.Status == StatusReferred:
			return fault.New(fault.KindConflict, "accept the referral before recording contact", nil)
		case r.Status == StatusClosed:
			return fault.New(fault.KindConflict, "this referral is closed", nil)
		case r.WorkerID != actor:
			return fault.New(fault.KindForbidden, "only the referral's Support Worker can record contact", nil)
		case c.At.Before(r.ReferredAt.Truncate(time.Minute)): // forms give whole minutes
			return fault.InvalidField("at", "a contact cannot be before the referral")
		}
		if err := tx.Exec(`INSERT INTO referral_contacts (tenant_id, id, referral_id, worker_id, at, mode, outcome, note)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, tx.Tenant.ID, uuid.Must(uuid.NewV7()), id, actor, c.At.UTC(), c.Mode,
			c.Outcome, c.Note).Error; err != nil {
			return err
		}
		if c.Outcome != ContactReached {
			return tx.Exec(`UPDATE referrals SET updated_at = now() WHERE id = ?`, id).Error
		}
		if r.FirstContactAt.IsZero() {
			return tx.Exec(`UPDATE referrals SET status = 'contacted', first_contact_at = ?, updated_at = now()
				WHERE id = ?`, c.At.UTC(), id).Error
		}
		// A contact recorded late can be earlier than the first one on file:
		// the first contact is the earliest that reached the person.
		return tx.Exec(`UPDATE referrals SET status = 'active', first_contact_at = least(first_contact_at, ?),
			updated_at = now() WHERE id = ?`, c.At.UTC(), id).Error
	})
	if err != nil {
		return Referral{}, fmt.Errorf("referral.RecordContact: %w", err)
	}
	return r, nil
}

func (c *Contact) validate(now time.Time) error {
	var f fault.Fields
	if c.At.IsZero() {
		f.Add("at", "say when")
	} else if c.At.After(now.Add(5 * time.Minute)) {
		f.Add("at", "a contact cannot be in the future")
	}
	if !slices.Contains(ContactModes, c.Mode) {
		f.Add("mode", "choose phone, text, e-mail, in person, video or community")
	}
	if !slices.Contains(ContactOutcomes, c.Outcome) {
		f.Add("outcome", "choose reached, no answer, left a message or wrong number")
	}
	var msg string
	if c.Note, msg = text.Clean(c.Note, maxNote); msg != "" {
		f.Add("note", msg)
	}
	return f.Err()
}

// Close ends the episode with an outcome. The referral's worker closes it;
// before anyone accepted it, a Support Worker or the HIP or Health Coach
// who referred may close it (the person declined, say).
func Close(ctx context.Context, d *db.DB, actor, id uuid.UUID, outcome Outcome, note string, now time.Time) (Referral, error) {
	var f fault.Fields
	if !slices.Contains(Outcomes, outcome) {
		f.Add("outcome", "choose an outcome")
	}
	note, msg := text.Clean(note, maxNote)
	if msg != "" {
		f.Add("note", msg)
	}
	if err := f.Err(); err != nil {
		return Referral{}, fmt.Errorf("referral.Close: %w", err)
	}
	r, err := change(ctx, d, actor, id, "referral closed", func(tx *db.Tx, r Referral) error {
		if r.Status == StatusClosed {
			return fault.New(fault.KindConflict, "this referral is already closed", nil)
		}
		if r.WorkerID != actor && !(r.Status == StatusReferred && r.ReferredBy == actor) {
			if err := mustHold(tx, actor, "only a Support Worker of this practice can close a referral", "support_worker"); err != nil {
				return err
			}
			if r.WorkerID != uuid.Nil {
				return fault.New(fault.KindForbidden, "only the referral's Support Worker can close it", nil)
			}
		}
		return tx.Exec(`UPDATE referrals SET status = 'closed', closed_by = ?, closed_at = ?, outcome = ?,
			outcome_note = ?, updated_at = now() WHERE id = ?`, actor, now.UTC(), outcome, note, id).Error
	})
	if err != nil {
		return Referral{}, fmt.Errorf("referral.Close: %w", err)
	}
	return r, nil
}

// Contacts lists a referral's attempts and contacts, oldest first.
func Contacts(ctx context.Context, d *db.DB, id uuid.UUID) ([]Contact, error) {
	var rows []struct {
		ID        uuid.UUID
		WorkerID  uuid.UUID
		At        time.Time
		Mode      string
		Outcome   string
		Note      string
		CreatedAt time.Time
	}
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM referrals WHERE id = ?`, id).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return fault.New(fault.KindNotFound, "referral not found", nil)
		}
		return tx.Raw(`SELECT id, worker_id, at, mode, outcome, note, created_at FROM referral_contacts
			WHERE referral_id = ? ORDER BY at, id`, id).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("referral.Contacts: %w", err)
	}
	out := make([]Contact, len(rows))
	for i, r := range rows {
		out[i] = Contact{ID: r.ID, WorkerID: r.WorkerID, At: r.At.UTC(), Mode: ContactMode(r.Mode),
			Outcome: ContactOutcome(r.Outcome), Note: r.Note, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// change locks a referral, lets apply check and write the change, reads the
// result and audits it, all in one transaction.
func change(ctx context.Context, d *db.DB, actor, id uuid.UUID, reason string, apply func(*db.Tx, Referral) error) (Referral, error) {
	var out Referral
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		r, err := load(tx, id, true)
		if err != nil {
			return err
		}
		if err := apply(tx, r); err != nil {
			return err
		}
		if out, err = load(tx, id, false); err != nil {
			return err
		}
		return audit.Record(tx, event(ctx, audit.ActionRecordUpdate, actor, out, reason))
	})
	return out, err
}
