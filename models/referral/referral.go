package referral

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tuhono/tuhono/models/text"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Need is one of the social and cultural needs a person is referred for.
type Need string

// The fixed vocabulary of needs (migration 00017 checks the same codes).
const (
	NeedHousing   Need = "housing"
	NeedIncome    Need = "income"
	NeedWhanau    Need = "whanau" // whānau / family
	NeedWork      Need = "work"
	NeedStress    Need = "stress"
	NeedFood      Need = "food"
	NeedTransport Need = "transport"
	NeedLegal     Need = "legal"
	NeedOther     Need = "other"
)

// Needs lists every need in the order forms show them.
var Needs = []Need{NeedHousing, NeedIncome, NeedWhanau, NeedWork, NeedStress, NeedFood, NeedTransport, NeedLegal, NeedOther}

// Label is the need as people read it (NZ English, te reo with macrons).
func (n Need) Label() string {
	switch n {
	case NeedWhanau:
		return "Whānau / family"
	case NeedIncome:
		return "Income, budget"
	}
	s := string(n)
	return strings.ToUpper(s[:1]) + s[1:]
}

// Status is where a referral is in its lifecycle.
type Status string

const (
	StatusReferred  Status = "referred"  // waiting for a Support Worker
	StatusAccepted  Status = "accepted"  // a Support Worker took it
	StatusContacted Status = "contacted" // first contact made
	StatusActive    Status = "active"    // support sessions under way
	StatusClosed    Status = "closed"
)

// Outcome is how an episode ended.
type Outcome string

const (
	OutcomeNeedsMet          Outcome = "needs_met"
	OutcomePartlyMet         Outcome = "partly_met"
	OutcomeDeclined          Outcome = "declined"
	OutcomeLostContact       Outcome = "lost_contact"
	OutcomeReferredElsewhere Outcome = "referred_elsewhere"
	OutcomeOther             Outcome = "other"
)

// Outcomes lists every outcome in the order forms show them.
var Outcomes = []Outcome{OutcomeNeedsMet, OutcomePartlyMet, OutcomeDeclined, OutcomeLostContact, OutcomeReferredElsewhere, OutcomeOther}

// Label is the outcome as people read it.
func (o Outcome) Label() string {
	s := strings.ReplaceAll(string(o), "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// DefaultTargetDays is the contact target when the practice has not set one:
// Support Workers are typically available within 1–2 days (DOMAIN.md).
const DefaultTargetDays = 2

// ReviewAfterMonths is how long an episode runs before it prompts a review: support
// is brief, up to about three months (DOMAIN.md).
const ReviewAfterMonths = 3

const maxNote = 2000

// NewReferral is what a HIP or Health Coach asks for.
type NewReferral struct {
	PatientID uuid.UUID
	Needs     []Need
	Note      string
	// Consent: the person agreed to be referred. ConsentAt is when (now
	// when zero); the referrer is recorded as who recorded it.
	Consent   bool
	ConsentAt time.Time
}

// Referral is one referral as stored, with its derived counts.
type Referral struct {
	ID                uuid.UUID
	PatientID         uuid.UUID
	PatientName       string // for the worker's screens; never logged
	ReferredBy        uuid.UUID
	Needs             []Need
	Note              string
	ConsentRecordedBy uuid.UUID
	ConsentAt         time.Time
	ReferredAt        time.Time
	// DueBy is the last local day (the practice's zone) for first contact,
	// as a date at midnight UTC.
	DueBy          time.Time
	Status         Status
	WorkerID       uuid.UUID
	AcceptedAt     time.Time
	FirstContactAt time.Time
	ClosedBy       uuid.UUID
	ClosedAt       time.Time
	Outcome        Outcome
	OutcomeNote    string
	Sessions       int // contacts that reached the person after the first
	CreatedAt      time.Time
}

// Open reports whether the episode is still running.
func (r Referral) Open() bool { return r.Status != StatusClosed }

// Validate checks the request's own fields and reports each bad one.
func (n *NewReferral) Validate(now time.Time) error {
	var f fault.Fields
	if n.PatientID == uuid.Nil {
		f.Add("patient_id", "choose the person to refer")
	}
	if len(n.Needs) == 0 {
		f.Add("needs", "choose at least one need")
	}
	seen := map[Need]bool{}
	for _, x := range n.Needs {
		if !slices.Contains(Needs, x) {
			f.Add("needs", "choose needs from the list")
			break
		}
		if seen[x] {
			f.Add("needs", "choose each need once")
			break
		}
		seen[x] = true
	}
	var msg string
	if n.Note, msg = text.Clean(n.Note, maxNote); msg != "" {
		f.Add("note", msg)
	}
	if !n.Consent {
		f.Add("consent", "a referral needs the person's consent: record that they agreed")
	}
	if !n.ConsentAt.IsZero() && n.ConsentAt.After(now.Add(5*time.Minute)) {
		f.Add("consent_at", "consent cannot be recorded in the future")
	}
	return f.Err()
}

// DueBy is the last day for first contact: the referral's calendar day in the
// practice's zone plus the target in calendar days (not working days: there
// is no published rule, and Support Workers are community-based and work
// across the week; the target is the practice's to set). Contact is due by
// the end of that local day. The result is the date at midnight UTC.
func DueBy(referredAt time.Time, loc *time.Location, targetDays int) time.Time {
	y, m, d := referredAt.In(loc).Date()
	return time.Date(y, m, d+targetDays, 0, 0, 0, 0, time.UTC)
}

// localDay is t's calendar day in loc, as a date at midnight UTC.
func localDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Create records a referral in the tenant of ctx. The referrer must be an
// active HIP or Health Coach here; the person must have agreed; a foreign
// patient id is not found.
func Create(ctx context.Context, d *db.DB, actor uuid.UUID, n NewReferral, now time.Time) (Referral, error) {
	if err := n.Validate(now); err != nil {
		return Referral{}, fmt.Errorf("referral.Create: %w", err)
	}
	consentAt := n.ConsentAt
	if consentAt.IsZero() {
		consentAt = now
	}
	var out Referral
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		if err := patientExists(tx, n.PatientID); err != nil {
			return err
		}
		if err := mustHold(tx, actor, "only a HIP or Health Coach of this practice can refer to a Support Worker",
			"hip", "health_coach"); err != nil {
			return err
		}
		target, err := targetDays(tx)
		if err != nil {
			return err
		}
		id := uuid.Must(uuid.NewV7())
		needs := make([]string, len(n.Needs))
		for i, x := range n.Needs {
			needs[i] = string(x)
		}
		due := DueBy(now, tx.Tenant.Location(), target)
		if err := tx.Exec(`INSERT INTO referrals (tenant_id, id, patient_id, referred_by, needs, note,
				consent_recorded_by, consent_at, referred_at, due_by, status)
			VALUES (?, ?, ?, ?, ?::text[], ?, ?, ?, ?, ?, 'referred')`,
			tx.Tenant.ID, id, n.PatientID, actor, pq.StringArray(needs), n.Note, actor, consentAt.UTC(), now.UTC(),
			due.Format(time.DateOnly)).Error; err != nil {
			return err
		}
		if out, err = load(tx, id, false); err != nil {
			return err
		}
		return audit.Record(tx, event(ctx, audit.ActionRecordCreate, actor, out, "referred to a Support Worker"))
	})
	if err != nil {
		return Referral{}, fmt.Errorf("referral.Create: %w", err)
	}
	return out, nil
}

// Get reads one referral and records the read.
func Get(ctx context.Context, d *db.DB, id uuid.UUID) (Referral, error) {
	var out Referral
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		if out, err = load(tx, id, false); err != nil {
			return err
		}
		return audit.Record(tx, event(ctx, audit.ActionRecordRead, uuid.Nil, out, "referral viewed"))
	})
	if err != nil {
		return Referral{}, fmt.Errorf("referral.Get: %w", err)
	}
	return out, nil
}

func patientExists(tx *db.Tx, id uuid.UUID) error {
	var n int64
	if err := tx.Raw(`SELECT count(*) FROM patients WHERE id = ?`, id).Scan(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return fault.New(fault.KindNotFound, "patient not found", nil)
	}
	return nil
}

// mustHold refuses a user who is not an active member here holding one of
// the roles: a domain rule beside the policy's coarser "may refer".
func mustHold(tx *db.Tx, user uuid.UUID, message string, roles ...string) error {
	var has []bool
	if err := tx.Raw(`SELECT roles && ?::text[] FROM memberships WHERE user_id = ? AND status = 'active'`,
		pq.StringArray(roles), user).Scan(&has).Error; err != nil {
		return err
	}
	if len(has) == 0 || !has[0] {
		return fault.New(fault.KindForbidden, message, nil)
	}
	return nil
}

// targetDays is the practice's contact target, or the default when it has
// no settings row.
func targetDays(tx *db.Tx) (int, error) {
	var days []int
	if err := tx.Raw(`SELECT support_contact_target_days FROM tenant_settings WHERE tenant_id = ?`, tx.Tenant.ID).
		Scan(&days).Error; err != nil {
		return 0, err
	}
	if len(days) == 0 {
		return DefaultTargetDays, nil
	}
	return days[0], nil
}

const columns = `r.id, r.patient_id, coalesce(nullif(p.preferred_name, ''), p.given_names) || ' ' || p.family_name AS patient_name,
	r.referred_by, r.needs, r.note, r.consent_recorded_by, r.consent_at, r.referred_at, r.due_by, r.status, r.worker_id,
	r.accepted_at, r.first_contact_at, r.closed_by, r.closed_at, r.outcome, r.outcome_note, r.created_at,
	(SELECT count(*) FROM referral_contacts c WHERE c.tenant_id = r.tenant_id AND c.referral_id = r.id
	   AND c.outcome = 'reached' AND c.at > r.first_contact_at) AS sessions`

const from = ` FROM referrals r JOIN patients p ON p.tenant_id = r.tenant_id AND p.id = r.patient_id`

type row struct {
	ID                uuid.UUID
	PatientID         uuid.UUID
	PatientName       string
	ReferredBy        uuid.UUID
	Needs             pq.StringArray `gorm:"type:text[]"`
	Note              string
	ConsentRecordedBy uuid.UUID
	ConsentAt         time.Time
	ReferredAt        time.Time
	DueBy             time.Time
	Status            string
	WorkerID          uuid.NullUUID
	AcceptedAt        *time.Time
	FirstContactAt    *time.Time
	ClosedBy          uuid.NullUUID
	ClosedAt          *time.Time
	Outcome           *string
	OutcomeNote       string
	CreatedAt         time.Time
	Sessions          int
}

func (r row) referral() Referral {
	t := func(p *time.Time) time.Time {
		if p == nil {
			return time.Time{}
		}
		return p.UTC()
	}
	y, m, d := r.DueBy.Date()
	out := Referral{ID: r.ID, PatientID: r.PatientID, PatientName: r.PatientName, ReferredBy: r.ReferredBy,
		Note: r.Note, ConsentRecordedBy: r.ConsentRecordedBy, ConsentAt: r.ConsentAt.UTC(), ReferredAt: r.ReferredAt.UTC(),
		DueBy: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Status: Status(r.Status), WorkerID: r.WorkerID.UUID,
		AcceptedAt: t(r.AcceptedAt), FirstContactAt: t(r.FirstContactAt), ClosedBy: r.ClosedBy.UUID,
		ClosedAt: t(r.ClosedAt), OutcomeNote: r.OutcomeNote, Sessions: r.Sessions, CreatedAt: r.CreatedAt.UTC()}
	for _, n := range r.Needs {
		out.Needs = append(out.Needs, Need(n))
	}
	if r.Outcome != nil {
		out.Outcome = Outcome(*r.Outcome)
	}
	return out
}

// load reads one referral, locking it when it is about to change.
func load(tx *db.Tx, id uuid.UUID, forUpdate bool) (Referral, error) {
	q := `SELECT ` + columns + from + ` WHERE r.id = ?`
	if forUpdate {
		q += ` FOR UPDATE OF r`
	}
	var r row
	if err := tx.Raw(q, id).Take(&r).Error; err != nil {
		return Referral{}, err
	}
	return r.referral(), nil
}

// event is the audit event of a referral change or read: the patient by id,
// the status as detail, never the note or needs.
func event(ctx context.Context, action string, actor uuid.UUID, r Referral, reason string) audit.Event {
	e := audit.Event{Action: action, ActorUserID: actor, PatientID: r.PatientID, Object: "referral",
		ObjectID: r.ID.String(), Reason: reason, Detail: map[string]string{"status": string(r.Status)}}
	if a, ok := tenants.ActorFrom(ctx); ok {
		if e.ActorUserID == uuid.Nil {
			e.ActorUserID = a.UserID
		}
		if a.UserID == e.ActorUserID {
			e.ActorRoles = a.Roles
		}
	}
	return e
}
