// Command tuhono is the one binary of Tūhono: the server and its
// administration commands.
//
//	tuhono [serve]                 run the server (the default)
//	tuhono migrate up|down|status  change or show the schema
//	tuhono seed demo               create the demo region and people
//	tuhono token create …          make an API token for a membership
//	tuhono audit verify            walk the audit chains
//	tuhono version                 print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tuhono:", err)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log, serveHooks{})
	case "migrate":
		err = migrate(ctx, cfg, log, args)
	case "seed":
		err = seed(ctx, cfg, log, args)
	case "token":
		err = tokenCmd(ctx, cfg, log, args, os.Stdout)
	case "audit":
		err = auditCmd(ctx, cfg, log, args, os.Stdout)
	case "region":
		err = regionCmd(ctx, cfg, log, args, os.Stdout)
	case "keys":
		err = keysCmd(ctx, cfg, log, args, os.Stdout)
	case "billing":
		err = billingCmd(ctx, cfg, log, args, os.Stdout)
	case "version", "--version", "-v":
		fmt.Println("tuhono", buildVersion())
	case "help", "--help", "-h":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "tuhono: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintf(os.Stderr, "tuhono: %v\n%s", err, usage)
			return 2
		}
		fmt.Fprintln(os.Stderr, "tuhono:", err)
		return 1
	}
	return 0
}

const usage = `usage:
  tuhono [serve]                 run the server (default)
  tuhono migrate up|down|status  apply, roll back one, or list migrations
  tuhono seed demo               create the demo region and people (idempotent)
  tuhono token create --email E --tenant SLUG --roles R1,R2 [--ttl 720h] [--name N]
                                 make an API token for a membership (printed once)
  tuhono token create-org --email E (--region SLUG | --platform) [--ttl 720h]
                                 make an organisation API token for the region API
  tuhono audit verify [--tenant SLUG]
                                 walk the audit chains; names the first broken link
  tuhono region create --slug S --name N [--programme P] [--time-zone Z] | list | appoint --region S --email E
                                 create and list regions; appoint a regional admin (the person must exist)
  tuhono keys rotate             re-wrap every practice's data key under the current NOTE_MASTER_KEY
                                 (keep the previous key listed after it until this reports nothing left)
  tuhono billing reconcile [-fix]
                                 compare Stripe's subscriptions and quantities with ours and list each drift;
                                 -fix takes Stripe's status and resends our quantities (exit 1: drift remains)
  tuhono version                 print the version
configuration is read from the environment: see README.md
`

type usageError string

func (u usageError) Error() string { return string(u) }

func buildVersion() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}
