package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tuhono/tuhono/handlers"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/migrations"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/policy"
	"github.com/tuhono/tuhono/tenants"
)

// benchPassword is given to tuhono_owner and tuhono_app on a -db server. It is
// the same one models/db/dbtest uses, so that the bench and test processes
// sharing one server never reset each other's role passwords and lock each
// other out (EnsureRoles sets the password of an existing role).
const benchPassword = "tuhono-test-only"

// The bench's person: a practice_admin member of the bench practice, who
// signs in (signin) and calls the API with a token (tenant-read).
const (
	benchEmail    = "bench.admin@example.org"
	benchName     = "Bench Admin"
	benchRole     = "practice_admin"
	benchTokenTTL = 24 * time.Hour
)

// stack is everything the bench runs: the database, the real server and the
// bare ceiling server, each on its own loopback listener.
type stack struct {
	Where      string // a description of the database, for the report
	Tenant     tenants.Tenant
	AppURL     string    // the full server, http://127.0.0.1:port
	BareURL    string    // the bare fiber app of the ceilings
	UserID     uuid.UUID // the bench's person
	Token      string    // their API token at Tenant (practice_admin)
	SignInBody []byte    // {"email": …, "password": …} of the bench's person

	log     *slog.Logger
	db      *db.DB        // the app's pool (tuhono_app)
	super   *pgxpool.Pool // superuser on the bench database: bare-pgx, and watching the audit backlog
	book    *bookBench    // the booking scenarios' practitioners, patient and slot counter
	cleanup []func()
}

// dsns are the connection strings of one bench database.
type dsns struct {
	Super string // superuser on the bench database (bypasses RLS): the bare-pgx ceiling
	Owner string // tuhono_owner: migrations
	App   string // tuhono_app: the application's pool
}

// Close undoes setup in reverse order: servers, pools, database.
func (s *stack) Close() {
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		s.cleanup[i]()
	}
	s.cleanup = nil
}

func (s *stack) onClose(f func()) { s.cleanup = append(s.cleanup, f) }

// setup starts the database, migrates and seeds it, and starts both servers.
// On error what was started is stopped again.
func setup(ctx context.Context, superURL string, poolSize int, log *slog.Logger) (s *stack, err error) {
	s = &stack{log: log}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	var conn dsns
	if superURL == "" {
		conn, err = s.embedded(ctx)
	} else {
		conn, err = s.server(ctx, superURL)
	}
	if err != nil {
		return nil, err
	}

	r, err := migrations.Open(conn.Owner)
	if err != nil {
		return nil, err
	}
	err = r.Up(ctx, log)
	r.Close()
	if err != nil {
		return nil, err
	}

	d, err := db.Open(ctx, db.Config{URL: conn.App, MaxConns: poolSize, Logger: log})
	if err != nil {
		return nil, err
	}
	s.onClose(func() { d.Close() })
	s.db = d
	if s.Tenant, err = seed(ctx, d); err != nil {
		return nil, err
	}
	if err := createPlainAudit(ctx, conn.Owner); err != nil {
		return nil, err
	}

	// Identity, assembled as cmd/tuhono's wire.go does: the policy store
	// and enforcer, and the account service with a fresh seal key.
	pdb, closePolicy, err := policy.OpenDB(ctx, conn.App)
	if err != nil {
		return nil, err
	}
	s.onClose(func() { closePolicy() })
	enforcer, err := policy.New(ctx, pdb, log)
	if err != nil {
		return nil, err
	}
	sealKey := make([]byte, 32)
	if _, err := rand.Read(sealKey); err != nil {
		return nil, err
	}
	accounts := account.New(d, enforcer, account.Config{SealKey: sealKey, Argon2: account.DefaultArgon2})
	password, err := s.seedIdentity(ctx, accounts, enforcer)
	if err != nil {
		return nil, err
	}
	if err := s.seedBooking(ctx, d, accounts); err != nil {
		return nil, err
	}
	// The sign-in ceiling's hash: the same password, hashed as CreateUser did.
	hash, err := account.HashPassword(password, account.DefaultArgon2)
	if err != nil {
		return nil, err
	}

	pool, err := openPGXPool(ctx, conn.Super, poolSize)
	if err != nil {
		return nil, err
	}
	s.onClose(pool.Close)
	s.super = pool
	if err := s.book.history(ctx, pool, s.Tenant.ID, s.UserID); err != nil {
		return nil, err
	}

	// The full stack, assembled as cmd/tuhono's serve does (without the
	// audit sealer and the outbox deliverer: audit-append runs its own
	// sealer, and the bench sends no e-mail).
	dir := tenants.NewDirectory(onboarding.BySlug(d), 30*time.Second)
	listenCtx, stopListen := context.WithCancel(context.Background())
	s.onClose(stopListen)
	go onboarding.Listen(listenCtx, conn.App, log, dir.Invalidate)
	go enforcer.Listen(listenCtx, conn.App)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.AppURL = "http://" + ln.Addr().String()
	app, err := handlers.New(handlers.Options{
		DB: d, Directory: dir, Log: log, Version: "bench", BaseURL: s.AppURL,
		Ready: func(ctx context.Context) error {
			if err := d.Ping(ctx); err != nil {
				return err
			}
			return migrations.Current(ctx, d)
		},
		Accounts:   accounts,
		Policy:     enforcer,
		Roles:      enforcer.RolesIn,
		TenantByID: func(ctx context.Context, id uuid.UUID) (tenants.Tenant, error) { return onboarding.ByID(ctx, d, id) },
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.serve(app, ln)

	bare, err := bareApp(d, pool, s.Tenant, s.UserID, hash)
	if err != nil {
		return nil, err
	}
	s.bareBook(bare, pool)
	bln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.BareURL = "http://" + bln.Addr().String()
	s.serve(bare, bln)
	return s, nil
}

// serve runs app on ln until Close.
func (s *stack) serve(app *fiber.App, ln net.Listener) {
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	s.onClose(func() {
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			s.log.Warn("shutdown", "err", err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
}

// embedded starts a throwaway cluster in a temporary directory and uses its
// database tuhono.
func (s *stack) embedded(ctx context.Context) (dsns, error) {
	dir, err := os.MkdirTemp("", "tuhono-bench-pg-")
	if err != nil {
		return dsns{}, err
	}
	s.onClose(func() { os.RemoveAll(dir) })
	e, err := db.StartEmbedded(ctx, dir, "", s.log)
	if err != nil {
		return dsns{}, err
	}
	s.onClose(func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := e.Stop(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "tuhono-bench: stopping the embedded PostgreSQL:", err)
		}
	})
	super, err := onDatabase(e.SuperURL(), dbNameOf(e.OwnerURL()))
	if err != nil {
		return dsns{}, err
	}
	s.Where = "embedded PostgreSQL in " + dir
	return dsns{Super: super, Owner: e.OwnerURL(), App: e.AppURL()}, nil
}

// server makes the roles and a fresh database tuhono_bench_<random> on the
// server superURL names, and drops that database at the end.
func (s *stack) server(ctx context.Context, superURL string) (dsns, error) {
	if err := db.EnsureRoles(ctx, superURL, benchPassword, benchPassword); err != nil {
		return dsns{}, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "tuhono_bench_" + hex.EncodeToString(b)
	if err := db.EnsureDatabase(ctx, superURL, name); err != nil {
		return dsns{}, err
	}
	s.onClose(func() {
		if err := dropDatabase(superURL, name); err != nil {
			fmt.Fprintf(os.Stderr, "tuhono-bench: could not drop database %s: %v\n", name, err)
		}
	})
	var c dsns
	var err error
	if c.Super, err = onDatabase(superURL, name); err != nil {
		return dsns{}, err
	}
	if c.Owner, err = db.WithCredentials(superURL, "tuhono_owner", benchPassword, name); err != nil {
		return dsns{}, err
	}
	if c.App, err = db.WithCredentials(superURL, "tuhono_app", benchPassword, name); err != nil {
		return dsns{}, err
	}
	s.Where = "database " + name + " (dropped at the end)"
	return c, nil
}

// onDatabase keeps dsn's credentials and changes its database.
func onDatabase(dsn, name string) (string, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "", errors.New("the -db connection string does not parse")
	}
	return db.WithCredentials(dsn, cfg.User, cfg.Password, name)
}

func dbNameOf(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return ""
	}
	return cfg.Database
}

func dropDatabase(superURL, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, superURL)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// seed makes one region and one active practice, with its settings row
// written through the practice's own wall.
func seed(ctx context.Context, d *db.DB) (tenants.Tenant, error) {
	r, err := onboarding.CreateRegion(ctx, d, "bench-region", "Bench region")
	if err != nil {
		return tenants.Tenant{}, err
	}
	t, err := onboarding.CreateTenant(ctx, d, onboarding.NewTenant{
		Kind: tenants.KindPractice, RegionID: r.ID, Slug: "bench-practice", Name: "Bench Practice",
	})
	if err != nil {
		return tenants.Tenant{}, err
	}
	if err := onboarding.SetStatus(ctx, d, t.ID, tenants.StatusActive); err != nil {
		return tenants.Tenant{}, err
	}
	t.Status = tenants.StatusActive
	err = d.InTenant(tenants.WithTenant(ctx, t), func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO tenant_settings (tenant_id) VALUES (?)`, tx.Tenant.ID).Error
	})
	if err != nil {
		return tenants.Tenant{}, fmt.Errorf("seed tenant_settings: %w", err)
	}
	return t, nil
}

// seedIdentity makes the bench's person with a fresh random password, their
// practice_admin membership at the bench practice (mirrored into the policy),
// the practice's link to its region, and an API token of the membership. It
// returns the password.
func (s *stack) seedIdentity(ctx context.Context, accounts *account.Service, enforcer *policy.Enforcer) (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	password := base64.RawURLEncoding.EncodeToString(b) // 24 random characters
	u, err := accounts.CreateUser(ctx, benchEmail, benchName, password, false)
	if err != nil {
		return "", fmt.Errorf("seed user: %w", err)
	}
	s.UserID = u.ID
	tctx := tenants.WithTenant(ctx, s.Tenant)
	if err := accounts.AddMember(tctx, u.ID, u.ID, []string{benchRole}); err != nil {
		return "", fmt.Errorf("seed membership: %w", err)
	}
	if err := enforcer.LinkDomain(ctx, account.TenantDomain(s.Tenant.ID), "region:"+s.Tenant.RegionID.String()); err != nil {
		return "", fmt.Errorf("seed region link: %w", err)
	}
	if s.Token, _, err = accounts.CreateToken(tctx, u.ID, "tuhono-bench", []string{benchRole}, benchTokenTTL); err != nil {
		return "", fmt.Errorf("seed API token: %w", err)
	}
	if s.SignInBody, err = json.Marshal(signInJSON{Email: benchEmail, Password: password}); err != nil {
		return "", err
	}
	return password, nil
}

// signInJSON is the body of POST /api/v1/signin.
type signInJSON struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// openPGXPool is the bare-pgx ceiling's pool: the same size as the app's,
// as the superuser, since the tenants table's policy (forced, so binding
// its owner too) would hide the row from any other role without a tenant.
func openPGXPool(ctx context.Context, dsn string, size int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("bare-pgx: the connection string does not parse")
	}
	cfg.MaxConns = int32(size)
	cfg.ConnConfig.RuntimeParams["application_name"] = "tuhono-bench"
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(pctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// tenantJSON is what the bare handlers answer.
type tenantJSON struct {
	ID     string `json:"id"`
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

// Paths of the bare app.
const (
	barePathHealthz  = "/healthz"
	barePathPGX      = "/pgx"
	barePathInTenant = "/intenant"
	barePathArgon2   = "/argon2"
)

// bareApp is a plain fiber.New() app without any middleware, serving the
// ceilings: /healthz as the real one answers it, /pgx one SELECT on a bare
// pgx pool, /intenant the real onboarding.Current (db.InTenant: BEGIN + SET
// LOCAL, SELECT, COMMIT) with the tenant put in the context directly, and
// POST /argon2 the hashing floor of a sign-in: the sign-in body decoded and
// its password checked by account.VerifyPassword against hash (the same
// password, DefaultArgon2), nothing else.
func bareApp(d *db.DB, pool *pgxpool.Pool, t tenants.Tenant, user uuid.UUID, hash string) (*fiber.App, error) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post(barePathArgon2, func(c *fiber.Ctx) error {
		var in signInJSON
		if err := json.Unmarshal(c.Body(), &in); err != nil {
			return fiber.ErrBadRequest
		}
		ok, _, err := account.VerifyPassword(hash, in.Password)
		if err != nil {
			return err
		}
		if !ok {
			return fiber.ErrUnauthorized
		}
		return c.JSON(fiber.Map{"user_id": user.String()})
	})
	app.Get(barePathHealthz, func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get(barePathPGX, func(c *fiber.Ctx) error {
		var id uuid.UUID
		var out tenantJSON
		err := pool.QueryRow(c.UserContext(), `SELECT id, slug, name, kind, status FROM tenants WHERE id = $1`, t.ID).
			Scan(&id, &out.Slug, &out.Name, &out.Kind, &out.Status)
		if err != nil {
			return err
		}
		out.ID = id.String()
		return c.JSON(out)
	})
	app.Get(barePathInTenant, func(c *fiber.Ctx) error {
		got, err := onboarding.Current(tenants.WithTenant(c.UserContext(), t), d)
		if err != nil {
			return err
		}
		return c.JSON(tenantJSON{ID: got.ID.String(), Slug: got.Slug, Name: got.Name, Kind: string(got.Kind), Status: string(got.Status)})
	})
	return app, nil
}
