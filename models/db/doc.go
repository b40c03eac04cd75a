// Package db owns the connection to PostgreSQL and the tenant walls on it.
//
// Domain code reaches the database only through InTenant, which reads the
// tenant from the context and fails closed without one; the few cross-tenant
// paths go through AcrossTenants (read-only, audited with a purpose) and
// Platform (platform tables only: regions and the tenant directory). It also
// starts the project-local PostgreSQL of the embedded default, translates
// driver errors into the fault vocabulary, and must never import net/http,
// Fiber or a domain package.
package db
