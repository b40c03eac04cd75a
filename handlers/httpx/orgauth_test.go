package httpx

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/models/fault"
)

// The database-backed paths (live, revoked, expired tokens, grants removed,
// regions out of reach) are in handlers/regions_api_test.go; here, what is
// refused before any look-up.
func TestOrgAuthRefusesBeforeLookUp(t *testing.T) {
	o := &OrgAuth{} // no accounts, no policy, no database: nothing may be reached
	app := fiber.New()
	app.Get("/r/:region", func(c *fiber.Ctx) error {
		_, err := o.InRegion(c, c.Params("region"), Perm{Object: "tenant", Action: "read"})
		return c.Status(Status(err)).SendString(fault.As(err).Message)
	})
	app.Get("/p", func(c *fiber.Ctx) error {
		_, err := o.OnPlatform(c, Perm{Object: "region", Action: "create"})
		return c.Status(Status(err)).SendString(fault.As(err).Message)
	})
	for _, c := range []struct{ path, auth string }{
		{"/r/north", ""},
		{"/r/north", "Basic abc"},
		{"/r/north", "Bearer "},
		{"/r/north", "Bearer tuo_x"},
		{"/p", ""},
		{"/p", "bearer tuk_x"},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		res, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 401 {
			t.Errorf("%s with %q: status %d, want 401", c.path, c.auth, res.StatusCode)
		}
	}
}
