// Package onboarding owns regions and tenants: creating them, changing their
// status, and the directory look-up that resolves a URL slug to a tenant. All
// of it is platform data (no patient ever appears here), reached through
// db.Platform; a tenant's own view of itself is read through db.InTenant.
package onboarding
