package bulk

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// Kind is a kind of import file.
type Kind string

const (
	Practices Kind = "practices"
	Staff     Kind = "staff"
	Enrolment Kind = "enrolment"
)

// Kinds lists every kind, in the order an onboarding loads them.
var Kinds = []Kind{Practices, Staff, Enrolment}

// Columns are each kind's columns, in template order.
var Columns = map[Kind][]string{
	Practices: {"pho_slug", "slug", "name", "hpi_facility_id", "hpi_organisation_id", "time_zone", "address", "contact_email"},
	Staff:     {"email", "name", "practice_slug", "roles", "fte"},
	Enrolment: {"practice_slug", "quarter", "ethnic_group", "age_band", "gender", "nzdep_quintile", "count"},
}

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, bool) {
	k := Kind(s)
	return k, slices.Contains(Kinds, k)
}

// Result is what an import did, or why it did nothing.
type Result struct {
	Kind Kind
	Rows int // data rows read
	// Changed rows created or altered something (a practice, an invitation,
	// an FTE, a count); Unchanged rows matched what was already there.
	Changed, Unchanged int
	Invited            int // invitations sent (staff)
	// Problems lists bad rows (at most MaxProblems); MoreProblems counts the
	// rest. Either one means nothing was written.
	Problems     []Problem
	MoreProblems int
	// Notes are about good rows that were left as they were on purpose (an
	// existing member whose roles differ): at most MaxProblems.
	Notes []Problem
}

// OK says the file was imported.
func (r Result) OK() bool { return len(r.Problems) == 0 && r.MoreProblems == 0 }

// Importer imports files into the region of ctx.
type Importer struct {
	DB       *db.DB
	Accounts *account.Service
	// Workers is how many practices are written at once (default 4).
	Workers int
}

// ErrTooBig is returned for a file over MaxBytes.
var ErrTooBig = fault.New(fault.KindInvalid, fmt.Sprintf("the file is larger than %d MiB: split it", MaxBytes>>20), nil)

// Import validates the whole file and, only if every row is good, writes it.
// The actor is tenants.ActorFrom(ctx); the region tenants.RegionFrom(ctx).
func (im *Importer) Import(ctx context.Context, kind Kind, r io.Reader) (Result, error) {
	region, ok := tenants.RegionFrom(ctx)
	if !ok {
		return Result{}, fmt.Errorf("bulk.Import: %w", fault.InvalidField("region", "no region"))
	}
	var (
		res Result
		err error
	)
	switch kind {
	case Practices:
		res, err = im.practices(ctx, region, r)
	case Staff:
		res, err = im.staff(ctx, region, r)
	case Enrolment:
		res, err = im.enrolment(ctx, region, r)
	default:
		return Result{}, fmt.Errorf("bulk.Import: %w", fault.InvalidField("kind", "must be practices, staff or enrolment"))
	}
	if errors.Is(err, errTooBig) {
		err = ErrTooBig
	}
	if err != nil {
		return res, fmt.Errorf("bulk.Import %s: %w", kind, err)
	}
	return res, nil
}

// read runs the validation pass over the file: parse calls row for each
// row the reader accepted.
func read(r io.Reader, kind Kind, res *Result, p *problems, row func(t *table)) error {
	t, err := newTable(r, Columns[kind], p)
	if err != nil || t == nil {
		return err
	}
	for {
		ok, more, err := t.next(p)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		res.Rows++
		if ok {
			row(t)
		}
	}
}

// finish copies the problems into res.
func finish(res *Result, p *problems) {
	res.Problems, res.MoreProblems = p.list, p.more
}

// regionTenants is every tenant of the region by slug, read once per import.
func regionTenants(ctx context.Context, d *db.DB, region tenants.Region) (map[string]onboarding.Details, error) {
	all, err := onboarding.InRegion(ctx, d, region.ID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]onboarding.Details, len(all))
	for _, t := range all {
		out[t.Slug] = t
	}
	return out, nil
}

// allSlugs is every tenant slug on the platform, for telling "taken by an
// organisation elsewhere" from "free".
func allSlugs(ctx context.Context, d *db.DB) (map[string]uuid.UUID, error) {
	all, err := onboarding.All(ctx, d)
	if err != nil {
		return nil, err
	}
	out := make(map[string]uuid.UUID, len(all))
	for _, t := range all {
		out[t.Slug] = t.RegionID
	}
	return out, nil
}

// Template writes the kind's template: the header and one example row.
func Template(w io.Writer, kind Kind) error {
	cw := csv.NewWriter(w)
	if err := writeRow(cw, Columns[kind]...); err != nil {
		return err
	}
	var ex []string
	switch kind {
	case Practices:
		ex = []string{"te-awa-pho", "te-awa-medical", "Te Awa Medical Centre", "F2N060-E", "G00013-K", "Pacific/Auckland",
			"12 Kōwhai Street, Whanganui 4500", "reception@teawa.example.co.nz"}
	case Staff:
		ex = []string{"aroha.ngata@example.co.nz", "Aroha Ngata", "te-awa-medical", "hip health_coach", "0.80"}
	case Enrolment:
		ex = []string{"te-awa-medical", "FY2026-Q1", "maori", "25-44", "female", "5", "412"}
	default:
		return fault.InvalidField("kind", "must be practices, staff or enrolment")
	}
	if err := writeRow(cw, ex...); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
