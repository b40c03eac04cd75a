package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
)

const billingUsage = "billing needs: reconcile [-fix]"

// errDriftRemains is reconcile's answer when it found drift it did not fix:
// exit status 1, so a scheduled run alerts.
var errDriftRemains = errors.New("billing reconcile: drift remains (run with -fix to take Stripe's status and resend our quantities)")

// billing reconcile [-fix]: compare every account's subscription at Stripe
// with ours and print each difference; -fix takes Stripe's status (the
// record of payment) and resends our quantities (the record of seats).
func billingCmd(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "reconcile" {
		return usageError(billingUsage)
	}
	fs := flag.NewFlagSet("billing reconcile", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fix := fs.Bool("fix", false, "take Stripe's status and resend our quantities where they differ")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError("billing reconcile: " + err.Error())
	}
	if fs.NArg() > 0 {
		return usageError("billing reconcile: unexpected " + fs.Arg(0))
	}
	// Refused before the database is opened: without a key there is no
	// Stripe to compare with.
	if !cfg.Billing.Enabled() {
		return errors.New("billing is not configured: set STRIPE_SECRET_KEY (with STRIPE_WEBHOOK_SECRET, " +
			"STRIPE_PRICE_BASE and STRIPE_PRICE_SEAT) to reconcile with Stripe")
	}
	a, done, err := adminApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer done()
	drifts, err := a.billing.Reconcile(ctx, *fix)
	// What was found before a failure is printed all the same.
	unfixed := 0
	for _, d := range drifts {
		fmt.Fprintln(out, d.String())
		if !d.Fixed {
			unfixed++
		}
	}
	if err != nil {
		return describe(err)
	}
	if len(drifts) == 0 {
		fmt.Fprintln(out, "no drift")
		return nil
	}
	if unfixed > 0 {
		return errDriftRemains
	}
	return nil
}
