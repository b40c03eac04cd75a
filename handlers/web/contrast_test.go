package web

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// WCAG 2.2 AA: 4.5:1 for normal text (1.4.3), 3:1 for focus indicators and
// other UI boundaries (1.4.11). The pairs are the ones app.css actually puts
// together; a palette change that breaks one fails here, not in an audit.
func TestPaletteContrast(t *testing.T) {
	css, err := staticFS.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	text := [][2]string{
		{"text", "bg"}, {"text", "surface"}, {"text", "surface-alt"}, {"text", "primary-tint"}, {"text", "code-bg"},
		{"muted", "bg"}, {"muted", "surface"}, {"muted", "surface-alt"}, {"muted", "primary-tint"},
		{"primary", "bg"}, {"primary", "surface"}, {"primary", "primary-tint"},
		{"primary-strong", "primary-tint"}, {"primary-strong", "surface"},
		{"on-primary", "primary"}, {"on-primary", "primary-strong"},
		{"footer-text", "footer-bg"}, {"footer-link", "footer-bg"},
		{"get-text", "get-bg"}, {"post-text", "post-bg"}, {"put-text", "put-bg"}, {"delete-text", "delete-bg"},
		{"delete-text", "surface"},
		// form messages, danger buttons, banners and notices
		{"error", "surface"}, {"error", "bg"}, {"on-primary", "error"},
		{"get-text", "get-bg"}, {"put-text", "put-bg"}, {"delete-text", "delete-bg"},
		{"primary-strong", "surface"}, {"primary", "surface"},
	}
	ui := [][2]string{
		// focus outlines sit beside these backgrounds
		{"primary", "bg"}, {"primary", "surface"}, {"primary", "primary-tint"}, {"footer-text", "footer-bg"},
		// the current-page bar in the navigation sits on the tint
		{"primary", "primary-tint"},
		// card edges are decoration; the accent bar must still be visible
		{"accent", "surface"},
		// form controls' edges and the invalid state
		{"input-border", "surface"}, {"input-border", "bg"}, {"error", "surface"},
		// the banner's edge on its own background
		{"accent", "put-bg"},
	}
	check := func(pairs [][2]string, min float64) {
		for _, p := range pairs {
			fg, okF := vars[p[0]]
			bg, okB := vars[p[1]]
			if !okF || !okB {
				t.Errorf("app.css lacks --%s or --%s", p[0], p[1])
				continue
			}
			if r := contrast(fg, bg); r < min {
				t.Errorf("--%s %s on --%s %s: contrast %.2f:1, want ≥ %.1f:1", p[0], fg, p[1], bg, r, min)
			}
		}
	}
	check(text, 4.5)
	check(ui, 3)
}

func TestContrastFormula(t *testing.T) {
	if r := contrast("#000000", "#ffffff"); math.Abs(r-21) > 0.01 {
		t.Errorf("black on white = %.2f, want 21", r)
	}
	if r := contrast("#777777", "#ffffff"); r >= 4.5 {
		t.Errorf("#777 on white = %.2f, should fail AA", r)
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[i:i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(1) + 0.7152*ch(3) + 0.0722*ch(5)
}
