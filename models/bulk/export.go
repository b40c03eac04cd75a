package bulk

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// StaffColumns are the columns of the staff export: the import's columns
// (so an export can be edited and imported back) and each person's status.
var StaffColumns = []string{"email", "name", "practice_slug", "roles", "fte", "status"}

// ExportStaff writes the staff of every practice in the region of ctx as CSV:
// members (active, suspended, ended) and open invitations ("invited"). Cells
// that a spreadsheet would run as a formula get a leading quote.
func (im *Importer) ExportStaff(ctx context.Context, w io.Writer) error {
	region, ok := tenants.RegionFrom(ctx)
	if !ok {
		return fmt.Errorf("bulk.ExportStaff: %w", fault.InvalidField("region", "no region"))
	}
	known, err := regionTenants(ctx, im.DB, region)
	if err != nil {
		return fmt.Errorf("bulk.ExportStaff: %w", err)
	}
	// The export is recorded before the first byte leaves: an export that
	// cannot be audited does not happen.
	actor, _ := tenants.ActorFrom(ctx)
	if err := audit.RecordPlatform(ctx, im.DB, audit.Event{Action: audit.ActionExport, ActorUserID: actor.UserID, Object: "staff",
		ObjectID: region.ID.String(), Reason: "regional staff export"}); err != nil {
		return fmt.Errorf("bulk.ExportStaff: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := writeRow(cw, StaffColumns...); err != nil {
		return err
	}
	for _, slug := range sortedKeys(known) {
		t := known[slug]
		if t.Kind != tenants.KindPractice {
			continue
		}
		tctx := tenants.WithTenant(ctx, t.Tenant)
		members, err := im.Accounts.Staff(tctx)
		if err != nil {
			return fmt.Errorf("bulk.ExportStaff: %w", err)
		}
		invitations, err := im.Accounts.Invitations(tctx)
		if err != nil {
			return fmt.Errorf("bulk.ExportStaff: %w", err)
		}
		fte := map[string]string{}
		err = im.DB.InTenant(tctx, func(tx *db.Tx) error {
			var rows []struct {
				Email string
				FTE   string
			}
			if err := tx.Raw(`SELECT email, to_char(fte, 'FM0.00') AS fte FROM staff_fte`).Scan(&rows).Error; err != nil {
				return err
			}
			for _, r := range rows {
				fte[r.Email] = r.FTE
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("bulk.ExportStaff: %w", err)
		}
		for _, m := range members {
			if err := writeRow(cw, m.User.Email, m.User.Name, slug, strings.Join(m.Roles, " "), fte[m.User.Email], m.Status); err != nil {
				return err
			}
		}
		for _, inv := range invitations {
			if err := writeRow(cw, inv.Email, inv.Name, slug, strings.Join(inv.Roles, " "), fte[inv.Email], "invited"); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return nil
}
