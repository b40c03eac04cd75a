package httpx

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// X-Forwarded-For is believed only from a trusted peer, and read from the
// right: the leftmost entries are the client's to invent.
func TestClientIPBehindProxies(t *testing.T) {
	cases := []struct {
		name    string
		trusted []string
		xff     string
		want    string
	}{
		{"no proxies trusted: the peer", nil, "203.0.113.9", "0.0.0.0"},
		{"trusted peer: the entry it added", []string{"0.0.0.0/32"}, "198.51.100.7", "198.51.100.7"},
		{"spoofed leftmost entry ignored", []string{"0.0.0.0/32"}, "1.2.3.4, 198.51.100.7", "198.51.100.7"},
		{"our own proxies skipped", []string{"0.0.0.0/32", "10.0.0.0/8"}, "1.2.3.4, 198.51.100.7, 10.1.2.3", "198.51.100.7"},
		{"garbage stops the walk", []string{"0.0.0.0/32"}, "nonsense", "0.0.0.0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &Frame{}
			for _, p := range c.trusted {
				f.TrustedProxies = append(f.TrustedProxies, netip.MustParsePrefix(p))
			}
			app := fiber.New()
			var got string
			app.Get("/", func(ctx *fiber.Ctx) error {
				got, _ = f.clientIP(ctx)
				return nil
			})
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("X-Forwarded-For", c.xff)
			if _, err := app.Test(r); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("client IP %q, want %q", got, c.want)
			}
		})
	}
}
