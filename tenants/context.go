package tenants

import (
	"context"

	"github.com/google/uuid"
)

// Actor is whoever a request acts for: a signed-in user with their roles at the
// resolved tenant, or the system itself (migrations, seeds, scheduled jobs).
type Actor struct {
	UserID uuid.UUID
	Name   string
	Roles  []string
	System bool
	// Token is set when the actor is an API token: Roles are then the
	// token's subset of the membership's roles, and nothing else is allowed.
	Token bool
	// MFAVerified says the person passed the MFA challenge in this session.
	MFAVerified bool
	// SessionID is the browser session, for sign-out and rotation.
	SessionID uuid.UUID
	// MFAMissing: the tenant requires MFA for the actor's clinical roles and
	// the person has not set it up; clinical objects are refused until then.
	MFAMissing bool
}

// HasRole reports whether the actor holds role at the current tenant.
func (a Actor) HasRole(role string) bool {
	for _, r := range a.Roles {
		if r == role {
			return true
		}
	}
	return false
}

type tenantKey struct{}
type actorKey struct{}

// WithTenant returns ctx carrying t. Only the tenant resolution middleware and
// trusted system code (seeds, admin commands) call it: the tenant never comes
// from a form field, a query parameter or a JSON body.
func WithTenant(ctx context.Context, t Tenant) context.Context {
	return context.WithValue(ctx, tenantKey{}, t)
}

// FromContext returns the tenant ctx carries, if any.
func FromContext(ctx context.Context) (Tenant, bool) {
	t, ok := ctx.Value(tenantKey{}).(Tenant)
	return t, ok && t.ID != uuid.Nil
}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

type regionKey struct{}

// WithRegion returns ctx carrying the region a regional route works in.
func WithRegion(ctx context.Context, r Region) context.Context {
	return context.WithValue(ctx, regionKey{}, r)
}

// RegionFrom returns the region ctx carries, if any.
func RegionFrom(ctx context.Context) (Region, bool) {
	r, ok := ctx.Value(regionKey{}).(Region)
	return r, ok && r.ID != uuid.Nil
}
