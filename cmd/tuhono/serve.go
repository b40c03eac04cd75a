package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers"
	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/migrations"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// serveHooks let tests and the load driver add routes and learn the address.
type serveHooks struct {
	Mount        func(*fiber.App)
	Listening    func(addr string)
	Authenticate httpx.Authenticator
}

// serve runs the server until ctx ends (SIGTERM or SIGINT), then stops
// accepting, lets in-flight requests finish for up to SHUTDOWN_TIMEOUT,
// closes the pool and stops the embedded PostgreSQL.
func serve(ctx context.Context, cfg Config, log *slog.Logger, hooks serveHooks) error {
	src, err := openSource(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer src.Close()

	var demo *onboarding.Demo
	if src.Embedded() {
		// The development database follows the binary: migrate, and seed the
		// demo region on first start.
		if err := src.migrateUp(ctx, log); err != nil {
			return err
		}
	}
	if src.AppURL == "" {
		return errors.New("set DATABASE_URL to the app role's DSN (MIGRATE_DATABASE_URL alone is for migrations)")
	}
	d, err := db.Open(ctx, db.Config{URL: src.AppURL, MaxConns: cfg.DBMaxConns, Logger: log})
	if err != nil {
		return err
	}
	defer d.Close()
	if src.Embedded() {
		dm, _, err := onboarding.SeedDemo(ctx, d)
		if err != nil {
			return err
		}
		demo = &dm
	}

	dir := tenants.NewDirectory(onboarding.BySlug(d), 30*time.Second)
	listenCtx, stopListen := context.WithCancel(context.Background())
	defer stopListen()
	go onboarding.Listen(listenCtx, src.AppURL, log, dir.Invalidate)

	app, err := handlers.New(handlers.Options{
		DB: d, Directory: dir, Log: log, Version: buildVersion(), BaseURL: cfg.BaseURL,
		BodyLimit: cfg.BodyLimit, ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout,
		IdleTimeout: cfg.IdleTimeout, RequestTimeout: cfg.RequestTimeout, TrustedProxies: cfg.TrustedProxies,
		Ready: func(ctx context.Context) error {
			if err := d.Ping(ctx); err != nil {
				return err
			}
			return migrations.Current(ctx, d)
		},
		Authenticate: hooks.Authenticate,
		Mount:        hooks.Mount,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()

	addr := ln.Addr().String()
	log.Info("listening", "addr", addr, "version", buildVersion(), "embedded_db", src.Embedded())
	if hooks.Listening != nil {
		hooks.Listening(addr)
	}
	base := cfg.BaseURL
	if cfg.ListenAddr != addr && base == "http://"+displayAddr(cfg.ListenAddr) {
		base = "http://" + addr // port 0 was asked for: show the real one
	}
	announce(os.Stdout, base, demo)

	select {
	case err := <-served:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown", "err", err)
	}
	<-served
	log.Info("stopped")
	return nil
}

func announce(w io.Writer, base string, demo *onboarding.Demo) {
	fmt.Fprintf(w, "\nTūhono is running: %s\n", base)
	fmt.Fprintf(w, "  API reference: %s/api/v1/reference\n", base)
	if demo != nil {
		printDemo(w, base, *demo)
	}
	fmt.Fprintln(w)
}

func printDemo(w io.Writer, base string, demo onboarding.Demo) {
	fmt.Fprintf(w, "  Demo region: %s (%s)\n", demo.Region.Name, demo.Region.Slug)
	for _, t := range demo.Tenants {
		fmt.Fprintf(w, "    %-8s %-36s %s/t/%s\n", t.Kind, t.Name, base, t.Slug)
	}
	// Sign-in arrives with identity and access (people, memberships, MFA);
	// until then no demo sign-ins exist to print.
	fmt.Fprintln(w, "  Demo sign-ins: none yet — people and sign-in arrive with the identity and access release.")
}
