package idempotency

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

const (
	// TTL is how long a key answers with its first response.
	TTL = 24 * time.Hour
	// Lease is how long a first attempt may stay in flight before a retry
	// may take the key over: beyond any request's timeout, so a live first
	// attempt is never overtaken and only a crashed one is.
	Lease = 2 * time.Minute
	// MaxKey is the longest key accepted, in bytes (printable ASCII).
	MaxKey = 200
)

// Request identifies one attempt: who sends it, under which key, to which
// operation, and a hash of what was sent.
type Request struct {
	UserID    uuid.UUID
	Key       string
	Operation string
	Hash      [32]byte
}

// Hash is the request hash of a method, path and body.
func Hash(method, path string, body []byte) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", method, path)
	h.Write(body)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Response is a stored answer.
type Response struct {
	Status      int
	ContentType string
	Location    string
	Body        []byte
}

// ErrInFlight is the conflict of a retry that arrives while the first attempt
// with its key is still running.
var ErrInFlight = &fault.Error{Kind: fault.KindConflict, RetryAfter: time.Second,
	Message: "a request with this Idempotency-Key is still being processed; retry shortly"}

// ErrMismatch refuses a key reused for a different request.
var ErrMismatch = fault.InvalidField("Idempotency-Key", "this key was already used for a different request")

// ValidKey reports whether key is 1–200 printable ASCII characters.
func ValidKey(key string) bool {
	if len(key) == 0 || len(key) > MaxKey {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

func (r Request) validate() error {
	var f fault.Fields
	if !ValidKey(r.Key) {
		f.Add("Idempotency-Key", "use 1–200 printable characters, such as a UUID")
	}
	if r.UserID == uuid.Nil {
		f.Add("user", "an idempotent request needs a signed-in caller")
	}
	if r.Operation == "" || len(r.Operation) > 200 {
		f.Add("operation", "unknown operation")
	}
	return f.Err()
}

// Begin claims the key for r in the tenant of ctx. It returns replay=true and
// the stored response when the same request already finished; ErrMismatch
// when the key was used for another request; ErrInFlight while the first
// attempt is running. Otherwise the key is now r's, in flight, and the caller
// must Finish or Abandon it.
//
// The claim is one INSERT … ON CONFLICT: of concurrent attempts exactly one
// inserts (or takes over an expired key, or the lease of a crashed attempt
// with the same request); the others wait for its commit and find it taken.
func Begin(ctx context.Context, d *db.DB, r Request) (resp Response, replay bool, err error) {
	if err := r.validate(); err != nil {
		return Response{}, false, fmt.Errorf("idempotency.Begin: %w", err)
	}
	err = d.InTenant(ctx, func(tx *db.Tx) error {
		var claimed []struct{ Claimed bool }
		if err := tx.Raw(`INSERT INTO idempotency_keys AS k (tenant_id, user_id, key, operation_id, request_hash, locked_until)
			VALUES (?, ?, ?, ?, ?, now() + make_interval(secs => ?))
			ON CONFLICT (tenant_id, user_id, key) DO UPDATE
			   SET operation_id = EXCLUDED.operation_id, request_hash = EXCLUDED.request_hash, status = NULL,
			       content_type = NULL, location = NULL, response_body = NULL,
			       locked_until = EXCLUDED.locked_until, created_at = now()
			 WHERE k.created_at <= now() - make_interval(secs => ?)
			    OR (k.status IS NULL AND k.locked_until <= now() AND k.request_hash = EXCLUDED.request_hash)
			RETURNING true AS claimed`,
			tx.Tenant.ID, r.UserID, r.Key, r.Operation, r.Hash[:], Lease.Seconds(), TTL.Seconds()).Scan(&claimed).Error; err != nil {
			return err
		}
		if len(claimed) == 1 {
			return nil
		}
		var rows []struct {
			OperationID  string
			RequestHash  []byte
			Status       *int
			ContentType  *string
			Location     *string
			ResponseBody []byte
		}
		if err := tx.Raw(`SELECT operation_id, request_hash, status, content_type, location, response_body
			FROM idempotency_keys WHERE user_id = ? AND key = ?`, r.UserID, r.Key).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) != 1 {
			// Deleted between the two statements (an abandoned attempt):
			// the caller may simply retry.
			return ErrInFlight
		}
		k := rows[0]
		switch {
		case k.OperationID != r.Operation || string(k.RequestHash) != string(r.Hash[:]):
			return ErrMismatch
		case k.Status == nil:
			return ErrInFlight
		}
		resp, replay = Response{Status: *k.Status, Body: k.ResponseBody}, true
		if k.ContentType != nil {
			resp.ContentType = *k.ContentType
		}
		if k.Location != nil {
			resp.Location = *k.Location
		}
		return nil
	})
	if err != nil {
		return Response{}, false, fmt.Errorf("idempotency.Begin: %w", err)
	}
	return resp, replay, nil
}

// Finish stores the response to a claimed key. Only answers below 500 are
// stored (a server failure is Abandoned instead, so a retry can succeed).
func Finish(ctx context.Context, d *db.DB, r Request, resp Response) error {
	if resp.Status < 200 || resp.Status > 499 {
		return fmt.Errorf("idempotency.Finish: %w", fault.InvalidField("status", "only a 2xx–4xx answer is kept"))
	}
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(`UPDATE idempotency_keys SET status = ?, content_type = ?, location = ?, response_body = ?, locked_until = NULL
			WHERE user_id = ? AND key = ? AND status IS NULL AND request_hash = ?`,
			resp.Status, nullText(resp.ContentType), nullText(resp.Location), resp.Body, r.UserID, r.Key, r.Hash[:]).Error
	})
	if err != nil {
		return fmt.Errorf("idempotency.Finish: %w", err)
	}
	return nil
}

// Abandon forgets a claimed key whose attempt failed on the server's side.
func Abandon(ctx context.Context, d *db.DB, r Request) error {
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Exec(`DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND status IS NULL AND request_hash = ?`,
			r.UserID, r.Key, r.Hash[:]).Error
	})
	if err != nil {
		return fmt.Errorf("idempotency.Abandon: %w", err)
	}
	return nil
}

// Sweep deletes the tenant's keys older than TTL and reports how many went.
// Expired keys are also replaced in place by Begin; the sweep only bounds
// the table's size.
func Sweep(ctx context.Context, d *db.DB) (int64, error) {
	var n int64
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		res := tx.Exec(`DELETE FROM idempotency_keys WHERE created_at <= now() - make_interval(secs => ?)`, TTL.Seconds())
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("idempotency.Sweep: %w", err)
	}
	return n, nil
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}
