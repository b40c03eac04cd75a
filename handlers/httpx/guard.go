package httpx

import (
	"context"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Authorizer answers "may the actor in ctx do action on object here" (the
// policy Enforcer). It returns fault.Forbidden when not.
type Authorizer interface {
	Check(ctx context.Context, object, action string) error
}

// Perm is what a route needs: an object and an action of the policy.
type Perm struct{ Object, Action string }

// ClinicalObjects hold clinical content; a tenant's MFA requirement blocks
// them for people who have not set MFA up.
var ClinicalObjects = []string{"patient", "appointment", "referral", "note", "note.restricted", "handover", "outcome"}

var errMFAFirst = fault.New(fault.KindForbidden, "set up two-step sign-in before working with clinical records", nil)

// Authorize checks perm for the actor of a tenant request, records a denial
// in the tenant's audit trail, and returns fault.Forbidden.
func (f *Frame) Authorize(ctx context.Context, perm Perm) error {
	actor, _ := tenants.ActorFrom(ctx)
	err := f.checkPerm(ctx, actor, perm)
	if err == nil {
		return nil
	}
	if _, ok := tenants.FromContext(ctx); ok && f.DB != nil {
		f.DB.InTenant(ctx, func(tx *db.Tx) error {
			return audit.Record(tx, audit.Event{Action: "authz.deny", ActorUserID: actor.UserID, ActorRoles: actor.Roles,
				Object: perm.Object, Reason: perm.Action, Outcome: "denied", RequestID: RequestIDFrom(ctx)})
		})
	}
	return err
}

func (f *Frame) checkPerm(ctx context.Context, actor tenants.Actor, perm Perm) error {
	if f.Policy == nil || perm.Object == "" {
		return fault.Forbidden // default deny: no policy, or a route that names none
	}
	if actor.MFAMissing && slices.Contains(ClinicalObjects, perm.Object) {
		return errMFAFirst
	}
	return f.Policy.Check(ctx, perm.Object, perm.Action)
}

// Guard is the page middleware for a tenant route's permission.
func (f *Frame) Guard(perm Perm) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := f.Authorize(c.UserContext(), perm); err != nil {
			return err
		}
		return c.Next()
	}
}
