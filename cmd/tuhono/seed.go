package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/tuhono/tuhono/models/demo"
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
	a, err := assemble(ctx, cfg, src, log, 2)
	if err != nil {
		return err
	}
	defer a.Close()
	s, fresh, err := demo.Seed(ctx, a.db, a.accounts, a.policy)
	if err != nil {
		return err
	}
	if fresh != "" {
		fmt.Fprintln(os.Stdout, "demo region created:")
	} else {
		fmt.Fprintln(os.Stdout, "demo region already present:")
	}
	password := fresh
	if src.Embedded() {
		if password, err = demoPassword(cfg, fresh); err != nil {
			return err
		}
	} else if password == "" {
		password = "(printed when the demo was created)"
	}
	printDemo(os.Stdout, cfg.BaseURL, s, password)
	return nil
}
