package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/tuhono/tuhono/models/keys"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/policy"
	"github.com/tuhono/tuhono/tenants"
)

// app is the assembled domain: what serve, seed and the admin commands share.
type app struct {
	db        *db.DB
	accounts  *account.Service
	policy    *policy.Enforcer
	directory *tenants.Directory
	keyring   *keys.Keyring
	billing   *billing.Service
	master    keys.Provider
	close     []func()
}

func (a *app) Close() {
	for i := len(a.close) - 1; i >= 0; i-- {
		a.close[i]()
	}
}

// assemble opens the database as the app role and builds the services.
func assemble(ctx context.Context, cfg Config, src *source, log *slog.Logger, maxConns int) (*app, error) {
	if src.AppURL == "" {
		return nil, errors.New("set DATABASE_URL to the app role's DSN (MIGRATE_DATABASE_URL alone is for migrations)")
	}
	key, err := secretKey(cfg, src)
	if err != nil {
		return nil, err
	}
	provider, err := masterKeys(cfg, src)
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, db.Config{URL: src.AppURL, MaxConns: maxConns, Logger: log})
	if err != nil {
		return nil, err
	}
	a := &app{db: d, keyring: keys.NewKeyring(provider), master: provider, close: []func(){func() { d.Close() }}}
	pdb, closePolicy, err := policy.OpenDB(ctx, src.AppURL)
	if err != nil {
		a.Close()
		return nil, err
	}
	a.close = append(a.close, func() { closePolicy() })
	if a.policy, err = policy.New(ctx, pdb, log); err != nil {
		a.Close()
		return nil, err
	}
	a.accounts = account.New(d, a.policy, account.Config{
		SealKey: key, IdleTimeout: cfg.SessionIdle, Lifetime: cfg.SessionLifetime, BaseURL: cfg.BaseURL,
	})
	a.directory = tenants.NewDirectory(onboarding.BySlug(d), 0)
	a.billing = billing.New(d, cfg.Billing, log)
	return a, nil
}

// tenantByID resolves an id through the directory's source.
func (a *app) tenantByID(ctx context.Context, id uuid.UUID) (tenants.Tenant, error) {
	return onboarding.ByID(ctx, a.db, id)
}

// secretKey is SECRET_KEY, or in embedded mode a key kept beside the data.
func secretKey(cfg Config, src *source) ([]byte, error) {
	if len(cfg.SecretKey) == 32 {
		return cfg.SecretKey, nil
	}
	if !src.Embedded() {
		return nil, errors.New("set SECRET_KEY (32 random bytes, base64: openssl rand -base64 32); it seals MFA secrets")
	}
	return keptKey(filepath.Join(cfg.DataDir, "secret-key"), "enrolled MFA stops working")
}

// masterKeys is the provider of NOTE_MASTER_KEY, or in embedded mode of a
// key kept beside the data (never in the database it protects).
func masterKeys(cfg Config, src *source) (*keys.Local, error) {
	if len(cfg.MasterKey) == keys.KeyLen {
		return keys.NewLocal(cfg.MasterKey, cfg.PreviousMasterKey...)
	}
	if !src.Embedded() {
		return nil, errors.New("set NOTE_MASTER_KEY (32 random bytes, base64: openssl rand -base64 32); it protects clinical notes")
	}
	k, err := keptKey(filepath.Join(cfg.DataDir, "note-master-key"), "every clinical note becomes unreadable")
	if err != nil {
		return nil, err
	}
	return keys.NewLocal(k)
}

// keptKey reads a 32-byte key from path, making it (0600) on first use.
func keptKey(path, loss string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(k) != 32 {
			return nil, fmt.Errorf("%s is damaged: remove it only if you accept that %s", path, loss)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	// O_EXCL: a second process starting at the same moment keeps the first
	// one's key rather than replacing it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return keptKey(path, loss)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return k, f.Close()
}

// orgChoices lists the tenants a regional admin's regions hold, for the
// tenant picker (funders reach reports, not tenant pages).
func (a *app) orgChoices(ctx context.Context, userID uuid.UUID) ([]account.Choice, error) {
	grants, err := a.accounts.OrgGrants(ctx, userID)
	if err != nil {
		return nil, err
	}
	var regions []string
	for _, g := range grants {
		if g.Role == "regional_admin" {
			regions = append(regions, strings.TrimPrefix(g.Domain, "region:"))
		}
	}
	if len(regions) == 0 {
		return nil, nil
	}
	all, err := onboarding.All(ctx, a.db)
	if err != nil {
		return nil, err
	}
	var out []account.Choice
	for _, t := range all {
		if t.Live() && slices.Contains(regions, t.RegionID.String()) {
			out = append(out, account.Choice{Tenant: t, Roles: []string{"regional_admin"}})
		}
	}
	return out, nil
}
