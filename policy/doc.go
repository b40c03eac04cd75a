// Package policy will hold Casbin and nothing else: an embedded model.conf,
// the role permissions as shared templates (p, role, *, object, action) and
// Check(ctx, object, action) against the actor and tenant in ctx. It may
// import tenants only. Identity and access (people, memberships, roles)
// arrive in the next release; until then no route is reachable by anyone
// but the tests, so there is nothing to authorise yet.
package policy
