package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

//go:embed static
var staticFS embed.FS

// The hash goes in the name, so a changed file gets a new URL and a browser
// may keep any URL it has for a year without asking again.
const staticCacheControl = "public, max-age=31536000, immutable"

// staticTypes is our own table rather than mime.TypeByExtension, whose answer
// depends on the machine's /etc/mime.types. An extension missing here fails
// New, so nothing is ever served with a guessed type.
var staticTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

type staticFile struct {
	body        []byte
	contentType string
}

type staticFiles struct {
	byHashedName map[string]staticFile // "app.3f9a1c2b.css" -> file
	urls         map[string]string     // "app.css" -> "/static/app.3f9a1c2b.css"
}

func loadStatic(fsys fs.FS, dir string) (*staticFiles, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	st := &staticFiles{byHashedName: map[string]staticFile{}, urls: map[string]string{}}
	for _, e := range entries {
		if e.IsDir() {
			return nil, fmt.Errorf("static: %s: sub-directories are not served", e.Name())
		}
		name := e.Name()
		ext := path.Ext(name)
		ctype, ok := staticTypes[ext]
		if !ok || ext == name {
			return nil, fmt.Errorf("static: %s: no content type for %q", name, ext)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("static: %w", err)
		}
		sum := sha256.Sum256(body)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:8] + ext
		st.byHashedName[hashed] = staticFile{body: body, contentType: ctype}
		st.urls[name] = "/static/" + hashed
	}
	return st, nil
}

func (s *Site) serveStatic(c *fiber.Ctx) error {
	// Only the current hashed name is served: an old or unhashed name must
	// not be cached for a year under a URL whose content it does not match.
	f, ok := s.static.byHashedName[c.Params("file")]
	if !ok {
		return s.ErrorPage(c, fiber.StatusNotFound, requestID(c))
	}
	c.Set(fiber.HeaderContentType, f.contentType)
	c.Set(fiber.HeaderCacheControl, staticCacheControl)
	return c.Status(fiber.StatusOK).Send(f.body)
}
