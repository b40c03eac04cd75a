package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Actions in use. An action is "area.verb" in lower case; domain packages may
// add their own of that shape.
const (
	ActionSigninSuccess     = "signin.success"
	ActionSigninFailure     = "signin.failure"
	ActionSignout           = "signout"
	ActionMFAEnrol          = "mfa.enrol"
	ActionMFARemove         = "mfa.remove"
	ActionRecoveryUsed      = "recovery.used"
	ActionPasswordChange    = "password.change"
	ActionPasswordReset     = "password.reset"
	ActionRoleGrant         = "role.grant"
	ActionRoleRevoke        = "role.revoke"
	ActionMembershipCreate  = "membership.create"
	ActionMembershipSuspend = "membership.suspend"
	ActionMembershipEnd     = "membership.end"
	ActionInvitationCreate  = "invitation.create"
	ActionInvitationAccept  = "invitation.accept"
	ActionTokenCreate       = "token.create"
	ActionTokenRevoke       = "token.revoke"
	ActionAuthzDeny         = "authz.deny"
	ActionRecordRead        = "record.read"
	ActionRecordCreate      = "record.create"
	ActionRecordUpdate      = "record.update"
	ActionExport            = "export"
)

// Outcomes. The empty outcome is recorded as OutcomeOK.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
	OutcomeFailed = "failed"
)

// Event is one thing that happened. Zero ids and empty strings are recorded
// as absent. Reason and Detail must never carry patient details: name the
// patient by PatientID, the record by Object and ObjectID.
type Event struct {
	Action        string // "record.read"; see the Action constants
	ActorUserID   uuid.UUID
	SubjectUserID uuid.UUID // whose account
	PatientID     uuid.UUID // whose health record
	ActorRoles    []string  // the actor's roles at the tenant when it happened
	Object        string    // kind of thing acted on: "note", "token", "staff"
	ObjectID      string
	Outcome       string // OutcomeOK (default), OutcomeDenied, OutcomeFailed
	Reason        string // why: the purpose of access, or why it failed
	IP            string // the client's address, as the edge resolved it
	RequestID     string
	Detail        map[string]string // small: ids and labels
}

// Limits, in runes (the database checks the same in characters).
const (
	maxAction     = 64
	maxRoles      = 20
	maxRole       = 64
	maxObject     = 100
	maxObjectID   = 200
	maxReason     = 500
	maxRequestID  = 100
	maxDetailKeys = 20
	maxDetailKey  = 64
	maxDetailVal  = 500
)

// An action is "area.verb" — "signout" and "export" stand alone.
var actionShape = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z][a-z_]*)*$`)

// validate checks e and returns it with text NFC-normalised and the default
// outcome filled in; every bad field is reported at once.
func (e Event) validate() (Event, error) {
	var f fault.Fields
	text := func(field string, s *string, max int) {
		*s = norm.NFC.String(strings.TrimSpace(*s))
		switch {
		case !utf8.ValidString(*s) || strings.ContainsRune(*s, 0):
			f.Add(field, "must be valid text without NUL characters")
		case utf8.RuneCountInString(*s) > max:
			f.Add(field, fmt.Sprintf("must be at most %d characters", max))
		}
	}
	text("action", &e.Action, maxAction)
	if e.Action == "" || !actionShape.MatchString(e.Action) {
		f.Add("action", `must look like "area.verb" in lower case`)
	}
	if e.Outcome == "" {
		e.Outcome = OutcomeOK
	}
	switch e.Outcome {
	case OutcomeOK, OutcomeDenied, OutcomeFailed:
	default:
		f.Add("outcome", "must be ok, denied or failed")
	}
	if len(e.ActorRoles) > maxRoles {
		f.Add("actor_roles", fmt.Sprintf("at most %d roles", maxRoles))
	}
	roles := make([]string, 0, len(e.ActorRoles))
	for _, r := range e.ActorRoles {
		text("actor_roles", &r, maxRole)
		if r != "" {
			roles = append(roles, r)
		}
	}
	e.ActorRoles = roles
	text("object", &e.Object, maxObject)
	text("object_id", &e.ObjectID, maxObjectID)
	text("reason", &e.Reason, maxReason)
	text("request_id", &e.RequestID, maxRequestID)
	e.IP = strings.TrimSpace(e.IP)
	if e.IP != "" {
		a, err := netip.ParseAddr(e.IP)
		if err != nil {
			f.Add("ip", "must be an IP address")
		} else {
			e.IP = a.Unmap().WithZone("").String()
		}
	}
	if len(e.Detail) > maxDetailKeys {
		f.Add("detail", fmt.Sprintf("at most %d entries", maxDetailKeys))
	}
	if e.Detail != nil {
		d := make(map[string]string, len(e.Detail))
		for k, v := range e.Detail {
			text("detail", &k, maxDetailKey)
			text("detail", &v, maxDetailVal)
			if k == "" {
				f.Add("detail", "keys must not be empty")
			}
			d[k] = v
		}
		e.Detail = d
	}
	return e, f.Err()
}

// Record appends e to the trail of the tenant of tx, in tx: the event commits
// or rolls back with the work it describes. It is one INSERT; the time is the
// transaction's (now()). tx must come from InTenant (a ReadInTenant
// transaction has room for one statement only).
func Record(tx *db.Tx, e Event) error {
	if tx.Tenant.ID == uuid.Nil {
		return fmt.Errorf("audit.Record: %w", db.ErrNoTenant)
	}
	e, err := e.validate()
	if err != nil {
		return fmt.Errorf("audit.Record: %w", err)
	}
	args, err := insertArgs(e)
	if err != nil {
		return fmt.Errorf("audit.Record: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("audit.Record: %w", err)
	}
	args = append([]any{tx.Tenant.ID, id}, args...)
	if err := tx.Exec(insertTenantEvent, args...).Error; err != nil {
		return fmt.Errorf("audit.Record: %w", db.Translate(err))
	}
	return nil
}

// RecordAtCommit is Record sent with the transaction's COMMIT (db.Tx.AtCommit):
// for the event of a read, which needs no statement after it, it costs no
// round trip of its own. It is still all or nothing with the work: if the
// transaction fails, the event is not written, and if the event cannot be
// written, the transaction fails.
func RecordAtCommit(tx *db.Tx, e Event) {
	tx.AtCommit(func(tx *db.Tx) error { return Record(tx, e) })
}

// RecordPlatform appends e to the platform's trail in its own short
// transaction, so it stands whatever happens to the caller's work: events of
// no tenant, such as a failed sign-in for an unknown e-mail address or a
// platform operator's action.
func RecordPlatform(ctx context.Context, d *db.DB, e Event) error {
	e, err := e.validate()
	if err != nil {
		return fmt.Errorf("audit.RecordPlatform: %w", err)
	}
	args, err := insertArgs(e)
	if err != nil {
		return fmt.Errorf("audit.RecordPlatform: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("audit.RecordPlatform: %w", err)
	}
	args = append([]any{id}, args...)
	err = d.Platform(ctx, "record platform audit event", func(tx *db.Tx) error {
		return tx.Exec(insertPlatformEvent, args...).Error
	})
	if err != nil {
		return fmt.Errorf("audit.RecordPlatform: %w", err)
	}
	return nil
}

const eventColumns = `action, actor_user_id, actor_roles, subject_user_id, patient_id,
	object, object_id, outcome, reason, ip, request_id, detail`

const eventValues = `?, ?, ?::text[], ?, ?, ?, ?, ?, ?, ?::inet, ?, ?::jsonb`

var (
	insertTenantEvent   = `INSERT INTO audit_events (tenant_id, id, ` + eventColumns + `) VALUES (?, ?, ` + eventValues + `)`
	insertPlatformEvent = `INSERT INTO platform_audit_events (id, ` + eventColumns + `) VALUES (?, ` + eventValues + `)`
)

// insertArgs are the values for eventColumns. Arrays and JSON travel as
// literals: GORM would expand a Go slice into a list.
func insertArgs(e Event) ([]any, error) {
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return nil, err
		}
	}
	return []any{
		e.Action, nullUUID(e.ActorUserID), textArray(e.ActorRoles), nullUUID(e.SubjectUserID), nullUUID(e.PatientID),
		nullText(e.Object), nullText(e.ObjectID), e.Outcome, nullText(e.Reason), nullText(e.IP), nullText(e.RequestID),
		string(detail),
	}, nil
}

func nullUUID(id uuid.UUID) uuid.NullUUID { return uuid.NullUUID{UUID: id, Valid: id != uuid.Nil} }

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// textArray writes a PostgreSQL array literal, every element quoted.
func textArray(items []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range s {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}
