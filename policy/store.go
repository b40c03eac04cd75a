package policy

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	gormadapter "github.com/casbin/gorm-adapter/v3"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

//go:embed model.conf
var modelConf string

//go:embed policy.csv
var policyCSV string

// table is the adapter's table, created by migration 00006_policy.sql.
const table = "casbin_rule"

// templates parses policy.csv once: every line p, role, home pattern, object,
// action, checked against the vocabulary so that a typo is an error rather
// than a silent deny (or a silent grant).
var templates = sync.OnceValues(func() ([][]string, error) {
	var out [][]string
	seen := map[string]bool{}
	for i, line := range strings.Split(policyCSV, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		for j := range f {
			f[j] = strings.TrimSpace(f[j])
		}
		bad := func(why string) error { return fmt.Errorf("policy.csv:%d: %s: %q", i+1, why, line) }
		switch {
		case len(f) != 5 || f[0] != "p":
			return nil, bad("want p, role, domain, object, action")
		case homeOf(f[1]) == "":
			return nil, bad("unknown role")
		case f[2] != pattern(homeOf(f[1])):
			return nil, bad("the domain must be the role's home, " + pattern(homeOf(f[1])))
		case !admits(f[3], f[4]):
			return nil, bad("unknown object or action")
		case seen[line]:
			return nil, bad("duplicate")
		}
		seen[line] = true
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, errors.New("policy.csv: no templates")
	}
	return out, nil
})

// store is the enforcer's casbin adapter. It loads the templates from
// policy.csv and the g and g2 rows from casbin_rule (through gorm-adapter);
// it never writes templates, and never rewrites the table wholesale. Writes
// are made one row at a time by Grant, Revoke and friends, which call the
// gorm adapter directly with their context: casbin's own auto-save is off.
// With a nil adapter (Matrix, benchmarks) it holds templates only.
type store struct {
	adapter *gormadapter.Adapter
	log     *slog.Logger
	// ctx bounds the next LoadPolicy (casbin's adapter interface has no
	// context). Set under Enforcer.mu, which serialises every load.
	ctx context.Context
}

func newStore(db *gorm.DB, log *slog.Logger) (*store, error) {
	s := &store{log: log}
	if db == nil {
		return s, nil
	}
	// The table belongs to the migrations: no AutoMigrate, ever. A session
	// copy, because TurnOffAutoMigrate rewrites the *gorm.DB it is given.
	d := db.Session(&gorm.Session{NewDB: true})
	gormadapter.TurnOffAutoMigrate(d)
	a, err := gormadapter.NewAdapterByDBUseTableName(d, "", table)
	if err != nil {
		return nil, err
	}
	s.adapter = a
	return s, nil
}

// LoadPolicy implements persist.Adapter.
func (s *store) LoadPolicy(m model.Model) error {
	ts, err := templates()
	if err != nil {
		return err
	}
	for _, t := range ts {
		if err := persist.LoadPolicyArray(t, m); err != nil {
			return err
		}
	}
	if s.adapter == nil {
		return nil
	}
	ctx := s.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var rows []gormadapter.CasbinRule
	err = s.adapter.GetDb().WithContext(ctx).Where("ptype IN ?", []string{"g", "g2"}).Order("id").Find(&rows).Error
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	skipped := 0
	for _, r := range rows {
		rule, ok := linkRule(r)
		if !ok {
			skipped++
			continue
		}
		if err := persist.LoadPolicyArray(rule, m); err != nil {
			return err
		}
	}
	if skipped > 0 {
		// Fail closed on rows no Grant or LinkDomain could have written
		// (hand edits): they grant nothing, and someone should look.
		s.log.Warn("policy: ignored malformed casbin_rule rows", "rows", skipped)
	}
	return nil
}

// linkRule turns a row into a casbin rule, refusing anything Grant or
// LinkDomain would not have written.
func linkRule(r gormadapter.CasbinRule) ([]string, bool) {
	switch {
	case r.Ptype == "g" && r.V3 == "" && r.V4 == "" && r.V5 == "":
		if !validUser(r.V0) || homeOf(r.V1) == "" || domainKind(r.V2) != homeOf(r.V1) {
			return nil, false
		}
		return []string{"g", r.V0, r.V1, r.V2}, true
	case r.Ptype == "g2" && r.V2 == "" && r.V3 == "" && r.V4 == "" && r.V5 == "":
		if !validLink(r.V0, r.V1) {
			return nil, false
		}
		return []string{"g2", r.V0, r.V1}, true
	}
	return nil, false
}

// validLink: a tenant inherits from its region and from the funders of its
// contracts, one step, nothing else (no tenant → tenant, no chains).
func validLink(child, parent string) bool {
	k := domainKind(parent)
	return domainKind(child) == kindTenant && (k == kindRegion || k == kindFunder)
}

var errWholesale = errors.New("policy: the policy is never written wholesale; use Grant, Revoke, RevokeAll, LinkDomain")

// SavePolicy implements persist.Adapter; casbin calls it only on request.
func (s *store) SavePolicy(model.Model) error { return errWholesale }

// AddPolicy implements persist.Adapter; unused while auto-save is off.
func (s *store) AddPolicy(string, string, []string) error { return errWholesale }

// RemovePolicy implements persist.Adapter; unused while auto-save is off.
func (s *store) RemovePolicy(string, string, []string) error { return errWholesale }

// RemoveFilteredPolicy implements persist.Adapter; unused while auto-save is off.
func (s *store) RemoveFilteredPolicy(string, string, int, ...string) error { return errWholesale }

// add writes one g or g2 row. The table's trigger announces the change on
// tuhono_policy when the statement commits.
func (s *store) add(ctx context.Context, ptype string, rule []string) error {
	if s.adapter == nil {
		return nil
	}
	return s.adapter.AddPolicyCtx(ctx, "g", ptype, rule)
}

// remove deletes the rows matching rule, where an empty field matches anything.
func (s *store) remove(ctx context.Context, ptype string, rule []string) error {
	if s.adapter == nil {
		return nil
	}
	return s.adapter.RemoveFilteredPolicyCtx(ctx, "g", ptype, 0, rule...)
}

// OpenDB opens the pool policy.New wants: at most two connections of the
// given (app role) URL, each with app.scope = 'policy' set for the whole
// session, as a startup parameter.
//
// A session-level scope breaks the rule everywhere else (db.InTenant and
// db.Platform set theirs per transaction with SET LOCAL). It is tolerable here
// only because this pool is dedicated to casbin_rule and nothing else, and
// the database holds it to that: 'policy' is a scope of its own that the
// casbin_rule policy admits and that no other table's policy mentions, so
// even a misuse of this pool reaches no tenant, user or region row. gorm-
// adapter runs its statements on whatever *gorm.DB it is given, with no hook
// for a per-transaction SET LOCAL; hence the dedicated pool. Never hand the
// returned *gorm.DB to anything but New.
func OpenDB(ctx context.Context, url string) (*gorm.DB, func() error, error) {
	pc, err := pgx.ParseConfig(url)
	if err != nil {
		// pgconn's parse errors can quote the DSN, which holds a password.
		return nil, nil, fmt.Errorf("policy.OpenDB: invalid connection string (%T)", err)
	}
	if pc.RuntimeParams == nil {
		pc.RuntimeParams = map[string]string{}
	}
	pc.RuntimeParams["app.scope"] = "policy"
	pc.RuntimeParams["timezone"] = "UTC"
	pc.RuntimeParams["application_name"] = "tuhono-policy"
	sqlDB := sql.OpenDB(stdlib.GetConnector(*pc))
	sqlDB.SetMaxOpenConns(2)
	sqlDB.SetMaxIdleConns(2)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		// Statements carry user ids and roles, nothing clinical, but the
		// adapter's errors are returned to the caller anyway.
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // every write is one statement
	})
	if err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("policy.OpenDB: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, nil, fmt.Errorf("policy.OpenDB: %w", err)
	}
	return g, sqlDB.Close, nil
}
