package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"

	"github.com/tuhono/tuhono/models/migrations"
)

func migrate(ctx context.Context, cfg Config, log *slog.Logger, args []string) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		return usageError("migrate needs one of: up, down, status")
	}
	src, err := openSource(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer src.Close()
	if src.OwnerURL == "" {
		return errors.New("set MIGRATE_DATABASE_URL to the owner role's DSN: migrations never run as the app role")
	}
	r, err := migrations.Open(src.OwnerURL)
	if err != nil {
		return err
	}
	defer r.Close()
	switch args[0] {
	case "up":
		return r.Up(ctx, log)
	case "down":
		return r.Down(ctx, log)
	}
	states, err := r.Status(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "VERSION\tSTATE\tFILE")
	for _, s := range states {
		state := "pending"
		if s.Applied {
			state = "applied"
		}
		fmt.Fprintf(w, "%05d\t%s\t%s\n", s.Version, state, s.File)
	}
	return w.Flush()
}
