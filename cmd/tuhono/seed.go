package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/onboarding"
)

func seed(ctx context.Context, cfg Config, log *slog.Logger, args []string) error {
	if len(args) != 1 || args[0] != "demo" {
		return usageError("seed needs: demo")
	}
	src, err := openSource(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer src.Close()
	if src.Embedded() {
		if err := src.migrateUp(ctx, log); err != nil {
			return err
		}
	}
	if src.AppURL == "" {
		return errors.New("set DATABASE_URL to the app role's DSN")
	}
	d, err := db.Open(ctx, db.Config{URL: src.AppURL, MaxConns: 2, Logger: log})
	if err != nil {
		return err
	}
	defer d.Close()
	demo, created, err := onboarding.SeedDemo(ctx, d)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintln(os.Stdout, "demo region created:")
	} else {
		fmt.Fprintln(os.Stdout, "demo region already present:")
	}
	printDemo(os.Stdout, cfg.BaseURL, demo)
	return nil
}
