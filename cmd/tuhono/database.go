package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/migrations"
)

// source says where the database is: the server named by DATABASE_URL, or
// the embedded one under DATA_DIR (started here, or already running for
// another tuhono process, which then keeps running).
type source struct {
	AppURL   string
	OwnerURL string // empty when DATABASE_URL is set without MIGRATE_DATABASE_URL
	embedded *db.Embedded
}

func openSource(ctx context.Context, cfg Config, log *slog.Logger) (*source, error) {
	// Either URL names a real server: the migration Job of a deployment has
	// only the owner's, and must never start a development database.
	if cfg.DatabaseURL != "" || cfg.MigrateURL != "" {
		return &source{AppURL: cfg.DatabaseURL, OwnerURL: cfg.MigrateURL}, nil
	}
	e, err := db.StartEmbedded(ctx, cfg.DataDir, cfg.PGBinDir, log)
	if err != nil {
		if errors.Is(err, db.ErrNoPostgres) {
			return nil, db.ErrNoPostgres
		}
		return nil, fmt.Errorf("embedded PostgreSQL: %w", err)
	}
	return &source{AppURL: e.AppURL(), OwnerURL: e.OwnerURL(), embedded: e}, nil
}

// Embedded reports whether this is the embedded development database.
func (s *source) Embedded() bool { return s.embedded != nil }

// Close stops the embedded PostgreSQL if this process started it.
func (s *source) Close() {
	if s.embedded == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.embedded.Stop(ctx)
}

func (s *source) migrateUp(ctx context.Context, log *slog.Logger) error {
	if s.OwnerURL == "" {
		return errors.New("set MIGRATE_DATABASE_URL to the owner role's DSN to run migrations")
	}
	r, err := migrations.Open(s.OwnerURL)
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Up(ctx, log)
}
