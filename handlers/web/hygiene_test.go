package web

import (
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
)

// The Content-Security-Policy set in production (handlers/httpx), repeated
// here so the browser test enforces the same rules the hygiene checks assume.
const productionCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"

var (
	scriptTag     = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)(</script\s*>|$)`)
	styleAttr     = regexp.MustCompile(`(?i)<[a-z][^>]*\sstyle\s*=\s*(?:["']|[^\s"'>&])`)
	styleTag      = regexp.MustCompile(`(?i)<style[\s>]`)
	eventAttr     = regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=\s*(?:["']|[^\s"'>&])`)
	jsURL         = regexp.MustCompile(`(?i)<[a-z][^>]*=\s*["']?\s*javascript\s*:`)
	remoteAsset   = regexp.MustCompile(`(?i)<[a-z][^>]*\s(?:src|srcset|poster|data|xlink:href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//`)
	linkTag       = regexp.MustCompile(`(?is)<link\b[^>]*>`)
	linkRelAsset  = regexp.MustCompile(`(?i)\srel\s*=\s*["']?[^"'>]*\b(?:stylesheet|icon|preload|modulepreload|manifest|apple-touch-icon)\b`)
	linkRemote    = regexp.MustCompile(`(?i)\shref\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//`)
	cssRemoteURL  = regexp.MustCompile(`(?i)url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//`)
	cssImport     = regexp.MustCompile(`(?i)@import\b`)
	svgForeignObj = regexp.MustCompile(`(?i)<foreignObject`)
)

func TestProductionCSPIsTheFrames(t *testing.T) {
	if productionCSP != httpx.ContentSecurityPolicy {
		t.Errorf("the browser tests assume a CSP the frame does not send:\n%s\n%s", productionCSP, httpx.ContentSecurityPolicy)
	}
}

// htmlViolations lists what our CSP would block, or what would load from
// another origin, in an HTML template or page.
func htmlViolations(src string) []string {
	var v []string
	for _, m := range scriptTag.FindAllStringSubmatch(src, -1) {
		if !regexp.MustCompile(`(?i)\ssrc\s*=`).MatchString(m[1]) || strings.TrimSpace(m[2]) != "" || m[3] == "" {
			v = append(v, "inline <script>: "+m[0])
		}
	}
	for name, re := range map[string]*regexp.Regexp{
		"style attribute":         styleAttr,
		"<style> block":           styleTag,
		"event-handler attribute": eventAttr,
		"javascript: URL":         jsURL,
		"remote asset URL":        remoteAsset,
	} {
		if m := re.FindString(src); m != "" {
			v = append(v, name+": "+m)
		}
	}
	for _, tag := range linkTag.FindAllString(src, -1) {
		if linkRelAsset.MatchString(tag) && linkRemote.MatchString(tag) {
			v = append(v, "remote <link> asset: "+tag)
		}
	}
	return v
}

func cssViolations(src string) []string {
	var v []string
	if m := cssRemoteURL.FindString(src); m != "" {
		v = append(v, "remote url(): "+m)
	}
	if cssImport.MatchString(src) {
		v = append(v, "@import (loads another file outside the hashed set)")
	}
	return v
}

func svgViolations(src string) []string {
	// The SVG namespace is an identifier, not something fetched.
	src = strings.ReplaceAll(src, `xmlns="http://www.w3.org/2000/svg"`, "")
	v := htmlViolations(src)
	if svgForeignObj.MatchString(src) {
		v = append(v, "<foreignObject>")
	}
	if strings.Contains(src, "http://") || strings.Contains(src, "https://") {
		v = append(v, "absolute URL in SVG")
	}
	return v
}

// The checks must be able to fail: each bad snippet has to be caught.
func TestHygieneCheckersCatchViolations(t *testing.T) {
	bad := []string{
		`<script>alert(1)</script>`,
		`<script src="/static/app.js">alert(1)</script>`,
		`<SCRIPT type="module">import x from "/y"</SCRIPT>`,
		`<script src="/static/app.js">`,
		`<p style="color:red">`,
		`<p STYLE = 'x'>`,
		`<style>p{}</style>`,
		`<button onclick="go()">`,
		`<a href="javascript:void(0)">`,
		`<img src="https://cdn.example.com/x.png">`,
		`<script src="//cdn.example.com/x.js"></script>`,
		`<link rel="stylesheet" href="https://fonts.googleapis.com/css">`,
		`<link href="http://x/y.css" rel="stylesheet">`,
	}
	for _, s := range bad {
		if len(htmlViolations(s)) == 0 {
			t.Errorf("htmlViolations missed %q", s)
		}
	}
	good := []string{
		`<script src="/static/app.1234abcd.js"></script>`,
		`<link rel="stylesheet" href="/static/app.1234abcd.css">`,
		`<link rel="canonical" href="https://tuhono.example.nz/">`,
		`<p class="styled">Stylesheet notes</p>`,
		`<p>Escaped: &lt;p style=&#34;x&#34; onclick=&#34;y&#34;&gt; javascript: https://x</p>`,
	}
	for _, s := range good {
		if v := htmlViolations(s); len(v) != 0 {
			t.Errorf("htmlViolations(%q) = %v, want none", s, v)
		}
	}
	for _, s := range []string{`a{background:url(https://x/y.png)}`, `@font-face{src:url("//fonts.x/y.woff2")}`, `@import "other.css";`} {
		if len(cssViolations(s)) == 0 {
			t.Errorf("cssViolations missed %q", s)
		}
	}
	if len(svgViolations(`<svg xmlns="http://www.w3.org/2000/svg"><image href="https://x/y.png"/></svg>`)) == 0 {
		t.Error("svgViolations missed a remote image")
	}
}

func TestTemplateHygiene(t *testing.T) {
	files, err := fs.Glob(templateFS, "templates/*")
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{layoutFile, partialsFile}, pageFiles...)
	var got []string
	for _, f := range files {
		got = append(got, path.Base(f))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("templates/ holds %v; every file must be one of the parsed pages %v", got, want)
	}
	for _, f := range files {
		src, err := fs.ReadFile(templateFS, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := template.New(f).Parse(string(src)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		for _, v := range htmlViolations(string(src)) {
			t.Errorf("%s: %s", f, v)
		}
	}
}

func TestStaticHygiene(t *testing.T) {
	css, err := staticFS.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range cssViolations(string(css)) {
		t.Errorf("app.css: %s", v)
	}
	svg, err := staticFS.ReadFile("static/favicon.svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range svgViolations(string(svg)) {
		t.Errorf("favicon.svg: %s", v)
	}
}

// The rendered pages, not only their sources: data must not smuggle in
// anything the CSP would block, wherever the template puts it (text or
// attribute values).
func TestRenderedPageHygiene(t *testing.T) {
	doc := testDoc(t)
	doc.Info.Description = `<script>alert(1)</script> <p style="x">`
	app, _ := newTestApp(t, func() *huma.OpenAPI { return doc })
	for _, p := range []string{"/", referencePath, "/missing"} {
		resp, body := get(t, app, p)
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
		for _, v := range htmlViolations(body) {
			t.Errorf("GET %s: %s", p, v)
		}
	}
}
