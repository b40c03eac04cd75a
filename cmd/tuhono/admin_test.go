package main

import (
	"bytes"
	"context"
	"github.com/google/uuid"
	"github.com/tuhono/tuhono/models/keys"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/tenants"
)

func adminConfig(t *testing.T, env *dbtest.Env) Config {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{"DATABASE_URL": env.AppURL, "SECRET_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
			"NOTE_MASTER_KEY": testMasterKey}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Tampering done as the owner or a superuser is found by `tuhono audit verify`.
func TestAuditVerifyCommand(t *testing.T) {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	for _, action := range []string{"signin.success", "token.create", "membership.create"} {
		if err := env.DB.InTenant(ctx, func(tx *db.Tx) error { return audit.Record(tx, audit.Event{Action: action}) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := audit.NewSealer(env.DB, dbtest.Quiet).SealOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := adminConfig(t, env)
	var out bytes.Buffer
	if err := auditCmd(context.Background(), cfg, dbtest.Quiet, []string{"verify", "--tenant", tn.Slug}, &out); err != nil {
		t.Fatalf("verify of an intact chain: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "intact") {
		t.Fatalf("output: %s", out.String())
	}
	// A superuser rewrites history, skipping the triggers that forbid it.
	c, err := pgx.Connect(context.Background(), env.SuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(context.Background(), `UPDATE audit_events SET action = 'record.read' WHERE tenant_id = $1 AND action = 'token.create'`, tn.ID); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = auditCmd(context.Background(), cfg, dbtest.Quiet, []string{"verify", "--tenant", tn.Slug}, &out)
	if err == nil || !strings.Contains(out.String(), "BROKEN") || !strings.Contains(out.String(), "seq 2") {
		t.Fatalf("tampering not found: %v\n%s", err, out.String())
	}
}

func TestTokenCreateCommand(t *testing.T) {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	cfg := adminConfig(t, env)
	accounts := account.New(env.DB, nil, account.Config{SealKey: make([]byte, 32),
		Argon2: account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	u, err := accounts.CreateUser(context.Background(), "cli-person@example.co.nz", "Cli Person", "a long enough passphrase", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := accounts.AddMember(ctx, u.ID, u.ID, []string{"hip", "practice_admin"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = tokenCmd(context.Background(), cfg, dbtest.Quiet, []string{"create", "--email", "CLI-Person@example.co.nz",
		"--tenant", tn.Slug, "--roles", "practice_admin", "--ttl", "48h"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	a, err := accounts.AuthenticateToken(tenants.WithTenant(context.Background(), tn), token)
	if err != nil || a.UserID != u.ID || len(a.Roles) != 1 || a.Roles[0] != "practice_admin" {
		t.Fatalf("the printed token: %+v %v", a, err)
	}
	// A role the person does not hold is refused with a clear message.
	err = tokenCmd(context.Background(), cfg, dbtest.Quiet, []string{"create", "--email", u.Email,
		"--tenant", tn.Slug, "--roles", "gp"}, &out)
	if err == nil || !strings.Contains(err.Error(), "roles") {
		t.Fatalf("token with a role not held: %v", err)
	}
}

func TestOrgTokenCreateCommand(t *testing.T) {
	env := dbtest.New(t)
	cfg := adminConfig(t, env)
	ctx := context.Background()
	r := env.Region(t)
	accounts := account.New(env.DB, nil, account.Config{SealKey: make([]byte, 32),
		Argon2: account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	u, err := accounts.CreateUser(ctx, "region-cli@example.co.nz", "Region Cli", "a long enough passphrase", false)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	// Without the grant the command refuses.
	if err := tokenCmd(ctx, cfg, dbtest.Quiet, []string{"create-org", "--email", u.Email, "--region", r.Slug}, &out); err == nil {
		t.Fatal("an org token for a person without the regional admin grant")
	}
	if err := accounts.GrantOrg(ctx, u.ID, u.ID, "regional_admin", "region:"+r.ID.String()); err != nil {
		t.Fatal(err)
	}
	if err := tokenCmd(ctx, cfg, dbtest.Quiet, []string{"create-org", "--email", u.Email, "--region", r.Slug, "--ttl", "24h"}, &out); err != nil {
		t.Fatal(err)
	}
	a, err := accounts.AuthenticateOrgToken(ctx, strings.TrimSpace(out.String()))
	if err != nil || a.Domain != "region:"+r.ID.String() || a.Actor.UserID != u.ID {
		t.Fatalf("the printed org token: %+v %v", a, err)
	}
	if err := tokenCmd(ctx, cfg, dbtest.Quiet, []string{"create-org", "--email", u.Email}, &out); err == nil {
		t.Fatal("create-org without --region or --platform")
	}
}

// testMasterKey is the tests' NOTE_MASTER_KEY.
const testMasterKey = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="

// `tuhono keys rotate` re-wraps data keys under a new first key, after which
// the old key can go and everything still opens.
func TestKeysRotateCommand(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	cfg := adminConfig(t, env)
	old, err := keys.NewLocal(cfg.MasterKey)
	if err != nil {
		t.Fatal(err)
	}
	where := keys.AAD("notes", uuid.New(), "body")
	var sealed []byte
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		sealed, err = keys.NewKeyring(old).Seal(ctx, tx, where, []byte("kōrero"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	newKey := "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
	rotating, err := LoadConfig(func(k string) string {
		return map[string]string{"DATABASE_URL": env.AppURL, "SECRET_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
			"NOTE_MASTER_KEY": newKey + "," + testMasterKey}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := keysCmd(context.Background(), rotating, dbtest.Quiet, []string{"rotate"}, &out); err != nil {
		t.Fatalf("rotate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "re-wrapped") {
		t.Fatalf("output: %s", out.String())
	}
	onlyNew, _, _ := keys.ParseMasterKeys(newKey)
	p, _ := keys.NewLocal(onlyNew)
	if err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		got, err := keys.NewKeyring(p).Open(ctx, tx, where, sealed)
		if err == nil && string(got) != "kōrero" {
			t.Errorf("opened %q", got)
		}
		return err
	}); err != nil {
		t.Fatalf("after rotation, the new key alone: %v", err)
	}
	if err := keysCmd(context.Background(), rotating, dbtest.Quiet, []string{"spin"}, &out); err == nil {
		t.Error("keys spin accepted")
	}
}
