package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// Config says how to reach the database as the application role.
type Config struct {
	URL      string // DSN of the app role (NOSUPERUSER, NOBYPASSRLS, owns nothing)
	MaxConns int    // pool size; 0 means 20
	Logger   *slog.Logger
}

// DB is the application's handle. It is not itself a query interface: queries
// run inside InTenant, AcrossTenants or Platform.
type DB struct {
	sql  *sql.DB
	gorm *gorm.DB
	log  *slog.Logger
}

// Open connects as the app role and checks the connection.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	pc, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("db.Open: parse DATABASE_URL: %w", redact(err))
	}
	if pc.RuntimeParams == nil {
		pc.RuntimeParams = map[string]string{}
	}
	pc.RuntimeParams["timezone"] = "UTC"
	if pc.RuntimeParams["application_name"] == "" {
		pc.RuntimeParams["application_name"] = "tuhono"
	}
	sqlDB := sql.OpenDB(connector{stdlib.GetConnector(*pc)})
	n := cfg.MaxConns
	if n <= 0 {
		n = 20
	}
	sqlDB.SetMaxOpenConns(n)
	sqlDB.SetMaxIdleConns(n)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)

	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		SkipDefaultTransaction: true, // InTenant is the transaction
		Logger:                 gormLogger{log: log, slow: 200 * time.Millisecond},
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("db.Open: %w", err)
	}
	d := &DB{sql: sqlDB, gorm: g, log: log}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("db.Open: %w", Translate(err))
	}
	return d, nil
}

// Close closes the pool.
func (d *DB) Close() error { return d.sql.Close() }

// Stats exposes the pool's statistics for metrics.
func (d *DB) Stats() sql.DBStats { return d.sql.Stats() }

// Ping checks the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("db.Ping: %w", Translate(err))
	}
	return nil
}

// redact drops a DSN's password from a parse error.
func redact(err error) error {
	return fmt.Errorf("invalid connection string (%T)", err)
}
