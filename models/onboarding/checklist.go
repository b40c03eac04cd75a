package onboarding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// The onboarding checklist is computed from the state of the practice every
// time it is read, never ticked by hand: a practice admin who leaves un-ticks
// "practice admin accepted" without anyone remembering to.

// State is where one checklist item stands.
type State string

const (
	StateDone        State = "done"
	StateTodo        State = "todo"
	StateUnavailable State = "unavailable" // the feature it depends on does not exist yet
)

// Item is one line of the checklist.
type Item struct {
	Key      string
	Label    string
	State    State
	Required bool   // go-live waits for it (only items that can be done are required)
	Detail   string // what is missing, or why it cannot be done yet
}

// Checklist is one practice's progress towards going live.
type Checklist struct {
	TenantID uuid.UUID
	Items    []Item
}

// Ready reports whether every required item is done.
func (c Checklist) Ready() bool {
	for _, it := range c.Items {
		if it.Required && it.State != StateDone {
			return false
		}
	}
	return true
}

// Progress counts the items done out of those that can be done now.
func (c Checklist) Progress() (done, total int) {
	for _, it := range c.Items {
		if it.State == StateUnavailable {
			continue
		}
		total++
		if it.State == StateDone {
			done++
		}
	}
	return done, total
}

// facts is the state one checklist is computed from.
type facts struct {
	AdminActive  bool // a live membership carrying practice_admin
	AdminInvited bool // an open invitation carrying practice_admin
	Clinicians   int  // live memberships carrying hip or health_coach
	Enrolled     bool // enrolled population rows for the current quarter
}

// FiscalQuarter names the New Zealand public-sector fiscal quarter t falls
// in, as read in loc, in the enrolment table's form (00009): the year runs 1
// July to 30 June and is named by the year it ends in, so November 2026 is
// "FY2027-Q2".
func FiscalQuarter(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	y, m := t.Year(), int(t.Month())
	if m >= 7 {
		y++
	}
	q := ((m+5)%12)/3 + 1
	return fmt.Sprintf("FY%d-Q%d", y, q)
}

// quarterLabel is the quarter as people read it: "FY2027 Q2".
func quarterLabel(q string) string { return strings.Replace(q, "-", " ", 1) }

func build(id uuid.UUID, f facts, quarter string) Checklist {
	admin := Item{Key: "practice_admin", Label: "Practice administrator invited and accepted", Required: true, State: StateTodo}
	switch {
	case f.AdminActive:
		admin.State = StateDone
	case f.AdminInvited:
		admin.Detail = "Invitation sent: waiting for it to be accepted."
	default:
		admin.Detail = "Invite a practice administrator."
	}
	clin := Item{Key: "clinician", Label: "At least one HIP or Health Coach active", Required: true, State: StateTodo}
	if f.Clinicians > 0 {
		clin.State = StateDone
		clin.Detail = fmt.Sprintf("%d active.", f.Clinicians)
	} else {
		clin.Detail = "Invite a HIP or Health Coach; it counts once they accept."
	}
	enrol := Item{Key: "enrolment", Label: "Enrolled population loaded for " + quarterLabel(quarter), Required: true, State: StateTodo,
		Detail: "Import the practice's enrolled population for this quarter."}
	if f.Enrolled {
		enrol.State, enrol.Detail = StateDone, ""
	}
	// The items below depend on services not built yet. They are shown so
	// the region sees the whole path, and do not hold go-live back: a
	// practice cannot be asked to finish what does not exist.
	return Checklist{TenantID: id, Items: []Item{
		admin,
		clin,
		enrol,
		{Key: "schedule", Label: "Schedule templates set", State: StateUnavailable,
			Detail: "Not available until booking exists."},
		{Key: "contract", Label: "Contract linked", State: StateUnavailable,
			Detail: "Not available until contracts exist."},
		{Key: "billing", Label: "Billing set up or marked programme-funded", State: StateUnavailable,
			Detail: "Not available until billing exists."},
	}}
}

// factsSQL reads the facts of the tenants listed (ids with each one's
// current quarter) in one statement whatever their number. Each table is
// read once and grouped, with no tenant filter of its own: row-level
// security already limits it to the tenants of the transaction, and a
// correlated subquery per tenant would evaluate the policy's tenant list
// once per probe.
const factsSQL = `SELECT t.id AS tenant_id,
	coalesce(m.admin_active, false) AS admin_active,
	coalesce(m.clinicians, 0) AS clinicians,
	i.tenant_id IS NOT NULL AS admin_invited,
	e.tenant_id IS NOT NULL AS enrolled
FROM unnest(?::uuid[], ?::text[]) AS t (id, quarter)
LEFT JOIN (SELECT tenant_id, bool_or('practice_admin' = ANY (roles)) AS admin_active,
		count(*) FILTER (WHERE roles && ARRAY['hip', 'health_coach']::text[]) AS clinicians
	FROM memberships WHERE status = 'active' GROUP BY tenant_id) m ON m.tenant_id = t.id
LEFT JOIN (SELECT DISTINCT tenant_id FROM invitations WHERE accepted_at IS NULL AND revoked_at IS NULL
	AND expires_at > now() AND 'practice_admin' = ANY (roles)) i ON i.tenant_id = t.id
LEFT JOIN (SELECT DISTINCT tenant_id, quarter FROM enrolment WHERE quarter = ANY (?::text[])) e
	ON e.tenant_id = t.id AND e.quarter = t.quarter`

type factsRow struct {
	TenantID     uuid.UUID
	AdminActive  bool
	AdminInvited bool
	Clinicians   int
	Enrolled     bool
}

// readFacts reads the facts of ts as of now: the current quarter is taken in
// each tenant's own zone (Chatham turns the quarter 45 minutes before
// Auckland).
func readFacts(tx *db.Tx, ts []tenants.Tenant, now time.Time) (map[uuid.UUID]facts, error) {
	ids := make(pq.StringArray, len(ts))
	quarters := make(pq.StringArray, len(ts))
	var distinct pq.StringArray
	for i, t := range ts {
		ids[i], quarters[i] = t.ID.String(), FiscalQuarter(now, t.Location())
		if !slices.Contains(distinct, quarters[i]) {
			distinct = append(distinct, quarters[i])
		}
	}
	var rows []factsRow
	if err := tx.Raw(factsSQL, ids, quarters, distinct).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]facts, len(rows))
	for _, r := range rows {
		out[r.TenantID] = facts{AdminActive: r.AdminActive, AdminInvited: r.AdminInvited, Clinicians: r.Clinicians, Enrolled: r.Enrolled}
	}
	return out, nil
}

// PracticeChecklist computes the checklist of the tenant in ctx, through its
// own wall: one statement.
func PracticeChecklist(ctx context.Context, d *db.DB, now time.Time) (Checklist, error) {
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return Checklist{}, fmt.Errorf("onboarding.PracticeChecklist: %w", db.ErrNoTenant)
	}
	var f map[uuid.UUID]facts
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		f, err = readFacts(tx, []tenants.Tenant{t}, now)
		return err
	})
	if err != nil {
		return Checklist{}, fmt.Errorf("onboarding.PracticeChecklist: %w", err)
	}
	return build(t.ID, f[t.ID], FiscalQuarter(now, t.Location())), nil
}

// Progress is one practice as the region overview shows it.
type Progress struct {
	Tenant    tenants.Tenant
	GoLiveAt  time.Time // zero until it went live
	Checklist Checklist
}

// RegionOverview lists every practice of the region with its checklist. It
// costs a fixed number of statements whatever the number of practices: the
// practices in one platform read, then every practice's facts in one
// AcrossTenants read (its purpose recorded).
func RegionOverview(ctx context.Context, d *db.DB, regionID uuid.UUID, now time.Time) ([]Progress, error) {
	var rows []row
	err := d.Platform(ctx, "region overview: practices", func(tx *db.Tx) error {
		return tx.Where("region_id = ? AND kind = 'practice' AND status <> 'archived'", regionID).
			Order("name, id").Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("onboarding.RegionOverview: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(rows))
	list := make([]tenants.Tenant, len(rows))
	for i, r := range rows {
		ids[i], list[i] = r.ID, r.tenant()
	}
	var f map[uuid.UUID]facts
	err = d.AcrossTenants(ctx, ids, "region overview", func(tx *db.Tx) error {
		var err error
		f, err = readFacts(tx, list, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("onboarding.RegionOverview: %w", err)
	}
	out := make([]Progress, len(rows))
	for i, r := range rows {
		t := list[i]
		out[i] = Progress{Tenant: t, Checklist: build(t.ID, f[t.ID], FiscalQuarter(now, t.Location()))}
		if r.GoLiveAt != nil {
			out[i].GoLiveAt = *r.GoLiveAt
		}
	}
	return out, nil
}

// ErrNotReady is the conflict GoLive answers while required items are open.
var ErrNotReady = fault.New(fault.KindConflict, "the practice cannot go live until every required checklist item is done", nil)

// GoLive makes an onboarding practice of the region active once its
// required checklist items are done, and records who did it and when, with
// the status before and after, in the practice's own audit trail.
//
// The tenant row is platform data and the trail is the tenant's, so they are
// two transactions: the status changes first (only from onboarding, so a
// second request changes nothing), then the event is recorded. A failure
// between them is returned as an error, never silently dropped.
func GoLive(ctx context.Context, d *db.DB, actor uuid.UUID, regionID, tenantID uuid.UUID, now time.Time) error {
	t, err := ByID(ctx, d, tenantID)
	if err != nil {
		return fmt.Errorf("onboarding.GoLive: %w", err)
	}
	if t.RegionID != regionID || t.Kind != tenants.KindPractice {
		return fmt.Errorf("onboarding.GoLive: %w", fault.NotFound)
	}
	if t.Status != tenants.StatusOnboarding {
		return fmt.Errorf("onboarding.GoLive: %w", fault.New(fault.KindConflict, "the practice is "+string(t.Status)+", not onboarding", nil))
	}
	tctx := tenants.WithTenant(ctx, t)
	c, err := PracticeChecklist(tctx, d, now)
	if err != nil {
		return fmt.Errorf("onboarding.GoLive: %w", err)
	}
	if !c.Ready() {
		return fmt.Errorf("onboarding.GoLive: %w", ErrNotReady)
	}
	at := now.UTC()
	err = d.Platform(ctx, "go live", func(tx *db.Tx) error {
		res := tx.Exec(`UPDATE tenants SET status = 'active', go_live_at = ?, updated_at = ?
			WHERE id = ? AND region_id = ? AND status = 'onboarding'`, at, at, t.ID, regionID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fault.New(fault.KindConflict, "the practice is no longer onboarding", nil)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("onboarding.GoLive: %w", err)
	}
	err = d.InTenant(tctx, func(tx *db.Tx) error {
		return audit.Record(tx, audit.Event{Action: "tenant.go_live", ActorUserID: actor, Object: "tenant", ObjectID: t.ID.String(),
			Detail: map[string]string{"before.status": string(t.Status), "after.status": string(tenants.StatusActive),
				"after.go_live_at": at.Format(time.RFC3339)}})
	})
	if err != nil {
		return fmt.Errorf("onboarding.GoLive: went live but not recorded: %w", err)
	}
	return nil
}

// IsNotReady reports whether err is GoLive's refusal for open items.
func IsNotReady(err error) bool { return errors.Is(err, ErrNotReady) }
