package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// orgGuard admits a signed-in person to a region route (/regions/:region/…)
// when the policy allows the route's Perm in that region's domain — a
// regional admin of that region — or on the platform; and to a platform route
// when it allows it on the platform. Anyone else gets the same 404 as a
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
