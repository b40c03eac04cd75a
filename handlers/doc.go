// Package handlers assembles the HTTP server: the frame's middleware from
// httpx, the pages from web, the JSON API from api, and the operational
// endpoints (/healthz, /readyz, /metrics). The route tables themselves live in
// web/routes.go and api/. HTTP only: no SQL, no GORM, no domain rules here.
package handlers
