package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/demo"
	"github.com/tuhono/tuhono/models/migrations"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/models/outbox"
	"github.com/tuhono/tuhono/models/reminder"
)

// serveHooks let tests and the load driver add routes and learn the address.
type serveHooks struct {
	Mount     func(*fiber.App)
	Listening func(addr string)
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

	if src.Embedded() {
		// The development database follows the binary: migrate, and seed the
		// demo region on first start.
		if err := src.migrateUp(ctx, log); err != nil {
			return err
		}
	}
	a, err := assemble(ctx, cfg, src, log, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer a.Close()
	var seeded *demo.Seeded
	var password string
	if src.Embedded() {
		s, pw, err := demo.Seed(ctx, a.db, a.accounts, a.policy)
		if err != nil {
			return err
		}
		seeded, password = &s, pw
		if password, err = demoPassword(cfg, pw); err != nil {
			return err
		}
	}
	if err := linkRegions(ctx, a); err != nil {
		return err
	}

	// Background work stops when serve returns, after the HTTP server.
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	go onboarding.Listen(bg, src.AppURL, log, func(slug string) {
		a.directory.Invalidate(slug)
		if slug == "" {
			return
		}
		// A tenant created or moved while we run: its region's admins reach
		// it at once (LinkDomain is idempotent).
		if t, err := a.directory.Resolve(bg, slug); err == nil {
			if err := a.policy.LinkDomain(bg, account.TenantDomain(t.ID), "region:"+t.RegionID.String()); err != nil {
				log.Warn("policy: link tenant to region", "tenant", t.Slug, "err", err)
			}
		}
	})
	go a.policy.Listen(bg, src.AppURL)
	go audit.NewSealer(a.db, log).Run(bg, time.Second)
	var sender outbox.Sender = outbox.Mailbox{}
	var mailbox func(context.Context) ([]outbox.Message, error)
	if cfg.SMTP.Addr != "" {
		smtp := outbox.SMTP{Addr: cfg.SMTP.Addr, From: cfg.SMTP.From, Username: cfg.SMTP.Username,
			Password: cfg.SMTP.Password, StartTLS: cfg.SMTP.StartTLS, Timeout: 20 * time.Second}
		if err := smtp.Validate(); err != nil {
			return fmt.Errorf("SMTP settings: %w", err)
		}
		sender = smtp
	} else if src.Embedded() {
		mailbox = func(ctx context.Context) ([]outbox.Message, error) { return outbox.Recent(ctx, a.db, 50) }
	} else {
		return errors.New("set SMTP_ADDR (and SMTP_FROM): invitations and password resets are sent by e-mail")
	}
	deliverer := outbox.NewDeliverer(a.db, sender, log)
	if mailbox != nil {
		deliverer.SMS = outbox.SMSSink{} // no SMS provider yet: development SMS show in the mailbox
	}
	go deliverer.Run(bg, src.AppURL)
	go reminder.NewSweeper(a.db, log).Run(bg, time.Minute)
	if cfg.Billing.Enabled() {
		go a.billing.Run(bg, 5*time.Second)
	}

	app, err := handlers.New(handlers.Options{
		DB: a.db, Directory: a.directory, Log: log, Version: buildVersion(), BaseURL: cfg.BaseURL,
		BodyLimit: cfg.BodyLimit, ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout,
		IdleTimeout: cfg.IdleTimeout, RequestTimeout: cfg.RequestTimeout, TrustedProxies: cfg.TrustedProxies,
		Ready: func(ctx context.Context) error {
			if err := a.db.Ping(ctx); err != nil {
				return err
			}
			return migrations.Current(ctx, a.db)
		},
		Accounts:        a.accounts,
		Policy:          a.policy,
		Roles:           a.policy.RolesIn,
		TenantByID:      a.tenantByID,
		OrgChoices:      a.orgChoices,
		Allowed:         a.policy.Allowed,
		Mailbox:         mailbox,
		SessionLifetime: cfg.SessionLifetime,
		Mount:           hooks.Mount,
		Keyring:         a.keyring,
		Billing:         a.billing,
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
	announce(os.Stdout, base, seeded, password)

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

func announce(w io.Writer, base string, seeded *demo.Seeded, password string) {
	fmt.Fprintf(w, "\nTūhono is running: %s\n", base)
	fmt.Fprintf(w, "  API reference: %s/api/v1/reference\n", base)
	if seeded != nil {
		printDemo(w, base, *seeded, password)
		fmt.Fprintf(w, "  Development mailbox (invitations, resets): %s/dev/mailbox\n", base)
	}
	fmt.Fprintln(w)
}

func printDemo(w io.Writer, base string, s demo.Seeded, password string) {
	fmt.Fprintf(w, "  Demo region: %s (%s)\n", s.Region.Name, s.Region.Slug)
	for _, t := range s.Tenants {
		fmt.Fprintf(w, "    %-8s %-36s %s/t/%s\n", t.Kind, t.Name, base, t.Slug)
	}
	fmt.Fprintf(w, "  Demo sign-ins at %s/signin (password: %s):\n", base, password)
	for _, p := range s.People {
		fmt.Fprintf(w, "    %-28s %-22s %s\n", p.Email, p.Name, p.Roles)
	}
}

// demoPassword keeps the demo password beside the embedded data, so every
// start can print it (it is a development database of invented people).
func demoPassword(cfg Config, fresh string) (string, error) {
	path := filepath.Join(cfg.DataDir, "demo-password")
	if fresh != "" {
		return fresh, os.WriteFile(path, []byte(fresh+"\n"), 0o600)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "(printed at first start)", nil
	}
	return strings.TrimSpace(string(b)), nil
}

// linkRegions tells the policy which region each tenant is in, so a
// regional admin's rights reach every tenant of the region, new ones too.
func linkRegions(ctx context.Context, a *app) error {
	all, err := onboarding.All(ctx, a.db)
	if err != nil {
		return err
	}
	for _, t := range all {
		if err := a.policy.LinkDomain(ctx, account.TenantDomain(t.ID), "region:"+t.RegionID.String()); err != nil {
			return err
		}
	}
	return nil
}
