package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

type funderKey struct{}

// funderOf is the funder of a /funders/:funder route, resolved by orgGuard.
func funderOf(c *fiber.Ctx) contract.Funder {
	f, _ := c.Locals(funderKey{}).(contract.Funder)
	return f
}

// orgGuard admits a signed-in person to a region route (/regions/:region/…)
// when the policy allows the route's Perm in that region's domain — a
// regional admin of that region — or on the platform; and to a platform route
// when it allows it on the platform; and to a funder route (/funders/:funder/…)
// when it allows the Perm in that funder's domain (the funder's people) or on
// the platform. Anyone else gets the same 404 as a
// region that does not exist, and the refusal is audited.
func (h *handler) orgGuard(kind access, perm httpx.Perm) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := httpx.Context(c)
		sess, ok := httpx.Session(c)
		if !ok || h.Allowed == nil {
			return fault.NotFound
		}
		user := sess.User.ID
		allowed := h.Allowed(user, "platform", perm.Object, perm.Action)
		if kind == regional {
			r, err := onboarding.RegionBySlug(ctx, h.DB, c.Params("region"))
			if errors.Is(err, fault.NotFound) {
				return fault.NotFound
			}
			if err != nil {
				return err
			}
			allowed = allowed || h.Allowed(user, "region:"+r.ID.String(), perm.Object, perm.Action)
			ctx = tenants.WithRegion(ctx, r)
		}
		if kind == funding {
			f, err := contract.FunderBySlug(ctx, h.DB, c.Params("funder"))
			if errors.Is(err, fault.NotFound) {
				return fault.NotFound
			}
			if err != nil {
				return err
			}
			allowed = allowed || h.Allowed(user, f.Domain(), perm.Object, perm.Action)
			c.Locals(funderKey{}, f)
		}
		if !allowed {
			audit.RecordPlatform(ctx, h.DB, audit.Event{Action: "authz.deny", ActorUserID: user, Object: perm.Object,
				Reason: perm.Action, Outcome: "denied", RequestID: httpx.RequestID(c)})
			return fault.NotFound
		}
		c.SetUserContext(tenants.WithActor(ctx, tenants.Actor{UserID: user, Name: sess.User.Name,
			MFAVerified: sess.MFAVerified, SessionID: sess.ID}))
		return c.Next()
	}
}
