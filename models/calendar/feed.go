package calendar

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// FeedInfo is a practitioner's live feed, without its secret (which is shown
// once, when made, and never stored).
type FeedInfo struct {
	ID             uuid.UUID
	PractitionerID uuid.UUID
	CreatedAt      time.Time
}

// The feed's window: a month back (for "when did I see…"), three ahead.
const (
	FeedPast   = 30 * 24 * time.Hour
	FeedFuture = 90 * 24 * time.Hour
)

// secretBytes is the feed secret's entropy: 256 bits, 43 characters of
// base64url. The URL is the only credential a calendar client can keep.
const secretBytes = 32

var errNoFeed = fault.New(fault.KindNotFound, "calendar feed not found", nil)

// ErrFeedExists: a practitioner has one live feed; rotate it for a new URL.
var ErrFeedExists = fault.New(fault.KindConflict, "you already have a calendar feed: rotate it for a new address", nil)

// practitionerRoles are the roles that have appointments of their own.
var practitionerRoles = []string{"hip", "health_coach", "support_worker"}

// CurrentFeed returns the practitioner's live feed; ok is false when there is
// none.
func CurrentFeed(ctx context.Context, d *db.DB, practitionerID uuid.UUID) (FeedInfo, bool, error) {
	var rows []FeedInfo
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT id, practitioner_id, created_at FROM calendar_feeds
			WHERE tenant_id = ? AND practitioner_id = ? AND revoked_at IS NULL`, tx.Tenant.ID, practitionerID).Scan(&rows).Error
	})
	if err != nil {
		return FeedInfo{}, false, fmt.Errorf("calendar.CurrentFeed: %w", db.Translate(err))
	}
	if len(rows) == 0 {
		return FeedInfo{}, false, nil
	}
	return rows[0], true, nil
}

// CreateFeed makes the practitioner's feed and returns its secret, the only
// time it is seen. Only an active HIP, Health Coach or Support Worker here
// has one; one who already has a live feed gets ErrFeedExists.
func CreateFeed(ctx context.Context, d *db.DB, actor, practitionerID uuid.UUID) (string, FeedInfo, error) {
	var secret string
	var f FeedInfo
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		if err := checkPractitioner(tx, practitionerID); err != nil {
			return err
		}
		var err error
		secret, f, err = insertFeed(tx, actor, practitionerID)
		return err
	})
	if err != nil {
		return "", FeedInfo{}, fmt.Errorf("calendar.CreateFeed: %w", err)
	}
	return secret, f, nil
}

// RotateFeed revokes the live feed, if any, and makes a new one in the same
// transaction: the old URL stops working the moment the new one exists.
func RotateFeed(ctx context.Context, d *db.DB, actor, practitionerID uuid.UUID) (string, FeedInfo, error) {
	var secret string
	var f FeedInfo
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		if err := checkPractitioner(tx, practitionerID); err != nil {
			return err
		}
		if _, err := revoke(tx, actor, practitionerID); err != nil {
			return err
		}
		var err error
		secret, f, err = insertFeed(tx, actor, practitionerID)
		return err
	})
	if err != nil {
		return "", FeedInfo{}, fmt.Errorf("calendar.RotateFeed: %w", err)
	}
	return secret, f, nil
}

// RevokeFeed stops the practitioner's live feed. With none live it is not
// found.
func RevokeFeed(ctx context.Context, d *db.DB, actor, practitionerID uuid.UUID) error {
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		n, err := revoke(tx, actor, practitionerID)
		if err != nil {
			return err
		}
		if n == 0 {
			return errNoFeed
		}
		return audit.Record(tx, audit.Event{Action: audit.ActionTokenRevoke, ActorUserID: actor,
			SubjectUserID: practitionerID, Object: "calendar_feed"})
	})
	if err != nil {
		return fmt.Errorf("calendar.RevokeFeed: %w", err)
	}
	return nil
}

func checkPractitioner(tx *db.Tx, id uuid.UUID) error {
	var rows []struct{ Has bool }
	if err := tx.Raw(`SELECT roles && ?::text[] AS has FROM memberships WHERE user_id = ? AND status = 'active'`,
		pq.StringArray(practitionerRoles), id).Scan(&rows).Error; err != nil {
		return db.Translate(err)
	}
	if len(rows) == 0 {
		return fault.New(fault.KindNotFound, "practitioner not found", nil)
	}
	if !rows[0].Has {
		return fault.New(fault.KindForbidden, "only a HIP, Health Coach or Support Worker has a calendar feed", nil)
	}
	return nil
}

func revoke(tx *db.Tx, actor, practitionerID uuid.UUID) (int64, error) {
	r := tx.Exec(`UPDATE calendar_feeds SET revoked_at = now(), revoked_by = ?
		WHERE tenant_id = ? AND practitioner_id = ? AND revoked_at IS NULL`, actor, tx.Tenant.ID, practitionerID)
	return r.RowsAffected, db.Translate(r.Error)
}

func insertFeed(tx *db.Tx, actor, practitionerID uuid.UUID) (string, FeedInfo, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", FeedInfo{}, err
	}
	secret := base64.RawURLEncoding.EncodeToString(b)
	f := FeedInfo{ID: uuid.Must(uuid.NewV7()), PractitionerID: practitionerID}
	err := tx.Raw(`INSERT INTO calendar_feeds (tenant_id, id, practitioner_id, secret_hash, created_by)
		VALUES (?, ?, ?, ?, ?) RETURNING created_at`, tx.Tenant.ID, f.ID, practitionerID, hash(secret), actor).
		Row().Scan(&f.CreatedAt)
	if err != nil {
		if errors.Is(db.Translate(err), fault.Conflict) {
			return "", FeedInfo{}, ErrFeedExists
		}
		return "", FeedInfo{}, db.Translate(err)
	}
	f.CreatedAt = f.CreatedAt.UTC()
	if err := audit.Record(tx, audit.Event{Action: audit.ActionTokenCreate, ActorUserID: actor,
		SubjectUserID: practitionerID, Object: "calendar_feed", ObjectID: f.ID.String()}); err != nil {
		return "", FeedInfo{}, err
	}
	return secret, f, nil
}

func hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// validSecret: what CreateFeed hands out, so anything else is refused before
// the database is asked.
func validSecret(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(secretBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// Feed renders the calendar behind a secret: the practitioner's
// appointments from FeedPast ago to FeedFuture ahead as RFC 5545 text, with
// no patient names or details, in one statement. A wrong or revoked secret,
// or a practitioner no longer active here, is not found.
func Feed(ctx context.Context, d *db.DB, secret string) ([]byte, error) {
	if !validSecret(secret) {
		return nil, fmt.Errorf("calendar.Feed: %w", errNoFeed)
	}
	at := now().UTC()
	var rows []struct {
		PractitionerID uuid.UUID
		ID             uuid.NullUUID
		Kind           *string
		Mode           *string
		ServiceLine    *string
		Status         *string
		StartsAt       *time.Time
		EndsAt         *time.Time
		UpdatedAt      *time.Time
	}
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		// Held slots are a GP's few minutes of indecision, not appointments.
		return tx.Raw(`WITH f AS (
				SELECT cf.tenant_id, cf.practitioner_id FROM calendar_feeds cf
				JOIN memberships m ON m.tenant_id = cf.tenant_id AND m.user_id = cf.practitioner_id AND m.status = 'active'
				WHERE cf.tenant_id = ? AND cf.secret_hash = ? AND cf.revoked_at IS NULL)
			SELECT f.practitioner_id, a.id, a.kind, a.mode, a.service_line, a.status, a.starts_at, a.ends_at, a.updated_at
			FROM f LEFT JOIN appointments a ON a.tenant_id = f.tenant_id AND a.practitioner_id = f.practitioner_id
				AND a.starts_at >= ? AND a.starts_at < ? AND a.status <> 'held'
			ORDER BY a.starts_at, a.id`, tx.Tenant.ID, hash(secret), at.Add(-FeedPast), at.Add(FeedFuture)).Scan(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("calendar.Feed: %w", db.Translate(err))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("calendar.Feed: %w", errNoFeed)
	}
	var events []event
	for _, r := range rows {
		if !r.ID.Valid {
			continue // the feed exists and has nothing in its window
		}
		events = append(events, event{ID: r.ID.UUID, Kind: booking.Kind(*r.Kind), Mode: booking.Mode(*r.Mode),
			Line: booking.ServiceLine(*r.ServiceLine), Status: booking.Status(*r.Status),
			Start: *r.StartsAt, End: *r.EndsAt, Modified: *r.UpdatedAt})
	}
	return renderICS(at, events), nil
}
