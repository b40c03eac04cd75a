package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/tuhono/tuhono/models/keys"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// token create --email … --tenant … --roles a,b --ttl 720h [--name …]
func tokenCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "create-org" {
		return orgTokenCmd(ctx, cfg, log, args[1:], out)
	}
	if len(args) == 0 || args[0] != "create" {
		return usageError("token needs: create --email E --tenant SLUG --roles R1,R2 --ttl 720h [--name N], " +
			"or create-org --email E (--region SLUG | --platform) [--ttl 720h] [--name N]")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the person's e-mail")
	slug := fs.String("tenant", "", "the tenant's slug")
	roles := fs.String("roles", "", "comma-separated subset of the person's roles there")
	ttl := fs.Duration("ttl", 30*24*time.Hour, "how long the token lives")
	name := fs.String("name", "command line", "a name to recognise the token by")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError("token create: " + err.Error())
	}
	if *email == "" || *slug == "" || *roles == "" {
		return usageError("token create needs --email, --tenant and --roles")
	}
	a, done, err := adminApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer done()
	u, err := a.accounts.UserByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("no person with that e-mail: %w", err)
	}
	t, err := a.directory.Resolve(ctx, *slug)
	if errors.Is(err, tenants.ErrUnknown) {
		return fmt.Errorf("no tenant %q", *slug)
	} else if err != nil {
		return err
	}
	token, tok, err := a.accounts.CreateToken(tenants.WithTenant(ctx, t), u.ID, *name, strings.Split(*roles, ","), *ttl)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(out, "%s\n", token)
	fmt.Fprintf(os.Stderr, "token %s for %s at %s, roles %s, expires %s — shown once, keep it safe\n",
		tok.ID, u.Email, t.Slug, strings.Join(tok.Roles, ","), tok.ExpiresAt.Format(time.RFC3339))
	return nil
}

// audit verify [--tenant SLUG]
func auditCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError("audit needs: verify [--tenant SLUG]")
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	slug := fs.String("tenant", "", "verify only this tenant's chain")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError("audit verify: " + err.Error())
	}
	a, done, err := adminApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer done()
	var ids []uuid.UUID
	if *slug != "" {
		t, err := a.directory.Resolve(ctx, *slug)
		if err != nil {
			return fmt.Errorf("no tenant %q", *slug)
		}
		ids = []uuid.UUID{t.ID}
	}
	breaks, err := audit.Verify(ctx, a.db, ids)
	if err != nil {
		return err
	}
	if len(breaks) == 0 {
		fmt.Fprintln(out, "audit chain intact")
		return nil
	}
	for _, b := range breaks {
		chain := "platform"
		if b.TenantID != uuid.Nil {
			chain = "tenant " + b.TenantID.String()
		}
		fmt.Fprintf(out, "BROKEN %s: first broken link at seq %d (event %s): %s\n", chain, b.Seq, b.EventID, b.Why)
	}
	return fmt.Errorf("audit chain broken in %d chain(s)", len(breaks))
}

// describe turns a fault into a line for the terminal.
func describe(err error) error {
	f := fault.As(err)
	if f.Kind == fault.KindInternal {
		return err
	}
	msg := f.Message
	for _, fe := range f.Fields {
		msg += "; " + fe.Field + ": " + fe.Message
	}
	return errors.New(msg)
}

// adminApp assembles the services for a one-off administration command on
// the configured (or embedded) database; done releases them.
func adminApp(ctx context.Context, cfg Config, log *slog.Logger) (*app, func(), error) {
	src, err := openSource(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	a, err := assemble(ctx, cfg, src, log, 2)
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return a, func() { a.Close(); src.Close() }, nil
}

// token create-org --email E (--region SLUG | --platform) [--ttl 720h] [--name N]:
// an organisation-level API token for the region API, carrying the person's
// role in that domain (regional_admin, or platform_operator).
func orgTokenCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token create-org", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the person's e-mail")
	region := fs.String("region", "", "the region's slug")
	platform := fs.Bool("platform", false, "a platform token instead of a region's")
	ttl := fs.Duration("ttl", 30*24*time.Hour, "how long the token lives")
	name := fs.String("name", "command line", "a name to recognise the token by")
	if err := fs.Parse(args); err != nil {
		return usageError("token create-org: " + err.Error())
	}
	if *email == "" || (*region == "") == !*platform {
		return usageError("token create-org needs --email and exactly one of --region or --platform")
	}
	a, done, err := adminApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer done()
	u, err := a.accounts.UserByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("no person with that e-mail: %w", err)
	}
	domain, role := "platform", "platform_operator"
	if !*platform {
		r, err := onboarding.RegionBySlug(ctx, a.db, *region)
		if err != nil {
			return fmt.Errorf("no region %q", *region)
		}
		domain, role = "region:"+r.ID.String(), "regional_admin"
	}
	token, tok, err := a.accounts.CreateOrgToken(ctx, u.ID, domain, *name, []string{role}, *ttl)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(out, "%s\n", token)
	fmt.Fprintf(os.Stderr, "token %s for %s in %s, expires %s — shown once, keep it safe\n",
		tok.ID, u.Email, domain, tok.ExpiresAt.Format(time.RFC3339))
	return nil
}

// keysCmd re-wraps the practices' data keys under the current master key:
// run it after putting a new key first in NOTE_MASTER_KEY (the old one after
// it); when it reports nothing left, the old key can be removed.
func keysCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) != 1 || args[0] != "rotate" {
		return usageError("keys needs: rotate")
	}
	a, done, err := adminApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer done()
	all, err := onboarding.All(ctx, a.db)
	if err != nil {
		return err
	}
	got, err := keys.Rotate(ctx, a.db, a.master, all)
	fmt.Fprintf(out, "re-wrapped %d data key(s) across %d tenant(s) under %s\n", got.Keys, got.Tenants, a.master.CurrentID())
	return err
}
