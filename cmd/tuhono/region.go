package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/policy"
)

const regionUsage = "region needs: create --slug S --name N [--programme P] [--time-zone Z] | list | appoint --region S --email E"

// region create|list|appoint: the platform operator's work from a terminal.
func regionCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 {
		return usageError(regionUsage)
	}
	fs := flag.NewFlagSet("region "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var n onboarding.NewRegion
	var region, email string
	switch args[0] {
	case "create":
		fs.StringVar(&n.Slug, "slug", "", "the region's slug (its address)")
		fs.StringVar(&n.Name, "name", "", "the region's name")
		fs.StringVar(&n.Programme, "programme", "", `the programme's name, e.g. "Tū Whakaruruhau"`)
		fs.StringVar(&n.TimeZone, "time-zone", "Pacific/Auckland", "Pacific/Auckland or Pacific/Chatham")
	case "list":
	case "appoint":
		fs.StringVar(&region, "region", "", "the region's slug")
		fs.StringVar(&email, "email", "", "the person's e-mail")
	default:
		return usageError(regionUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageError("region " + args[0] + ": " + err.Error())
	}
	if fs.NArg() > 0 {
		return usageError("region " + args[0] + ": unexpected " + fs.Arg(0))
	}
	if args[0] == "create" && (n.Slug == "" || n.Name == "") {
		return usageError("region create needs --slug and --name")
	}
	if args[0] == "appoint" && (region == "" || email == "") {
		return usageError("region appoint needs --region and --email")
	}
	a, done, err := adminApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer done()
	switch args[0] {
	case "create":
		r, err := onboarding.AddRegion(ctx, a.db, uuid.Nil, n)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(out, "region %s created: %s (%s)\n", r.Slug, r.Name, r.TimeZone)
	case "list":
		regions, err := onboarding.Regions(ctx, a.db)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SLUG\tNAME\tPROGRAMME\tTIME ZONE")
		for _, r := range regions {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Slug, r.Name, r.Programme, r.TimeZone)
		}
		return w.Flush()
	case "appoint":
		r, err := onboarding.RegionBySlug(ctx, a.db, region)
		if errors.Is(err, fault.NotFound) {
			return fmt.Errorf("no region %q", region)
		} else if err != nil {
			return err
		}
		u, err := a.accounts.UserByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("no person with that e-mail: invite them to a practice first or create their account: %w", err)
		}
		if err := a.accounts.GrantOrg(ctx, uuid.Nil, u.ID, "regional_admin", policy.RegionDomain(r.ID)); err != nil {
			return describe(err)
		}
		fmt.Fprintf(out, "%s is a regional admin of %s\n", u.Email, r.Slug)
	}
	return nil
}
