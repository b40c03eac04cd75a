package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/tuhono/tuhono/models/db"
)

//go:embed *.sql
var files embed.FS

// FS returns the embedded migration files.
func FS() fs.FS { return files }

// Latest is the highest migration version in this binary.
func Latest() int64 {
	names, _ := fs.Glob(files, "*.sql")
	var v int64
	for _, n := range names {
		if i := strings.IndexByte(n, '_'); i > 0 {
			if x, err := strconv.ParseInt(n[:i], 10, 64); err == nil && x > v {
				v = x
			}
		}
	}
	return v
}

// Runner applies migrations over a connection of the owner role.
type Runner struct {
	db       *sql.DB
	provider *goose.Provider
}

// Open connects to ownerURL (the owner role: migrations never run as the app).
func Open(ownerURL string) (*Runner, error) {
	db, err := sql.Open("pgx", ownerURL)
	if err != nil {
		return nil, fmt.Errorf("migrations.Open: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations.Open: %w", err)
	}
	return &Runner{db: db, provider: p}, nil
}

var _ = stdlib.GetDefaultDriver // registers the "pgx" database/sql driver

// Close closes the owner connection.
func (r *Runner) Close() error { return r.db.Close() }

// Up applies every pending migration, each in its own transaction.
func (r *Runner) Up(ctx context.Context, log *slog.Logger) error {
	res, err := r.provider.Up(ctx)
	for _, m := range res {
		log.InfoContext(ctx, "migration applied", "version", m.Source.Version, "file", m.Source.Path, "ms", m.Duration.Milliseconds())
	}
	if err != nil {
		return fmt.Errorf("migrations.Up: %w", err)
	}
	return nil
}

// Down rolls back the most recent migration (development only: production
// migrations are forward-only).
func (r *Runner) Down(ctx context.Context, log *slog.Logger) error {
	m, err := r.provider.Down(ctx)
	if err != nil {
		return fmt.Errorf("migrations.Down: %w", err)
	}
	if m != nil {
		log.InfoContext(ctx, "migration rolled back", "version", m.Source.Version, "file", m.Source.Path)
	}
	return nil
}

// State is one migration's status.
type State struct {
	Version int64
	File    string
	Applied bool
}

// Status lists every migration and whether it is applied.
func (r *Runner) Status(ctx context.Context) ([]State, error) {
	st, err := r.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations.Status: %w", err)
	}
	out := make([]State, 0, len(st))
	for _, s := range st {
		out = append(out, State{Version: s.Source.Version, File: s.Source.Path, Applied: s.State == goose.StateApplied})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Current reports whether the database has every migration this binary
// knows; a server whose schema is behind is not ready for traffic.
func Current(ctx context.Context, d *db.DB) error {
	var applied int64
	err := d.Platform(ctx, "readiness probe", func(tx *db.Tx) error {
		return tx.Raw(`SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&applied).Error
	})
	if err != nil {
		return fmt.Errorf("migrations.Current: %w", err)
	}
	if want := Latest(); applied < want {
		return fmt.Errorf("migrations.Current: schema at version %d, binary needs %d: run `tuhono migrate up`", applied, want)
	}
	return nil
}
