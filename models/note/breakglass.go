package note

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tuhono/tuhono/models/text"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/outbox"
)

// BreakGlassFor is how long a break-glass grant opens a note.
const BreakGlassFor = 30 * time.Minute

// Grant is one break-glass access and its review.
type Grant struct {
	ID            uuid.UUID  `gorm:"column:id"`
	NoteID        uuid.UUID  `gorm:"column:note_id"`
	PatientID     uuid.UUID  `gorm:"column:patient_id"`
	UserID        uuid.UUID  `gorm:"column:user_id"`
	Reason        string     `gorm:"column:reason"`
	GrantedAt     time.Time  `gorm:"column:granted_at"`
	ExpiresAt     time.Time  `gorm:"column:expires_at"`
	ReviewedAt    *time.Time `gorm:"column:reviewed_at"`
	ReviewedBy    *uuid.UUID `gorm:"column:reviewed_by"`
	ReviewComment *string    `gorm:"column:review_comment"`
}

// BreakGlass opens one restricted note to a clinician who may not read it,
// for BreakGlassFor from now. The web layer re-checks the password and says
// so with reauthenticated; without it nothing is granted. The grant is
// audited, waits in ReviewQueue, and the privacy officer is e-mailed (no
// clinical content, no patient details: a link to the review queue).
func BreakGlass(ctx context.Context, d *db.DB, v Viewer, noteID uuid.UUID, reason string, reauthenticated bool, now time.Time) (Grant, error) {
	if !reauthenticated {
		return Grant{}, wrap("BreakGlass", fault.New(fault.KindUnauthenticated, "re-enter your password to open a restricted note", nil))
	}
	if !breakGlassEligible(v.Roles) {
		return Grant{}, wrap("BreakGlass", fault.New(fault.KindForbidden, "only clinicians may use break-glass", nil))
	}
	reason, msg := text.Clean(reason, 500)
	if msg == "" && len([]rune(reason)) < 10 {
		msg = "give the clinical reason (at least 10 characters)"
	}
	if msg != "" {
		return Grant{}, wrap("BreakGlass", fault.InvalidField("reason", msg))
	}
	var g Grant
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		r, err := load(tx, noteID, false)
		if err != nil {
			return err
		}
		m := r.meta()
		v.TenantID = tx.Tenant.ID
		if acc, _ := CanRead(v, m); acc == AccessBody {
			return fault.New(fault.KindConflict, "you can already read this note", nil)
		}
		if !m.Restricted {
			return fault.New(fault.KindConflict, "break-glass is for restricted notes only", nil)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		g = Grant{ID: id, NoteID: noteID, PatientID: m.PatientID, UserID: v.UserID, Reason: reason,
			GrantedAt: now.UTC(), ExpiresAt: now.UTC().Add(BreakGlassFor)}
		if err := tx.Exec(`INSERT INTO note_break_glass (tenant_id, id, note_id, user_id, reason, granted_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, tx.Tenant.ID, id, noteID, v.UserID, reason, g.GrantedAt, g.ExpiresAt).Error; err != nil {
			return err
		}
		if err := notifyPrivacyOfficer(tx, g); err != nil {
			return err
		}
		return record(tx, v, ActionBreakGlass, m, audit.OutcomeOK, reason)
	})
	return g, wrap("BreakGlass", err)
}

// notifyPrivacyOfficer queues the e-mail: to the tenant's privacy officer,
// else the practice's contact address. Practice admins' own addresses live
// in users, which the tenant wall does not open; with neither address set
// the review queue alone carries the access.
func notifyPrivacyOfficer(tx *db.Tx, g Grant) error {
	var to []string
	if err := tx.Raw(`SELECT COALESCE((SELECT privacy_officer_email FROM tenant_settings WHERE tenant_id = ?),
		(SELECT contact_email FROM tenants WHERE id = ?), '')`, tx.Tenant.ID, tx.Tenant.ID).Scan(&to).Error; err != nil {
		return err
	}
	if len(to) == 0 || strings.TrimSpace(to[0]) == "" {
		return nil
	}
	return outbox.Enqueue(tx, outbox.Email{
		To:      to[0],
		Subject: "Break-glass access to a restricted note",
		Text: fmt.Sprintf("A clinician at %s opened a restricted clinical note using break-glass.\n\n"+
			"Please review it in Tūhono: /t/%s/notes/review (reference %s).\n", tx.Tenant.Name, tx.Tenant.Slug, g.ID),
		IdempotencyKey: "break-glass:" + g.ID.String(),
	})
}

// liveGrant reports whether user holds an unexpired grant on the note.
func liveGrant(tx *db.Tx, noteID, user uuid.UUID, now time.Time) (bool, error) {
	var n int64
	err := tx.Raw(`SELECT count(*) FROM note_break_glass WHERE tenant_id = ? AND note_id = ? AND user_id = ?
		AND granted_at <= ? AND expires_at > ?`, tx.Tenant.ID, noteID, user, now.UTC(), now.UTC()).Scan(&n).Error
	return n > 0, err
}

const grantColumns = `g.id, g.note_id, n.patient_id, g.user_id, g.reason, g.granted_at, g.expires_at,
	g.reviewed_at, g.reviewed_by, g.review_comment`

// ReviewQueue lists break-glass accesses not yet reviewed, oldest first.
func ReviewQueue(ctx context.Context, d *db.DB) ([]Grant, error) {
	var out []Grant
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT `+grantColumns+` FROM note_break_glass g JOIN notes n ON n.tenant_id = g.tenant_id
			AND n.id = g.note_id WHERE g.tenant_id = ? AND g.reviewed_at IS NULL ORDER BY g.granted_at, g.id`,
			tx.Tenant.ID).Scan(&out).Error
	})
	return out, wrap("ReviewQueue", err)
}

// Review closes a break-glass access with the reviewer's comment. Nobody
// reviews their own access; a grant is reviewed once.
func Review(ctx context.Context, d *db.DB, v Viewer, grantID uuid.UUID, comment string) (Grant, error) {
	comment, msg := text.Clean(comment, 1000)
	if msg == "" && comment == "" {
		msg = "write what the review found"
	}
	if msg != "" {
		return Grant{}, wrap("Review", fault.InvalidField("comment", msg))
	}
	var g Grant
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var gs []Grant
		if err := tx.Raw(`SELECT `+grantColumns+` FROM note_break_glass g JOIN notes n ON n.tenant_id = g.tenant_id
			AND n.id = g.note_id WHERE g.tenant_id = ? AND g.id = ? FOR UPDATE OF g`, tx.Tenant.ID, grantID).Scan(&gs).Error; err != nil {
			return err
		}
		switch {
		case len(gs) == 0:
			return fault.New(fault.KindNotFound, "break-glass access not found", nil)
		case gs[0].UserID == v.UserID:
			return fault.New(fault.KindForbidden, "someone else reviews your break-glass access", nil)
		case gs[0].ReviewedAt != nil:
			return fault.New(fault.KindConflict, "this access has already been reviewed", nil)
		}
		g = gs[0]
		now := time.Now().UTC()
		if err := tx.Exec(`UPDATE note_break_glass SET reviewed_at = ?, reviewed_by = ?, review_comment = ?
			WHERE tenant_id = ? AND id = ?`, now, v.UserID, comment, tx.Tenant.ID, grantID).Error; err != nil {
			return err
		}
		g.ReviewedAt, g.ReviewedBy, g.ReviewComment = &now, &v.UserID, &comment
		return audit.Record(tx, audit.Event{Action: ActionReview, ActorUserID: v.UserID, ActorRoles: v.Roles,
			PatientID: g.PatientID, Object: "note_break_glass", ObjectID: g.ID.String()})
	})
	return g, wrap("Review", err)
}
