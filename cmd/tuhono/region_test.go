package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/policy"
)

func TestRegionCommand(t *testing.T) {
	env := dbtest.New(t)
	cfg := adminConfig(t, env)
	ctx := context.Background()
	slug := dbtest.Slug("tamaki")
	var out bytes.Buffer
	if err := regionCmd(ctx, cfg, dbtest.Quiet, []string{"create", "--slug", slug, "--name", "Tāmaki Makaurau",
		"--programme", "Tū Whakaruruhau"}, &out); err != nil {
		t.Fatalf("create: %v", err)
	}
	if !strings.Contains(out.String(), slug) {
		t.Fatalf("create said: %s", out.String())
	}
	if err := regionCmd(ctx, cfg, dbtest.Quiet, []string{"create", "--slug", slug, "--name", "Again"}, &out); err == nil {
		t.Fatal("a second region with the same slug was created")
	}
	if err := regionCmd(ctx, cfg, dbtest.Quiet, []string{"create", "--slug", dbtest.Slug("x"), "--name", "X", "--time-zone", "UTC"}, &out); err == nil ||
		!strings.Contains(err.Error(), "time_zone") {
		t.Fatalf("bad zone: %v", err)
	}
	out.Reset()
	if err := regionCmd(ctx, cfg, dbtest.Quiet, []string{"list"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), slug) || !strings.Contains(out.String(), "Tū Whakaruruhau") || !strings.Contains(out.String(), "Pacific/Auckland") {
		t.Fatalf("list: %s", out.String())
	}

	// Appoint: only a person who exists.
	err := regionCmd(ctx, cfg, dbtest.Quiet, []string{"appoint", "--region", slug, "--email", "nobody@example.co.nz"}, &out)
	if err == nil || !strings.Contains(err.Error(), "no person") {
		t.Fatalf("appoint of nobody: %v", err)
	}
	accounts := account.New(env.DB, nil, account.Config{SealKey: make([]byte, 32),
		Argon2: account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	u, err := accounts.CreateUser(ctx, "regional-admin@example.co.nz", "Regional Admin", "a long enough passphrase", false)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := regionCmd(ctx, cfg, dbtest.Quiet, []string{"appoint", "--region", slug, "--email", "Regional-Admin@example.co.nz"}, &out); err != nil {
		t.Fatalf("appoint: %v", err)
	}
	r, err := onboarding.RegionBySlug(ctx, env.DB, slug)
	if err != nil {
		t.Fatal(err)
	}
	grants, err := accounts.OrgGrants(ctx, u.ID)
	if err != nil || len(grants) != 1 || grants[0].Role != "regional_admin" || grants[0].Domain != policy.RegionDomain(r.ID) {
		t.Fatalf("grants: %+v %v", grants, err)
	}
	if err := regionCmd(ctx, cfg, dbtest.Quiet, []string{"appoint", "--region", "no-such-region", "--email", u.Email}, &out); err == nil {
		t.Fatal("appointed in a region that does not exist")
	}
	for _, bad := range [][]string{nil, {"delete"}, {"create", "--slug", "x"}, {"appoint", "--region", slug}} {
		if err := regionCmd(ctx, cfg, dbtest.Quiet, bad, &out); err == nil {
			t.Errorf("%v: no usage error", bad)
		}
	}
}
