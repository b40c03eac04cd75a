package bulk

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

type practiceRow struct {
	line int
	pho  string
	n    onboarding.NewTenant
}

// practiceFields maps onboarding's field names to the file's columns.
var practiceFields = map[string]string{"slug": "slug", "name": "name", "hpi_org_id": "hpi_organisation_id",
	"hpi_fac_id": "hpi_facility_id", "time_zone": "time_zone", "kind": "slug", "region_id": "slug", "parent_id": "pho_slug",
	"address": "address", "contact_email": "contact_email", "contact_phone": "contact_email"}

func (im *Importer) practices(ctx context.Context, region tenants.Region, r io.Reader) (Result, error) {
	res := Result{Kind: Practices}
	var p problems
	var rows []practiceRow
	first := map[string]int{}
	err := read(r, Practices, &res, &p, func(t *table) {
		n := onboarding.NewTenant{Kind: tenants.KindPractice, RegionID: region.ID, Slug: t.get("slug"), Name: t.get("name"),
			HPIOrgID: t.get("hpi_organisation_id"), HPIFacID: t.get("hpi_facility_id"), TimeZone: t.get("time_zone"),
			Contact: onboarding.Contact{Address: t.get("address"), Email: t.get("contact_email")}}
		good := true
		if err := n.Validate(); err != nil {
			var fe *fault.Error
			if !errors.As(err, &fe) {
				p.add(t.line, "", "cannot be checked")
				return
			}
			for _, f := range fe.Fields {
				p.add(t.line, practiceFields[f.Field], f.Message)
			}
			good = false
		}
		if t.get("pho_slug") == "" {
			p.add(t.line, "pho_slug", "is required: the PHO the practice belongs to")
			good = false
		}
		if prev, dup := first[n.Slug]; dup && n.Slug != "" {
			p.add(t.line, "slug", "the same practice as line "+strconv.Itoa(prev))
			good = false
		} else {
			first[n.Slug] = t.line
		}
		if good {
			rows = append(rows, practiceRow{line: t.line, pho: t.get("pho_slug"), n: n})
		}
	})
	if err != nil {
		return res, err
	}
	// Second pass over the kept rows: the slugs against the region.
	known, err := regionTenants(ctx, im.DB, region)
	if err != nil {
		return res, err
	}
	taken, err := allSlugs(ctx, im.DB)
	if err != nil {
		return res, err
	}
	for i := range rows {
		row := &rows[i]
		pho, ok := known[row.pho]
		if !ok || pho.Kind != tenants.KindPHO {
			p.add(row.line, "pho_slug", "no PHO "+row.pho+" in this region")
		} else {
			row.n.ParentID = pho.ID
		}
		t, here := known[row.n.Slug]
		switch {
		case here && t.Kind != tenants.KindPractice:
			p.add(row.line, "slug", row.n.Slug+" is a PHO, not a practice")
		case here && t.Status == tenants.StatusArchived:
			p.add(row.line, "slug", row.n.Slug+" is archived: it is read-only")
		case here && ok && t.ParentID != pho.ID:
			p.add(row.line, "pho_slug", row.n.Slug+" belongs to another PHO: an import does not move practices between PHOs")
		case !here && taken[row.n.Slug] != uuid.Nil:
			p.add(row.line, "slug", row.n.Slug+" is taken by an organisation in another region")
		}
	}
	finish(&res, &p)
	if !res.OK() {
		return res, nil
	}

	// One practice at a time, each its own transaction: a re-run after a
	// crash finds the ones already made unchanged and makes the rest. A new
	// practice reaches its region's admins in the policy through the tenant
	// table's NOTIFY (cmd/tuhono/serve.go links it).
	actor, _ := tenants.ActorFrom(ctx)
	for _, row := range rows {
		t, exists := known[row.n.Slug]
		switch {
		case !exists:
			// AddTenant records the creation in the new tenant's audit trail.
			if _, err := onboarding.AddTenant(ctx, im.DB, actor.UserID, row.n); err != nil {
				return res, err
			}
			res.Changed++
		case samePractice(t, row.n):
			res.Unchanged++
		default:
			// UpdateTenant records the before and after values itself.
			c := onboarding.Change{Name: row.n.Name, HPIOrgID: row.n.HPIOrgID, HPIFacID: row.n.HPIFacID, TimeZone: row.n.TimeZone,
				Contact: onboarding.Contact{Address: row.n.Address, Email: row.n.Email, Phone: t.Phone}}
			if _, err := onboarding.UpdateTenant(ctx, im.DB, actor.UserID, t.ID, c); err != nil {
				return res, err
			}
			res.Changed++
		}
	}
	return res, nil
}

func samePractice(t onboarding.Details, n onboarding.NewTenant) bool {
	return t.Name == n.Name && t.HPIOrgID == n.HPIOrgID && t.HPIFacID == n.HPIFacID && t.TimeZone == n.TimeZone &&
		t.Address == n.Address && t.Email == n.Email
}
