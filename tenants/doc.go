// Package tenants is the leaf of the import graph: the Tenant, Region and Actor
// types, the context helpers that carry them through a request, and the
// Directory that resolves a URL slug to a tenant.
//
// It must never import anything of Tūhono's, nor a database or HTTP library:
// every other package may depend on it, so it depends on nothing.
package tenants
