package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

type tokensPage struct {
	layout
	Notice    string
	CSRF      string
	Tokens    []tokenView
	Form      *form
	CreateURL string
	Name      inputView
	Roles     choiceView
	Days      inputView
}

type tokenView struct {
	Name      string
	Roles     []string
	Created   timeView
	Expires   timeView
	LastUsed  timeView
	State     string // active, expired, revoked
	RevokeURL string
}

// defaultTokenDays is what the form suggests: long enough for an
// integration to settle in, short enough that a forgotten token dies.
const defaultTokenDays = "90"

var maxTokenDays = int(account.MaxTokenTTL / (24 * time.Hour))

func (h *handler) renderTokens(c *fiber.Ctx, status int, f *form) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	list, err := h.Accounts.Tokens(ctx, actor.UserID)
	if err != nil {
		return err
	}
	loc := t.Location()
	now := time.Now()
	p := tokensPage{
		layout:    h.tenantPage(c, "API tokens", "/tokens"),
		Notice:    notice(c),
		CSRF:      httpx.CSRFToken(c),
		CreateURL: tenantPath(t.Slug, "/tokens"),
	}
	for _, tk := range list {
		v := tokenView{Name: tk.Name, Roles: roleLabelList(tk.Roles), Created: showTime(tk.CreatedAt, loc),
			Expires: showTime(tk.ExpiresAt, loc), State: "active"}
		if tk.LastUsedAt != nil {
			v.LastUsed = showTime(*tk.LastUsedAt, loc)
		}
		switch {
		case tk.RevokedAt != nil:
			v.State = "revoked"
		case !now.Before(tk.ExpiresAt):
			v.State = "expired"
		default:
			v.RevokeURL = tenantPath(t.Slug, "/tokens/"+tk.ID.String()+"/revoke")
		}
		p.Tokens = append(p.Tokens, v)
	}
	if f == nil {
		f = newForm(c)
		f.Set("expires_days", defaultTokenDays)
		f.SetList("roles", actor.Roles)
	}
	p.Form = f
	p.Name = f.Input("name", "Name", "text", "off", "hint=What the token is for, e.g. “Practice dashboard”.")
	p.Roles = f.Choices("roles", "Roles", "The token can do what these roles can do here, and no more.", actor.Roles, f.Lists["roles"])
	p.Days = f.Input("expires_days", "Expires after (days)", "number", "off", "inputmode=numeric", "min=1",
		"max="+strconv.Itoa(maxTokenDays), "hint=From 1 to "+strconv.Itoa(maxTokenDays)+" days.")
	return h.render(c, status, pageTokens, p)
}

func (h *handler) tokens(c *fiber.Ctx) error { return h.renderTokens(c, fiber.StatusOK, nil) }

type tokenCreatedPage struct {
	layout
	Name      string
	Token     string
	Expires   timeView
	TokensURL string
	APIBase   string
}

// createToken makes a token and shows it this once: only its hash is kept.
func (h *handler) createToken(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	f := newForm(c)
	name, roles, days := formValue(c, "name"), formValues(c, "roles"), strings.TrimSpace(formValue(c, "expires_days"))
	f.Set("name", name)
	f.Set("expires_days", days)
	f.SetList("roles", roles)
	n, err := strconv.Atoi(days)
	if err != nil || n < 1 || n > maxTokenDays {
		f.Fail("expires_days", "enter a whole number of days from 1 to "+strconv.Itoa(maxTokenDays))
		return h.renderTokens(c, fiber.StatusUnprocessableEntity, f)
	}
	secret, tk, err := h.Accounts.CreateToken(ctx, actor.UserID, name, roles, time.Duration(n)*24*time.Hour)
	if err != nil {
		if f.Adopt(err, map[string]string{"name": "name", "roles": "roles", "ttl": "expires_days"}) {
			return h.renderTokens(c, fiber.StatusUnprocessableEntity, f)
		}
		return err
	}
	return h.render(c, fiber.StatusOK, pageTokenCreated, tokenCreatedPage{
		layout:    h.tenantPage(c, "Your new API token", "/tokens"),
		Name:      tk.Name,
		Token:     secret,
		Expires:   showTime(tk.ExpiresAt, t.Location()),
		TokensURL: tenantPath(t.Slug, "/tokens"),
		APIBase:   "/api/v1/t/" + t.Slug,
	})
}

func (h *handler) revokeToken(c *fiber.Ctx) error {
	ctx := httpx.Context(c)
	t, _ := tenants.FromContext(ctx)
	actor, _ := tenants.ActorFrom(ctx)
	id, err := uuid.Parse(c.Params("id"))
	if err != nil || id == uuid.Nil {
		return fault.NotFound
	}
	err = h.Accounts.RevokeToken(ctx, actor.UserID, id)
	if fault.As(err).Kind == fault.KindNotFound {
		// Revoking is idempotent: a second click (or the back button) finds
		// no live token of this person's, which is the state they asked for.
		return redirect(c, tenantPath(t.Slug, "/tokens?done=not-active"))
	}
	if err != nil {
		return err
	}
	return redirect(c, tenantPath(t.Slug, "/tokens?done=revoked"))
}
