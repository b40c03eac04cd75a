package audit

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
)

// Entry is one event as the tenant's audit page shows it.
type Entry struct {
	ID            uuid.UUID
	At            time.Time
	Action        string
	ActorUserID   uuid.UUID
	ActorRoles    []string
	SubjectUserID uuid.UUID
	PatientID     uuid.UUID
	Object        string
	ObjectID      string
	Outcome       string
	Reason        string
	IP            string
	RequestID     string
	Detail        map[string]string
	Seq           int64 // its place in the tenant's chain; 0 until sealed
}

// MaxList is the most entries List returns at once.
const MaxList = 500

// List returns the events of the tenant of tx since the given time (all,
// when zero), newest first, at most limit (1–MaxList). One statement, so tx
// may come from ReadInTenant.
func List(tx *db.Tx, since time.Time, limit int) ([]Entry, error) {
	if tx.Tenant.ID == uuid.Nil {
		return nil, fmt.Errorf("audit.List: %w", db.ErrNoTenant)
	}
	limit = min(max(limit, 1), MaxList)
	rows, err := tx.Raw(`SELECT e.id, e.at, e.action, e.actor_user_id, to_json(e.actor_roles)::text,
			e.subject_user_id, e.patient_id, e.object, e.object_id, e.outcome, e.reason, host(e.ip),
			e.request_id, e.detail::text, s.seq
		FROM audit_events e
		LEFT JOIN audit_seals s ON s.tenant_id = e.tenant_id AND s.event_id = e.id
		WHERE e.tenant_id = ? AND e.at >= ?
		ORDER BY e.at DESC, e.id DESC LIMIT ?`, tx.Tenant.ID, since.UTC(), limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("audit.List: %w", db.Translate(err))
	}
	defer rows.Close()
	out := make([]Entry, 0, limit)
	for rows.Next() {
		var e Entry
		var actor, subject, patient uuid.NullUUID
		var object, objectID, reason, ip, requestID sql.NullString
		var roles, detail string
		var seq sql.NullInt64
		if err := rows.Scan(&e.ID, &e.At, &e.Action, &actor, &roles, &subject, &patient, &object, &objectID,
			&e.Outcome, &reason, &ip, &requestID, &detail, &seq); err != nil {
			return nil, fmt.Errorf("audit.List: %w", db.Translate(err))
		}
		if err := json.Unmarshal([]byte(roles), &e.ActorRoles); err != nil {
			return nil, fmt.Errorf("audit.List: roles of %s: %w", e.ID, err)
		}
		if e.Detail, err = detailMap(detail); err != nil {
			return nil, fmt.Errorf("audit.List: detail of %s: %w", e.ID, err)
		}
		e.ActorUserID, e.SubjectUserID, e.PatientID = actor.UUID, subject.UUID, patient.UUID
		e.Object, e.ObjectID, e.Reason, e.IP, e.RequestID = object.String, objectID.String, reason.String, ip.String, requestID.String
		e.Seq = seq.Int64
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit.List: %w", db.Translate(err))
	}
	return out, nil
}

// detailMap reads detail back. Record writes only strings; anything else
// (someone's hand in the table) is shown as its JSON text, not refused.
func detailMap(s string) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var str string
		if json.Unmarshal(v, &str) == nil {
			out[k] = str
		} else {
			out[k] = string(v)
		}
	}
	return out, nil
}
