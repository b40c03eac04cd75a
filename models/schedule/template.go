package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
)

// Kind is what a block of the week is for.
type Kind string

const (
	KindOpen   Kind = "open"   // same-day capacity: kept free for warm handovers
	KindBooked Kind = "booked" // appointments booked ahead
	KindGroup  Kind = "group"  // group sessions
	KindAdmin  Kind = "admin"  // notes, meetings: no one is seen
)

func (k Kind) valid() bool {
	return k == KindOpen || k == KindBooked || k == KindGroup || k == KindAdmin
}

// Block is one stretch of a weekday: Weekday is ISO 8601 (1 Monday … 7
// Sunday), Starts and Ends wall-clock times in the tenant's zone.
type Block struct {
	Weekday int
	Starts  Clock
	Ends    Clock
	Kind    Kind
}

// MaxBlocks bounds a week's template (48 blocks a day of 20 minutes would be
// far more than any schedule needs).
const MaxBlocks = 200

// NewTemplate is a practitioner's week from EffectiveFrom (a civil date of the
// tenant's calendar) up to, not including, EffectiveTo (zero: until further
// notice).
type NewTemplate struct {
	PractitionerID uuid.UUID
	EffectiveFrom  time.Time
	EffectiveTo    time.Time
	Blocks         []Block
}

// Template is a stored template. EffectiveFrom and EffectiveTo are civil
// dates (midnight UTC of the calendar day); EffectiveTo is zero when open.
type Template struct {
	ID             uuid.UUID
	PractitionerID uuid.UUID
	EffectiveFrom  time.Time
	EffectiveTo    time.Time
	Blocks         []Block // by weekday, then start
	CreatedBy      uuid.UUID
	CreatedAt      time.Time
}

// covers reports whether the template applies on the civil date.
func (t Template) covers(date time.Time) bool {
	return !date.Before(t.EffectiveFrom) && (t.EffectiveTo.IsZero() || date.Before(t.EffectiveTo))
}

// Validate checks the template's own fields: dates, and blocks on the
// 5-minute grid within 06:00–22:00 that do not overlap within a weekday
// (touching is fine: 09:00–12:00 then 12:00–13:00).
func (n NewTemplate) Validate() error {
	var f fault.Fields
	if n.PractitionerID == uuid.Nil {
		f.Add("practitioner_id", "choose a practitioner")
	}
	if n.EffectiveFrom.IsZero() {
		f.Add("effective_from", "choose the first day")
	}
	if !n.EffectiveTo.IsZero() && !civil(n.EffectiveTo).After(civil(n.EffectiveFrom)) {
		f.Add("effective_to", "the end must come after the first day")
	}
	switch {
	case len(n.Blocks) == 0:
		f.Add("blocks", "add at least one block")
	case len(n.Blocks) > MaxBlocks:
		f.Add("blocks", fmt.Sprintf("at most %d blocks a week", MaxBlocks))
	}
	for i, b := range n.Blocks {
		field := fmt.Sprintf("blocks[%d]", i)
		switch {
		case b.Weekday < 1 || b.Weekday > 7:
			f.Add(field, "choose a weekday, Monday to Sunday")
		case !b.Kind.valid():
			f.Add(field, "choose open, booked, group or admin")
		case b.Starts%GridMinutes != 0 || b.Ends%GridMinutes != 0:
			f.Add(field, fmt.Sprintf("start and end on a %d-minute mark", GridMinutes))
		case b.Starts < DayStarts || b.Ends > DayEnds:
			f.Add(field, fmt.Sprintf("keep within %s–%s", DayStarts, DayEnds))
		case b.Ends <= b.Starts:
			f.Add(field, "the end must come after the start")
		}
	}
	if len(f) > 0 {
		return f.Err()
	}
	sorted := sortedBlocks(n.Blocks)
	for i := 1; i < len(sorted); i++ {
		a, b := sorted[i-1], sorted[i]
		if a.Weekday == b.Weekday && b.Starts < a.Ends {
			f.Add("blocks", fmt.Sprintf("%s %s–%s overlaps %s–%s", time.Weekday(b.Weekday%7), a.Starts, a.Ends, b.Starts, b.Ends))
		}
	}
	return f.Err()
}

func sortedBlocks(bs []Block) []Block {
	out := slices.Clone(bs)
	slices.SortFunc(out, func(a, b Block) int {
		if a.Weekday != b.Weekday {
			return a.Weekday - b.Weekday
		}
		return int(a.Starts - b.Starts)
	})
	return out
}

// practitionerRoles are the roles that keep a schedule.
var practitionerRoles = []string{"hip", "health_coach", "support_worker"}

// SaveTemplate stores a practitioner's week in the tenant of ctx. A template
// running on EffectiveFrom that began earlier is ended that day (a change of
// schedule never rewrites the past); one that begins on or after it is a
// conflict, since a practitioner's templates never overlap. A practitioner
// who is not a member here is not found.
func SaveTemplate(ctx context.Context, d *db.DB, actor uuid.UUID, n NewTemplate) (Template, error) {
	if err := n.Validate(); err != nil {
		return Template{}, fmt.Errorf("schedule.SaveTemplate: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Template{}, fmt.Errorf("schedule.SaveTemplate: %w", err)
	}
	t := Template{ID: id, PractitionerID: n.PractitionerID, EffectiveFrom: civil(n.EffectiveFrom),
		Blocks: sortedBlocks(n.Blocks), CreatedBy: actor}
	if !n.EffectiveTo.IsZero() {
		t.EffectiveTo = civil(n.EffectiveTo)
	}
	err = d.InTenant(ctx, func(tx *db.Tx) error {
		if err := checkPractitioner(tx, n.PractitionerID); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE schedule_templates SET effective_to = ?, updated_at = now()
			WHERE practitioner_id = ? AND effective_from < ? AND (effective_to IS NULL OR effective_to > ?)`,
			t.EffectiveFrom, t.PractitionerID, t.EffectiveFrom, t.EffectiveFrom).Error; err != nil {
			return err
		}
		var created struct{ CreatedAt time.Time }
		if err := tx.Raw(`INSERT INTO schedule_templates (tenant_id, id, practitioner_id, effective_from, effective_to, created_by)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING created_at`,
			tx.Tenant.ID, t.ID, t.PractitionerID, t.EffectiveFrom, nullDate(t.EffectiveTo), actor).Scan(&created).Error; err != nil {
			if pgCode(err) == "23P01" {
				return fault.New(fault.KindConflict, "another schedule template already covers some of those dates", err)
			}
			return err
		}
		t.CreatedAt = created.CreatedAt
		for _, b := range t.Blocks {
			if err := tx.Exec(`INSERT INTO schedule_blocks (tenant_id, template_id, weekday, starts, ends, kind)
				VALUES (?, ?, ?, ?::time, ?::time, ?)`, tx.Tenant.ID, t.ID, b.Weekday, b.Starts.String(), b.Ends.String(), string(b.Kind)).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Template{}, fmt.Errorf("schedule.SaveTemplate: %w", db.Translate(err))
	}
	return t, nil
}

// checkPractitioner: an active member here holding a role that keeps a
// schedule. Anyone else — including a member of another tenant — is not found
// or invalid, never revealed.
func checkPractitioner(tx *db.Tx, id uuid.UUID) error {
	var rows []struct{ Has bool }
	if err := tx.Raw(`SELECT roles && ?::text[] AS has FROM memberships WHERE user_id = ? AND status = 'active'`,
		pq.StringArray(practitionerRoles), id).Scan(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return fault.New(fault.KindNotFound, "practitioner not found", nil)
	}
	if !rows[0].Has {
		return fault.InvalidField("practitioner_id", "only a HIP, Health Coach or Support Worker keeps a schedule")
	}
	return nil
}

// GetTemplate reads one template of the tenant of ctx with its blocks.
func GetTemplate(ctx context.Context, d *db.DB, id uuid.UUID) (Template, error) {
	var out []Template
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = loadTemplates(tx, `id = ?`, id)
		return err
	})
	if err == nil && len(out) == 0 {
		err = fault.New(fault.KindNotFound, "schedule template not found", nil)
	}
	if err != nil {
		return Template{}, fmt.Errorf("schedule.GetTemplate: %w", db.Translate(err))
	}
	return out[0], nil
}

// Templates lists a practitioner's templates here, oldest first.
func Templates(ctx context.Context, d *db.DB, practitionerID uuid.UUID) ([]Template, error) {
	var out []Template
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var err error
		out, err = loadTemplates(tx, `practitioner_id = ?`, practitionerID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("schedule.Templates: %w", db.Translate(err))
	}
	return out, nil
}

type templateRow struct {
	ID             uuid.UUID
	PractitionerID uuid.UUID
	EffectiveFrom  time.Time
	EffectiveTo    *time.Time
	CreatedBy      uuid.UUID
	CreatedAt      time.Time
}

type blockRow struct {
	TemplateID uuid.UUID
	Weekday    int
	StartsMin  int
	EndsMin    int
	Kind       string
}

// loadTemplates reads the templates matching where (a fixed SQL condition
// with its arguments) and their blocks.
func loadTemplates(tx *db.Tx, where string, args ...any) ([]Template, error) {
	var rows []templateRow
	if err := tx.Raw(`SELECT id, practitioner_id, effective_from, effective_to, created_by, created_at
		FROM schedule_templates WHERE `+where+` ORDER BY effective_from`, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	byID := make(map[uuid.UUID]int, len(rows))
	out := make([]Template, len(rows))
	for i, r := range rows {
		ids[i] = r.ID.String()
		byID[r.ID] = i
		out[i] = Template{ID: r.ID, PractitionerID: r.PractitionerID, EffectiveFrom: civil(r.EffectiveFrom),
			CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
		if r.EffectiveTo != nil {
			out[i].EffectiveTo = civil(*r.EffectiveTo)
		}
	}
	var blocks []blockRow
	if err := tx.Raw(`SELECT template_id, weekday,
			(extract(epoch FROM starts) / 60)::int AS starts_min, (extract(epoch FROM ends) / 60)::int AS ends_min, kind
		FROM schedule_blocks WHERE template_id = ANY (?::uuid[]) ORDER BY weekday, starts`,
		pq.StringArray(ids)).Scan(&blocks).Error; err != nil {
		return nil, err
	}
	for _, b := range blocks {
		i := byID[b.TemplateID]
		out[i].Blocks = append(out[i].Blocks, Block{Weekday: b.Weekday, Starts: Clock(b.StartsMin), Ends: Clock(b.EndsMin), Kind: Kind(b.Kind)})
	}
	return out, nil
}

func nullDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
