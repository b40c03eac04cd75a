package httpx

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// OrgAuth is the region API's authenticator and guard: an organisation
// token (account.CreateOrgToken, prefix "tuo") names a person, the roles it
// carries and the one domain it works in ("region:<id>" or "platform").
//
// Which roles count: a token carries organisation roles the person holds in
// its domain (AuthenticateOrgToken checks org_grants on every request), and
// a region or the platform holds exactly one kind of organisation role
// (regional_admin, platform_operator). So the token's roles are the person's
// roles in that domain, and the policy's answer for the person in that
// domain (Allowed) is the answer for the token's roles. The policy is asked
// only in the token's own domain: a platform token is not a regional admin's
// token even when its person is both.
type OrgAuth struct {
	Accounts *account.Service
	// Allowed answers the policy in any domain (policy.Enforcer.Allowed);
	// nil refuses everything.
	Allowed func(user uuid.UUID, domain, object, action string) bool
	DB      *db.DB // finds regions and records denials in the platform trail
}

// ErrBadOrgToken answers a bearer token that is not a live organisation
// token: unknown, expired, revoked, its grant removed, or a tenant token.
var ErrBadOrgToken = fault.New(fault.KindUnauthenticated,
	"send a live organisation API token (tuo_…): Authorization: Bearer …", nil)

// Caller authenticates the request's organisation token. A request without
// one, or with one that is not live, is 401 before anything is looked up.
func (o *OrgAuth) Caller(c *fiber.Ctx) (account.OrgTokenActor, error) {
	token, ok := BearerToken(c)
	if !ok {
		return account.OrgTokenActor{}, ErrNoBearer
	}
	if o.Accounts == nil {
		return account.OrgTokenActor{}, ErrBadOrgToken
	}
	a, err := o.Accounts.AuthenticateOrgToken(c.UserContext(), token)
	if fault.As(err).Kind == fault.KindUnauthenticated {
		return account.OrgTokenActor{}, ErrBadOrgToken
	}
	return a, err
}

// InRegion authorises perm in the region named by slug: the token must be
// the region's own or a platform token, and the policy must allow perm in
// the token's domain. A region the token does not reach answers 404, the
// same as a region that does not exist. On success the request context
// carries the region and the actor, and is returned.
func (o *OrgAuth) InRegion(c *fiber.Ctx, slug string, perm Perm) (context.Context, error) {
	a, err := o.Caller(c)
	if err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	r, err := onboarding.RegionBySlug(ctx, o.DB, slug)
	if errors.Is(err, fault.NotFound) {
		return nil, fault.NotFound
	}
	if err != nil {
		return nil, err
	}
	if a.Domain != "platform" && a.Domain != "region:"+r.ID.String() {
		return nil, fault.NotFound
	}
	return o.allow(c, ctx, a, perm, r)
}

// OnPlatform authorises perm for platform work (creating regions): only a
// platform token, and only what the policy allows on the platform.
func (o *OrgAuth) OnPlatform(c *fiber.Ctx, perm Perm) (context.Context, error) {
	a, err := o.Caller(c)
	if err != nil {
		return nil, err
	}
	if a.Domain != "platform" {
		return nil, fault.New(fault.KindForbidden, "this needs a platform operator's organisation token", nil)
	}
	return o.allow(c, c.UserContext(), a, perm, tenants.Region{})
}

func (o *OrgAuth) allow(c *fiber.Ctx, ctx context.Context, a account.OrgTokenActor, perm Perm, r tenants.Region) (context.Context, error) {
	if perm.Object == "" || perm.Action == "" || o.Allowed == nil || !o.Allowed(a.Actor.UserID, a.Domain, perm.Object, perm.Action) {
		if o.DB != nil {
			// A failure to record must not turn a 403 into a 500; the frame
			// logs the request either way.
			_ = audit.RecordPlatform(ctx, o.DB, audit.Event{Action: "authz.deny", ActorUserID: a.Actor.UserID,
				ActorRoles: a.Actor.Roles, Object: perm.Object, Reason: perm.Action, Outcome: audit.OutcomeDenied,
				RequestID: RequestID(c), Detail: map[string]string{"domain": a.Domain}})
		}
		return nil, fault.Forbidden
	}
	if r.ID != uuid.Nil {
		ctx = tenants.WithRegion(ctx, r)
	}
	ctx = tenants.WithActor(ctx, a.Actor)
	c.SetUserContext(ctx)
	return ctx, nil
}
