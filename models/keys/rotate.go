package keys

import (
	"context"
	"fmt"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/tenants"
)

// Rotated is what a rotation did.
type Rotated struct {
	Tenants int // tenants whose keys were looked at
	Keys    int // data keys re-wrapped under the current master key
}

// Rotate re-wraps every data key of the given tenants that is not yet under
// the provider's current master key. The data is not touched: a data key
// stays the same key, only its wrapping changes, one tenant per transaction
// with the rows locked, so readers carry on throughout and a run that stops
// half-way is finished by running it again. Once it reports nothing left,
// the previous master key can be removed from the configuration.
func Rotate(ctx context.Context, d *db.DB, p Provider, all []tenants.Tenant) (Rotated, error) {
	var out Rotated
	for _, t := range all {
		n, err := rotateTenant(tenants.WithTenant(ctx, t), d, p)
		out.Keys += n
		if err != nil {
			return out, fmt.Errorf("keys.Rotate %s: %w", t.Slug, err)
		}
		out.Tenants++
	}
	return out, nil
}

func rotateTenant(ctx context.Context, d *db.DB, p Provider) (int, error) {
	n := 0
	err := d.InTenant(ctx, func(tx *db.Tx) error {
		var rows []keyRow
		if err := tx.Raw(`SELECT version, master_key_id, wrapped FROM tenant_keys
			WHERE tenant_id = ? AND master_key_id <> ? ORDER BY version FOR UPDATE`,
			tx.Tenant.ID, p.CurrentID()).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			aad := keyAAD(tx.Tenant.ID, r.Version)
			dk, err := p.Unwrap(ctx, r.MasterKeyID, r.Wrapped, aad)
			if err != nil {
				return err
			}
			wrapped, id, err := p.Wrap(ctx, dk, aad)
			if err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE tenant_keys SET master_key_id = ?, wrapped = ?, rewrapped_at = now()
				WHERE tenant_id = ? AND version = ?`, id, wrapped, tx.Tenant.ID, r.Version).Error; err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
