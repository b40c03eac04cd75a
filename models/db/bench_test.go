package db_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
)

// BenchmarkTenantRead compares one tenant-scoped single-row read through
// InTenant with the same read on a bare pgx pool (no RLS transaction), and
// with the naive RLS transaction (BEGIN, set_config, SELECT, COMMIT: four
// round trips), and with the one-statement ReadInTenant (one round trip). Compare the ratios within one run:
//
//	go test ./models/db -run '^$' -bench TenantRead -benchtime 3s
func BenchmarkTenantRead(b *testing.B) {
	env := dbtest.New(b)
	ctx, tn := env.Tenant(b)
	const q = `SELECT id::text, slug, name FROM tenants WHERE id = $1`

	b.Run("bare-pgx", func(b *testing.B) {
		pool, err := pgxpool.New(context.Background(), env.SuperURL)
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		var id, slug, name string
		for b.Loop() {
			if err := pool.QueryRow(ctx, q, tn.ID).Scan(&id, &slug, &name); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("naive-rls", func(b *testing.B) {
		pool, err := pgxpool.New(context.Background(), env.AppURL)
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		var id, slug, name string
		for b.Loop() {
			tx, err := pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `SELECT set_config('app.tenant_id', $1, true)`, tn.ID.String()); err != nil {
				b.Fatal(err)
			}
			if err := tx.QueryRow(ctx, q, tn.ID).Scan(&id, &slug, &name); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("InTenant", func(b *testing.B) {
		var id, slug, name string
		for b.Loop() {
			err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
				return tx.Raw(`SELECT id::text, slug, name FROM tenants WHERE id = ?`, tn.ID).Row().Scan(&id, &slug, &name)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReadInTenant", func(b *testing.B) {
		var id, slug, name string
		for b.Loop() {
			err := env.DB.ReadInTenant(ctx, func(tx *db.Tx) error {
				return tx.Raw(`SELECT id::text, slug, name FROM tenants WHERE id = ?`, tn.ID).Row().Scan(&id, &slug, &name)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
