// Package api is the JSON API v1 under /api/v1, described by an OpenAPI 3.1
// document generated from its Go types (huma). Every operation has explicit
// request and response types — never a GORM model — and answers errors as
// problem+json through httpx. It never imports gorm.
package api
