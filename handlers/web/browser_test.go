package web

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/input"
	"github.com/go-rod/rod/lib/launcher"
	"github.com/go-rod/rod/lib/proto"
	"github.com/gofiber/fiber/v2"
)

// The browser is Debian's chromium, never one rod downloads: this machine and
// CI reach only package registries, and a pinned distro browser is what the
// tests should answer to.
func findBrowser() (string, error) {
	if p := os.Getenv("ROD_BROWSER_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("ROD_BROWSER_BIN=%s: %w", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	return exec.LookPath("chromium")
}

func launchBrowser(t *testing.T) *rod.Browser {
	t.Helper()
	bin, err := findBrowser()
	if err != nil {
		msg := fmt.Sprintf("no Chromium for the browser tests (%v): install it with `apt-get update && apt-get install -y chromium`, or set ROD_BROWSER_BIN", err)
		if os.Getenv("TUHONO_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	l := launcher.New().
		Bin(bin). // with Bin set, rod never tries to download a browser
		Headless(true).
		NoSandbox(os.Geteuid() == 0). // Chromium's sandbox refuses to run as root
		Leakless(false).              // no helper binary; the cleanup below kills Chromium instead
		UserDataDir(t.TempDir()).
		Set("disable-gpu").
		Set("disable-background-networking").
		Set("disable-component-update").
		Set("disable-sync").
		Set("no-first-run")
	u, err := l.Launch()
	if err != nil {
		t.Fatalf("launch %s: %v", bin, err)
	}
	t.Cleanup(l.Kill)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	b := rod.New().ControlURL(u).Context(ctx)
	if err := b.Connect(); err != nil {
		t.Fatalf("connect to %s: %v", bin, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// serveSite runs the whole site (the stack) on a real socket behind the
// production frame, whose CSP makes a violation the hygiene checks missed
// show up in the browser. 127.0.0.1 is a secure context to Chromium, so the
// __Host- cookies (Secure) work over plain http here.
func serveSite(t *testing.T) (*stack, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	s := newStack(t, base, stackOptions{doc: testDoc(t), mount: func(app *fiber.App) {
		// A page that breaks the CSP on purpose: it proves the detection works.
		app.Get("/__csp-probe", func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			return c.SendString(`<!doctype html><html lang="en"><head><title>probe</title><style>p{color:red}</style></head>` +
				`<body><p style="color:blue">probe</p><script>document.title = "inline ran"</script></body></html>`)
		})
	}})
	go func() { _ = s.app.Listener(ln) }()
	t.Cleanup(func() { _ = s.app.ShutdownWithTimeout(2 * time.Second) })
	return s, base
}

// pageProblems collects console errors and warnings, uncaught exceptions,
// log entries (CSP reports arrive there) and securitypolicyviolation events.
type pageProblems struct {
	mu   sync.Mutex
	list []string
}

func (p *pageProblems) add(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, s)
}

func (p *pageProblems) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.list
	p.list = nil
	return out
}

const cspListener = `window.__csp = []; document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));`

func watch(t *testing.T, page *rod.Page) *pageProblems {
	t.Helper()
	probs := &pageProblems{}
	wait := page.EachEvent(
		func(e *proto.RuntimeConsoleAPICalled) {
			if e.Type == proto.RuntimeConsoleAPICalledTypeError || e.Type == proto.RuntimeConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, a.Value.String()+a.Description)
				}
				probs.add("console." + string(e.Type) + ": " + strings.Join(parts, " "))
			}
		},
		func(e *proto.RuntimeExceptionThrown) {
			probs.add("exception: " + e.ExceptionDetails.Text)
		},
		func(e *proto.LogEntryAdded) {
			if e.Entry.Level == proto.LogLogEntryLevelError || e.Entry.Level == proto.LogLogEntryLevelWarning ||
				strings.Contains(e.Entry.Text, "Content Security Policy") {
				probs.add("log " + string(e.Entry.Source) + ": " + e.Entry.Text + " " + e.Entry.URL)
			}
		},
	)
	go wait()
	if _, err := page.EvalOnNewDocument(cspListener); err != nil {
		t.Fatal(err)
	}
	return probs
}

func open(t *testing.T, page *rod.Page, url string, width, height int) {
	t.Helper()
	if err := page.SetViewport(&proto.EmulationSetDeviceMetricsOverride{
		Width: width, Height: height, DeviceScaleFactor: 1, Mobile: width < 600,
	}); err != nil {
		t.Fatal(err)
	}
	if err := page.Navigate(url); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
	if err := page.WaitLoad(); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
}

func evalJSON(t *testing.T, page *rod.Page, js string, v any) {
	t.Helper()
	res, err := page.Eval(js)
	if err != nil {
		t.Fatalf("eval %s: %v", js, err)
	}
	if err := res.Value.Unmarshal(v); err != nil {
		t.Fatalf("eval %s: %v", js, err)
	}
}

// cspViolations combines the DOM events with what the log saw, after giving
// the browser a moment to report.
func cspViolations(t *testing.T, page *rod.Page, probs *pageProblems) []string {
	t.Helper()
	time.Sleep(150 * time.Millisecond)
	var dom []string
	evalJSON(t, page, `() => window.__csp || []`, &dom)
	return append(dom, probs.take()...)
}

func screenshot(t *testing.T, page *rod.Page, dir, name string, fullPage bool) {
	t.Helper()
	png, err := page.Screenshot(fullPage, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng})
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TUHONO_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestBrowser(t *testing.T) {
	browser := launchBrowser(t)
	_, base := serveSite(t)
	dir := screenshotDir(t)

	page, err := browser.Page(proto.TargetCreateTarget{})
	if err != nil {
		t.Fatal(err)
	}
	probs := watch(t, page)

	t.Run("csp detection works", func(t *testing.T) {
		open(t, page, base+"/__csp-probe", 800, 600)
		v := cspViolations(t, page, probs)
		if len(v) == 0 {
			t.Fatal("a page with inline script and style reported no CSP violation: the checks below would prove nothing")
		}
		var title string
		evalJSON(t, page, `() => document.title`, &title)
		if title == "inline ran" {
			t.Fatal("the inline script ran: the CSP header is not applied")
		}
	})

	for _, tc := range []struct {
		path          string
		width, height int
		shot          string
		notFound      bool // the document itself is a 404, which Chromium logs
	}{
		{"/", 390, 844, "landing-390.png", false},
		{"/", 1280, 900, "landing-1280.png", false},
		{"/", 320, 640, "landing-320.png", false},
		{referencePath, 390, 844, "apiref-390.png", false},
		{referencePath, 1280, 900, "apiref-1280.png", false},
		{"/no-such-page", 390, 844, "error-404-390.png", true},
		{"/signin", 390, 844, "signin-390.png", false},
		{"/signin", 1280, 900, "signin-1280.png", false},
		{"/reset", 390, 844, "reset-390.png", false},
	} {
		t.Run(fmt.Sprintf("%s at %dpx", tc.path, tc.width), func(t *testing.T) {
			open(t, page, base+tc.path, tc.width, tc.height)
			for _, v := range cspViolations(t, page, probs) {
				if tc.notFound && strings.HasPrefix(v, "log network:") && strings.HasSuffix(v, " "+base+tc.path) {
					continue
				}
				t.Errorf("%s: %s", tc.path, v)
			}
			var m struct{ ScrollWidth, ClientWidth int }
			evalJSON(t, page, `() => ({scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth})`, &m)
			if m.ScrollWidth > m.ClientWidth {
				t.Errorf("horizontal scroll at %dpx: scrollWidth %d > clientWidth %d", tc.width, m.ScrollWidth, m.ClientWidth)
			}
			var cssLoaded bool
			evalJSON(t, page, `() => getComputedStyle(document.body).backgroundColor === "rgb(250, 247, 242)"`, &cssLoaded)
			if !cssLoaded {
				t.Error("the stylesheet did not apply")
			}
			screenshot(t, page, dir, tc.shot, true)
		})
	}

	t.Run("skip link", func(t *testing.T) {
		open(t, page, base+"/", 390, 844)
		type box struct {
			Top, Bottom, Width, Height float64
			Outline                    string
			Class, ID                  string
		}
		const focused = `() => { const e = document.activeElement, r = e.getBoundingClientRect();
			return {top: r.top, bottom: r.bottom, width: r.width, height: r.height,
				outline: getComputedStyle(e).outlineStyle, class: e.className, id: e.id}; }`
		var before box
		evalJSON(t, page, `() => { const r = document.querySelector(".skip-link").getBoundingClientRect();
			return {top: r.top, bottom: r.bottom, width: r.width, height: r.height}; }`, &before)
		if before.Bottom > 0 {
			t.Errorf("skip link is on screen before it has focus: %+v", before)
		}
		if err := page.Keyboard.Press(input.Tab); err != nil {
			t.Fatal(err)
		}
		var after box
		evalJSON(t, page, focused, &after)
		if after.Class != "skip-link" {
			t.Fatalf("first Tab focused %q, want the skip link", after.Class)
		}
		if after.Top < 0 || after.Bottom > 844 || after.Width < 1 || after.Height < 1 {
			t.Errorf("focused skip link is not visible: %+v", after)
		}
		if after.Outline == "none" {
			t.Error("focused skip link has no outline")
		}
		screenshot(t, page, dir, "skip-link-focus-390.png", false)
		if err := page.Keyboard.Press(input.Enter); err != nil {
			t.Fatal(err)
		}
		var target box
		evalJSON(t, page, focused, &target)
		if target.ID != "main" {
			t.Errorf("after following the skip link focus is on %q, want main", target.ID)
		}
		if err := page.Keyboard.Press(input.Tab); err != nil {
			t.Fatal(err)
		}
		var next box
		evalJSON(t, page, focused, &next)
		if next.Outline == "none" {
			t.Errorf("keyboard focus after main has no visible outline (%+v)", next)
		}
		for _, v := range cspViolations(t, page, probs) {
			t.Error(v)
		}
	})

	if os.Getenv("TUHONO_SCREENSHOTS") != "" {
		t.Logf("screenshots in %s", dir)
	}
}
