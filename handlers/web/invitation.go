package web

import (
	"context"
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// errBadInvitationLink is what a malformed link gets: the same words as the
// service's answer for a used or expired one, so the two cannot be told apart.
var errBadInvitationLink = fault.New(fault.KindNotFound, "this invitation link is not valid: it may have been used already or have expired", nil)

type invitationPage struct {
	layout
	Form       *form
	Action     string
	TenantName string
	Kind       string
	Email      string
	Roles      []string
	Existing   bool // the address has an account: accepting adds the membership only
	Name       inputView
	Password   inputView
	Confirm    inputView
}

// invitationTenant resolves the tenant of an invitation link. The link is the
// credential, so there is no membership to check; a tenant that does not
// exist or is not live answers like a bad link.
func (h *handler) invitationTenant(c *fiber.Ctx) (context.Context, tenants.Tenant, error) {
	ctx := httpx.Context(c)
	if !tokenShaped(c.Params("token"), account.PrefixInvitation) {
		return nil, tenants.Tenant{}, errBadInvitationLink
	}
	t, err := h.Directory.Resolve(ctx, c.Params("tenant"))
	if errors.Is(err, tenants.ErrUnknown) {
		return nil, tenants.Tenant{}, errBadInvitationLink
	}
	if err != nil {
		return nil, tenants.Tenant{}, err
	}
	if !t.Live() {
		return nil, tenants.Tenant{}, errBadInvitationLink
	}
	return tenants.WithTenant(ctx, t), t, nil
}

func (h *handler) renderInvitation(c *fiber.Ctx, status int, f *form, t tenants.Tenant, inv account.Invitation) error {
	p := invitationPage{
		layout:     h.page(c, "Your invitation to "+t.Name, "Accept an invitation to join "+t.Name+" on Tūhono.", ""),
		Form:       f,
		Action:     tenantPath(t.Slug, "/invite/"+c.Params("token")),
		TenantName: t.Name,
		Kind:       kindLabels[t.Kind],
		Email:      inv.Email,
		Roles:      roleLabelList(inv.Roles),
		Existing:   inv.ExistingUser,
	}
	if !inv.ExistingUser {
		if _, typed := f.Values["name"]; !typed {
			f.Set("name", inv.Name)
		}
		p.Name = f.Input("name", "Your name", "text", "name", "hint=As your colleagues know you.")
		p.Password = f.Input("password", "Choose a password", "password", "new-password", passwordHint)
		p.Confirm = f.Input("password_confirm", "Password again", "password", "new-password")
	}
	return h.render(c, status, pageInvitation, p)
}

// invitation shows who is invited, where and as what.
func (h *handler) invitation(c *fiber.Ctx) error {
	ctx, t, err := h.invitationTenant(c)
	if err != nil {
		return h.invitationError(c, err)
	}
	inv, err := h.Accounts.InvitationByToken(ctx, c.Params("token"))
	if err != nil {
		return h.invitationError(c, err)
	}
	return h.renderInvitation(c, fiber.StatusOK, newForm(c), t, inv)
}

// acceptInvitation redeems the link: a new person sets their name and
// password; an existing account only gains the membership. Either way they
// sign in next, so the password (and MFA) is proved the usual way.
func (h *handler) acceptInvitation(c *fiber.Ctx) error {
	ctx, t, err := h.invitationTenant(c)
	if err != nil {
		return h.invitationError(c, err)
	}
	token := c.Params("token")
	inv, err := h.Accounts.InvitationByToken(ctx, token)
	if err != nil {
		return h.invitationError(c, err)
	}
	f := newForm(c)
	name, pw := "", ""
	if !inv.ExistingUser {
		name, pw = formValue(c, "name"), formValue(c, "password")
		f.Set("name", name)
		if !confirmPassword(f, "password", "password_confirm", pw, formValue(c, "password_confirm")) {
			return h.renderInvitation(c, fiber.StatusUnprocessableEntity, f, t, inv)
		}
	}
	if _, err := h.Accounts.AcceptInvitation(ctx, token, name, pw); err != nil {
		if f.Adopt(err, map[string]string{"name": "name", "password": "password"}) {
			return h.renderInvitation(c, fiber.StatusUnprocessableEntity, f, t, inv)
		}
		return h.invitationError(c, err)
	}
	return redirect(c, "/signin?done=accepted&next="+url.QueryEscape(tenantPath(t.Slug, "/")))
}

// invitationError shows a bad, used or expired link as the service words it;
// anything else is the frame's.
func (h *handler) invitationError(c *fiber.Ctx, err error) error {
	if fault.As(err).Kind == fault.KindNotFound {
		return h.messagePage(c, err)
	}
	return err
}
