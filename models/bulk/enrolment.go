package bulk

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/tenants"
)

// The enrolment dimensions: HISO 10001 prioritised ethnicity (Māori > Pacific
// > Asian > MELAA > Other > European, residual last), the PHO capitation age
// bands, gender, and NZDep quintile (5 most deprived).
var (
	EthnicGroups = []string{"maori", "pacific", "asian", "melaa", "other", "european", "unknown"}
	AgeBands     = []string{"00-04", "05-14", "15-24", "25-44", "45-64", "65+"}
	Genders      = []string{"female", "male", "another", "unknown"}
	Quintiles    = []string{"1", "2", "3", "4", "5", "unknown"}
)

// quarterPattern: FY2026-Q1 is July–September 2025 (NZ fiscal year, named by
// the year it ends in).
var quarterPattern = regexp.MustCompile(`^FY(20[0-9]{2})-Q([1-4])$`)

// maxCount keeps a count inside PostgreSQL's integer; no practice enrols more.
const maxCount = 1_000_000

type enrolmentRow struct {
	line     int
	practice string
	key      [5]string // quarter, ethnic group, age band, gender, nzdep
	count    int
}

func (im *Importer) enrolment(ctx context.Context, region tenants.Region, r io.Reader) (Result, error) {
	res := Result{Kind: Enrolment}
	var p problems
	var rows []enrolmentRow
	first := map[[6]string]int{}
	err := read(r, Enrolment, &res, &p, func(t *table) {
		row := enrolmentRow{line: t.line, practice: t.get("practice_slug")}
		good := true
		check := func(col, v string, allowed []string, hint string) string {
			v = strings.ToLower(v)
			if col == "ethnic_group" {
				v = strings.ReplaceAll(v, "ā", "a") // māori
			}
			if !slices.Contains(allowed, v) {
				p.add(t.line, col, "must be one of "+strings.Join(allowed, ", ")+hint)
				good = false
			}
			return v
		}
		if !tenants.ValidSlug(row.practice) {
			p.add(t.line, "practice_slug", "is not a practice slug")
			good = false
		}
		q := strings.ToUpper(strings.ReplaceAll(t.get("quarter"), " ", "-"))
		if !quarterPattern.MatchString(q) {
			p.add(t.line, "quarter", "must be a fiscal quarter like FY2026-Q1 (July–September 2025)")
			good = false
		}
		row.key = [5]string{q,
			check("ethnic_group", t.get("ethnic_group"), EthnicGroups, " (prioritised, HISO 10001)"),
			check("age_band", strings.ReplaceAll(t.get("age_band"), "–", "-"), AgeBands, ""),
			check("gender", t.get("gender"), Genders, ""),
			check("nzdep_quintile", t.get("nzdep_quintile"), Quintiles, "")}
		n, err := strconv.Atoi(t.get("count"))
		if err != nil || n < 0 || n > maxCount {
			p.add(t.line, "count", fmt.Sprintf("must be a whole number from 0 to %d", maxCount))
			good = false
		}
		row.count = n
		k := [6]string{row.practice, row.key[0], row.key[1], row.key[2], row.key[3], row.key[4]}
		if prev, dup := first[k]; dup && good {
			p.add(t.line, "", fmt.Sprintf("the same cell as line %d", prev))
			good = false
		} else if good {
			first[k] = t.line
		}
		if good {
			rows = append(rows, row)
		}
	})
	if err != nil {
		return res, err
	}
	known, err := regionTenants(ctx, im.DB, region)
	if err != nil {
		return res, err
	}
	byPractice := map[string][]enrolmentRow{}
	for _, row := range rows {
		t, ok := known[row.practice]
		switch {
		case !ok || t.Kind != tenants.KindPractice:
			p.add(row.line, "practice_slug", "no practice "+row.practice+" in this region")
		case t.Status == tenants.StatusArchived:
			p.add(row.line, "practice_slug", row.practice+" is archived: it is read-only")
		default:
			byPractice[row.practice] = append(byPractice[row.practice], row)
		}
	}
	finish(&res, &p)
	if !res.OK() {
		return res, nil
	}
	actor, _ := tenants.ActorFrom(ctx)
	counts := make(chan [2]int, len(byPractice))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(im.workers())
	for _, slug := range sortedKeys(byPractice) {
		t, rows := known[slug], byPractice[slug]
		g.Go(func() error {
			changed, err := writeEnrolment(tenants.WithTenant(gctx, t.Tenant), im.DB, actor.UserID, rows)
			counts <- [2]int{changed, len(rows) - changed}
			return err
		})
	}
	err = g.Wait()
	close(counts)
	for c := range counts {
		res.Changed += c[0]
		res.Unchanged += c[1]
	}
	return res, err
}

// writeEnrolment upserts one practice's cells in one transaction, a few
// hundred rows per statement; a cell whose count is already right is not
// touched, so a re-import changes nothing.
func writeEnrolment(ctx context.Context, d *db.DB, actor uuid.UUID, rows []enrolmentRow) (int, error) {
	const batch = 500
	changed := 0
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		for start := 0; start < len(rows); start += batch {
			part := rows[start:min(start+batch, len(rows))]
			var sql strings.Builder
			sql.WriteString(`INSERT INTO enrolment (tenant_id, quarter, ethnic_group, age_band, gender, nzdep, count) VALUES `)
			args := make([]any, 0, len(part)*7)
			for i, r := range part {
				if i > 0 {
					sql.WriteString(", ")
				}
				sql.WriteString("(?, ?, ?, ?, ?, ?, ?)")
				args = append(args, tx.Tenant.ID, r.key[0], r.key[1], r.key[2], r.key[3], r.key[4], r.count)
			}
			sql.WriteString(` ON CONFLICT (tenant_id, quarter, ethnic_group, age_band, gender, nzdep)
				DO UPDATE SET count = EXCLUDED.count, updated_at = now() WHERE enrolment.count <> EXCLUDED.count`)
			q := tx.Exec(sql.String(), args...)
			if q.Error != nil {
				return q.Error
			}
			changed += int(q.RowsAffected)
		}
		if changed == 0 {
			return nil
		}
		var quarters []string
		for _, r := range rows {
			if !slices.Contains(quarters, r.key[0]) {
				quarters = append(quarters, r.key[0])
			}
		}
		slices.Sort(quarters)
		return audit.Record(tx, audit.Event{Action: "enrolment.import", Object: "enrolment", Reason: "bulk import",
			ActorUserID: actor, Detail: map[string]string{"quarters": strings.Join(quarters, " "),
				"rows": strconv.Itoa(len(rows)), "changed": strconv.Itoa(changed)}})
	})
	return changed, err
}
