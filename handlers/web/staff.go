package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

type staffPage struct {
	layout
	Notice      string
	CSRF        string
	Members     []memberView
	Invitations []invitationView
	CanManage   bool // suspend, restore, end
	CanRoles    bool // change a member's roles

	Invite      *form // nil: the person may not invite
	InviteEmail inputView
	InviteName  inputView
	InviteRoles choiceView
	InviteURL   string
	Message     string // about an action on a member that could not be done
}

type memberView struct {
	Name, Email string
	Roles       []string
	Status      string // active, suspended, ended
	StatusLabel string
	MFA         bool
	You         bool
	Base        string // /t/{slug}/staff/{user}
}

type invitationView struct {
	Email, Name string
	Roles       []string
	Sent        timeView
	Expires     timeView
}

var statusLabels = map[string]string{"active": "Active", "suspended": "Suspended", "ended": "Ended"}

func (h *handler) renderStaff(c *fiber.Ctx, status int, invite *form, message string) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	members, err := h.Accounts.Staff(ctx)
	if err != nil {
		return err
	}
	invitations, err := h.Accounts.Invitations(ctx)
	if err != nil {
		return err
	}
	loc := t.Location()
	p := staffPage{
		layout:    h.tenantPage(c, "Staff", "/staff"),
		Notice:    notice(c),
		CSRF:      httpx.CSRFToken(c),
		CanManage: h.can(ctx, staffSuspend),
		CanRoles:  h.can(ctx, staffUpdate),
		Message:   message,
	}
	for _, m := range members {
		p.Members = append(p.Members, memberView{Name: m.User.Name, Email: m.User.Email, Roles: roleLabelList(m.Roles),
			Status: m.Status, StatusLabel: statusLabels[m.Status], MFA: m.User.MFAEnabled, You: m.UserID == actor.UserID,
			Base: tenantPath(t.Slug, "/staff/"+m.UserID.String())})
	}
	for _, inv := range invitations {
		p.Invitations = append(p.Invitations, invitationView{Email: inv.Email, Name: inv.Name, Roles: roleLabelList(inv.Roles),
			Sent: showTime(inv.CreatedAt, loc), Expires: showTime(inv.ExpiresAt, loc)})
	}
	if h.can(ctx, staffInvite) {
		if invite == nil {
			invite = newForm(c)
		}
		p.Invite = invite
		p.InviteURL = tenantPath(t.Slug, "/staff/invite")
		p.InviteEmail = invite.Input("email", "E-mail address", "email", "off", "hint=The invitation goes here. Its link works once.")
		p.InviteName = invite.Input("name", "Name (optional)", "text", "off", "hint=How the e-mail greets them. They can change it when they accept.")
		p.InviteRoles = invite.Choices("roles", "Roles", "Choose every role they will have here.", account.TenantRoles, invite.Lists["roles"])
	}
	return h.render(c, status, pageStaff, p)
}

func (h *handler) staff(c *fiber.Ctx) error {
	return h.renderStaff(c, fiber.StatusOK, nil, "")
}

// invite sends an invitation to join this tenant with roles.
func (h *handler) invite(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	f := newForm(c)
	email, name, roles := formValue(c, "email"), formValue(c, "name"), formValues(c, "roles")
	f.Set("email", email)
	f.Set("name", name)
	f.SetList("roles", roles)
	_, _, err := h.Accounts.Invite(ctx, actor.UserID, email, name, roles)
	if err != nil {
		if f.Adopt(err, map[string]string{"email": "email", "name": "name", "roles": "roles"}) {
			return h.renderStaff(c, fiber.StatusUnprocessableEntity, f, "")
		}
		return err
	}
	return redirect(c, tenantPath(t.Slug, "/staff?done=invited"))
}

func (h *handler) suspend(c *fiber.Ctx) error { return h.setStatus(c, "suspended") }
func (h *handler) restore(c *fiber.Ctx) error { return h.setStatus(c, "active") }
func (h *handler) end(c *fiber.Ctx) error     { return h.setStatus(c, "ended") }

var statusDone = map[string]string{"suspended": "suspended", "active": "restored", "ended": "ended"}

func (h *handler) setStatus(c *fiber.Ctx, status string) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	user, err := uuid.Parse(c.Params("user"))
	if err != nil || user == uuid.Nil {
		return fault.NotFound
	}
	// Locking oneself out is never what an administrator meant, and could
	// leave a practice with no one to bring people back.
	if user == actor.UserID {
		return h.renderStaff(c, fiber.StatusConflict, nil, "You cannot change your own membership. Ask another administrator.")
	}
	if err := h.Accounts.SetStatus(ctx, actor.UserID, user, status); err != nil {
		if fe := fault.As(err); fe.Kind == fault.KindConflict || fe.Kind == fault.KindInvalid {
			return h.renderStaff(c, httpx.Status(err), nil, sentence(fe.Message))
		}
		return err
	}
	return redirect(c, tenantPath(t.Slug, "/staff?done="+statusDone[status]))
}
