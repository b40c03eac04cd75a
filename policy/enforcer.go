package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/rbac"
	"github.com/casbin/casbin/v2/util"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Enforcer answers whether a user, in a domain, may take an action on a kind
// of thing. It wraps a casbin.SyncedEnforcer: checks take its read lock, so a
// revocation is seen by the very next check on this instance (never a cached
// allow), and other instances reload within a second (Listen).
type Enforcer struct {
	se    *casbin.SyncedEnforcer
	store *store
	log   *slog.Logger
	// The role managers behind g and g2, read by inheritedRole and RolesIn
	// under se's lock. casbin keeps these objects across reloads (it clears
	// and refills them).
	g, g2 rbac.RoleManager
	// mu serialises writes and reloads, so that a reload never puts back an
	// older snapshot over a change this instance has just made.
	mu sync.Mutex
}

// tokenCheck selects the r2/m2 definitions of model.conf: one fixed role.
var tokenCheck = casbin.EnforceContext{RType: "r2", PType: "p", EType: "e", MType: "m2"}

// New builds the enforcer over db (see OpenDB: casbin_rule is reachable only
// in the policy or platform scope) and loads the policy: the templates of
// policy.csv and every g and g2 row. Run Listen beside it to follow changes
// made by other instances.
func New(ctx context.Context, db *gorm.DB, log *slog.Logger) (*Enforcer, error) {
	if db == nil {
		return nil, errors.New("policy.New: nil database")
	}
	e, err := newEnforcer(db, log)
	if err != nil {
		return nil, fmt.Errorf("policy.New: %w", err)
	}
	if err := e.reload(ctx); err != nil {
		return nil, fmt.Errorf("policy.New: %w", err)
	}
	return e, nil
}

// newEnforcer builds an enforcer with templates loaded; with a nil db it
// lives in memory only (Matrix, benchmarks).
func newEnforcer(db *gorm.DB, log *slog.Logger) (*Enforcer, error) {
	if log == nil {
		log = slog.Default()
	}
	s, err := newStore(db, log)
	if err != nil {
		return nil, err
	}
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, err
	}
	se, err := casbin.NewSyncedEnforcer(m) // no adapter yet: nothing loads before the functions exist
	if err != nil {
		return nil, err
	}
	se.SetAdapter(s)
	se.EnableAutoSave(false)
	e := &Enforcer{se: se, store: s, log: log, g: se.GetNamedRoleManager("g"), g2: se.GetNamedRoleManager("g2")}
	if e.g == nil || e.g2 == nil {
		return nil, errors.New("model.conf lacks g or g2")
	}
	se.AddFunction("domainMatch", func(args ...any) (any, error) {
		d, p, ok := twoStrings(args)
		return ok && util.KeyMatch(d, p), nil
	})
	se.AddFunction("inheritedRole", e.inheritedRole)
	if db == nil {
		if err := se.LoadPolicy(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// inheritedRole(user, role, domain, pattern) reports whether user holds role
// in a parent of domain (one g2 step) that matches pattern. It runs inside
// Enforce, under the enforcer's read lock, so it reads the role managers
// directly: calling back into the SyncedEnforcer would take the lock again.
func (e *Enforcer) inheritedRole(args ...any) (any, error) {
	if len(args) != 4 {
		return false, fmt.Errorf("inheritedRole: want 4 arguments, got %d", len(args))
	}
	var s [4]string
	for i, a := range args {
		v, ok := a.(string)
		if !ok {
			return false, nil
		}
		s[i] = v
	}
	user, role, domain, pat := s[0], s[1], s[2], s[3]
	// Parents are regions and funders only (validLink), so the templates of
	// tenant and platform roles can never match one: skip the lookup.
	if pat != pattern(kindRegion) && pat != pattern(kindFunder) {
		return false, nil
	}
	parents, _ := e.g2.GetRoles(domain)
	for _, p := range parents {
		if !util.KeyMatch(p, pat) {
			continue
		}
		if ok, _ := e.g.HasLink(user, role, p); ok {
			return true, nil
		}
	}
	return false, nil
}

func twoStrings(args []any) (string, string, bool) {
	if len(args) != 2 {
		return "", "", false
	}
	a, ok1 := args[0].(string)
	b, ok2 := args[1].(string)
	return a, b, ok1 && ok2
}

// Allowed reports whether user may take action on object in domain, through
// any role they hold there or inherit from the domain's region or funders.
// Anything unknown (user, domain, object, action) is denied.
func (e *Enforcer) Allowed(user uuid.UUID, domain, object, action string) bool {
	return e.allowedAs(user, allRoles(), domain, object, action)
}

// allowedAs is Allowed through the given roles only (an API token's subset,
// a membership's roles): each must also be held, in domain or inherited, to
// count.
//
// It decides what model.conf's matchers decide, without evaluating them:
// the templates are static, so "may role R do A on O" is a set look-up, and
// "does the user hold R here" reads casbin's role managers (g, and one g2
// step to a region or funder). Evaluating the matcher over all 163 template
// lines took ~47 µs a check, a fifth of an authenticated API read;
// TestFastPathAgreesWithCasbin holds the two to the same answers for every
// role, object, action and kind of domain.
func (e *Enforcer) allowedAs(user uuid.UUID, roles []string, domain, object, action string) bool {
	kind := domainKind(domain)
	if user == uuid.Nil || kind == "" {
		return false
	}
	u := user.String()
	lock := e.se.GetLock()
	lock.RLock()
	defer lock.RUnlock()
	var parents []string
	for i, role := range roles {
		home := homeOf(role)
		if home == "" || slices.Contains(roles[:i], role) || !permits()[permitKey(role, object, action)] {
			continue
		}
		if home == kind {
			if ok, _ := e.g.HasLink(u, role, domain); ok {
				return true
			}
			continue
		}
		if parents == nil {
			parents, _ = e.g2.GetRoles(domain)
		}
		for _, p := range parents {
			if domainKind(p) != home {
				continue
			}
			if ok, _ := e.g.HasLink(u, role, p); ok {
				return true
			}
		}
	}
	return false
}

// enforce asks casbin itself (the matcher of model.conf); the fast path above
// must agree with it.
func (e *Enforcer) enforce(user uuid.UUID, domain, object, action string) bool {
	ok, err := e.se.Enforce(user.String(), domain, object, action)
	if err != nil {
		e.log.Error("policy: enforce failed", "err", err)
		return false
	}
	return ok
}

func permitKey(role, object, action string) string { return role + "\x00" + object + "\x00" + action }

// permits is the template set of policy.csv: role, object, action.
var permits = sync.OnceValue(func() map[string]bool {
	ts, err := templates()
	if err != nil {
		return map[string]bool{} // New fails on the same error before any check
	}
	m := make(map[string]bool, len(ts))
	for _, t := range ts {
		m[permitKey(t[1], t[3], t[4])] = true
	}
	return m
})

var allRoles = sync.OnceValue(func() []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.name
	}
	return out
})

// Check answers for the actor and tenant in ctx, in the tenant's domain. It
// returns nil when allowed and a fault.Forbidden error otherwise, including
// when ctx lacks an actor or a tenant, when the actor is the system (system
// work does not pass through Check) and when an API token carries no roles.
// An actor with Roles set (an API token) is limited to those roles, and each
// must still be held by the user: a token never outgrows its user.
func (e *Enforcer) Check(ctx context.Context, object, action string) error {
	a, ok := tenants.ActorFrom(ctx)
	if !ok || a.System || a.UserID == uuid.Nil {
		return forbidden("no signed-in actor", object, action)
	}
	t, ok := tenants.FromContext(ctx)
	if !ok {
		return forbidden("no tenant", object, action)
	}
	domain := TenantDomain(t.ID)
	var allowed bool
	switch {
	case len(a.Roles) > 0:
		allowed = e.allowedAs(a.UserID, a.Roles, domain, object, action)
	case a.Token:
		allowed = false // a token without roles may do nothing
	default:
		allowed = e.Allowed(a.UserID, domain, object, action)
	}
	if !allowed {
		e.log.DebugContext(ctx, "policy: denied", "user", a.UserID, "domain", domain, "object", object, "action", action)
		return forbidden("denied", object, action)
	}
	return nil
}

func forbidden(why, object, action string) error {
	return fault.New(fault.KindForbidden, fault.Forbidden.Message,
		fmt.Errorf("policy.Check %s %s: %s", object, action, why))
}

// RolesIn lists the roles user holds in domain, held there or inherited
// from the domain's region and funders, in the order of Roles.
func (e *Enforcer) RolesIn(user uuid.UUID, domain string) []string {
	if user == uuid.Nil || domainKind(domain) == "" {
		return nil
	}
	u := user.String()
	held := map[string]bool{}
	lock := e.se.GetLock()
	lock.RLock()
	direct, _ := e.g.GetRoles(u, domain)
	for _, r := range direct {
		if homeOf(r) == domainKind(domain) {
			held[r] = true
		}
	}
	parents, _ := e.g2.GetRoles(domain)
	for _, p := range parents {
		rs, _ := e.g.GetRoles(u, p)
		for _, r := range rs {
			if homeOf(r) == domainKind(p) {
				held[r] = true
			}
		}
	}
	lock.RUnlock()
	var out []string
	for _, r := range roles {
		if held[r.name] {
			out = append(out, r.name)
		}
	}
	return out
}

// Grant gives user role in domain, which must be the role's home kind
// (tenant roles in a tenant:, regional_admin in a region:, funder in a
// funder:, platform_operator in platform). It writes the casbin_rule row,
// whose trigger tells every other instance, and updates this one at once.
func (e *Enforcer) Grant(ctx context.Context, user uuid.UUID, role, domain string) error {
	if err := checkGrant(user, role, domain); err != nil {
		return fmt.Errorf("policy.Grant: %w", err)
	}
	rule := []string{user.String(), role, domain}
	return e.change(ctx, "policy.Grant", func() error { return e.store.add(ctx, "g", rule) },
		func() (bool, error) { return e.se.AddNamedGroupingPolicy("g", rule) })
}

// Revoke takes role in domain away from user. The next check on this
// instance sees it; other instances within a second.
func (e *Enforcer) Revoke(ctx context.Context, user uuid.UUID, role, domain string) error {
	if err := checkGrant(user, role, domain); err != nil {
		return fmt.Errorf("policy.Revoke: %w", err)
	}
	rule := []string{user.String(), role, domain}
	return e.change(ctx, "policy.Revoke", func() error { return e.store.remove(ctx, "g", rule) },
		func() (bool, error) { return e.se.RemoveNamedGroupingPolicy("g", rule) })
}

// RevokeAll takes every role in domain away from user (a membership ended).
func (e *Enforcer) RevokeAll(ctx context.Context, user uuid.UUID, domain string) error {
	if user == uuid.Nil {
		return fmt.Errorf("policy.RevokeAll: %w", fault.InvalidField("user", "is required"))
	}
	if domainKind(domain) == "" {
		return fmt.Errorf("policy.RevokeAll: %w", fault.InvalidField("domain", "is not a domain"))
	}
	u := user.String()
	return e.change(ctx, "policy.RevokeAll", func() error { return e.store.remove(ctx, "g", []string{u, "", domain}) },
		func() (bool, error) { return e.se.RemoveFilteredNamedGroupingPolicy("g", 0, u, "", domain) })
}

// LinkDomain makes child (a tenant domain) inherit the roles held in parent
// (its region, or the funder of a contract it works under): regional admins
// of the region and the funder's people then act in the tenant, including
// those granted before the link.
func (e *Enforcer) LinkDomain(ctx context.Context, child, parent string) error {
	if !validLink(child, parent) {
		return fmt.Errorf("policy.LinkDomain: %w", fault.InvalidField("parent", "a tenant domain links only to a region or funder domain"))
	}
	rule := []string{child, parent}
	return e.change(ctx, "policy.LinkDomain", func() error { return e.store.add(ctx, "g2", rule) },
		func() (bool, error) { return e.se.AddNamedGroupingPolicy("g2", rule) })
}

// UnlinkDomain undoes LinkDomain (a contract ended, a tenant moved region).
func (e *Enforcer) UnlinkDomain(ctx context.Context, child, parent string) error {
	if !validLink(child, parent) {
		return fmt.Errorf("policy.UnlinkDomain: %w", fault.InvalidField("parent", "a tenant domain links only to a region or funder domain"))
	}
	rule := []string{child, parent}
	return e.change(ctx, "policy.UnlinkDomain", func() error { return e.store.remove(ctx, "g2", rule) },
		func() (bool, error) { return e.se.RemoveNamedGroupingPolicy("g2", rule) })
}

// change persists first, then updates memory, under mu. Should memory refuse
// a change the database took, memory is reloaded from the database.
func (e *Enforcer) change(ctx context.Context, op string, persist func() error, apply func() (bool, error)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := persist(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if _, err := apply(); err != nil {
		e.log.ErrorContext(ctx, "policy: in-memory update failed; reloading", "op", op, "err", err)
		if err := e.reloadLocked(ctx); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return nil
}

func checkGrant(user uuid.UUID, role, domain string) error {
	var f fault.Fields
	if user == uuid.Nil {
		f.Add("user", "is required")
	}
	home := homeOf(role)
	switch {
	case home == "":
		f.Add("role", "is not a role")
	case domainKind(domain) == "":
		f.Add("domain", "is not a domain")
	case domainKind(domain) != home:
		f.Add("domain", role+" is held in a "+home+" domain")
	}
	return f.Err()
}

// reload replaces the in-memory policy with the database's.
func (e *Enforcer) reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reloadLocked(ctx)
}

func (e *Enforcer) reloadLocked(ctx context.Context) error {
	e.store.ctx = ctx
	defer func() { e.store.ctx = nil }()
	if err := e.se.LoadPolicy(); err != nil {
		return fmt.Errorf("load policy: %w", err)
	}
	return nil
}
