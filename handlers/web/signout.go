package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
)

// signout ends this browser's session.
func (h *handler) signout(c *fiber.Ctx) error {
	sess, _ := httpx.Session(c)
	if err := h.Accounts.SignOut(httpx.Context(c), sess); err != nil {
		return err
	}
	h.Sessions.ClearCookie(c)
	return redirect(c, "/signin?done=signed-out")
}

// signoutEverywhere ends every other session of the person (a lost phone, a
// shared computer); this one stays.
func (h *handler) signoutEverywhere(c *fiber.Ctx) error {
	sess, _ := httpx.Session(c)
	if err := h.Accounts.SignOutEverywhere(httpx.Context(c), sess.User.ID, sess.ID); err != nil {
		return err
	}
	return redirect(c, "/account?done=others-signedout")
}
