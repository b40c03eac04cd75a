// Package migrations holds the numbered goose SQL migrations, embedded in the
// binary, and runs them as the owner role. Each migration creates a table
// together with its row-level security policy, constraints, indexes and the
// app role's grants. Migrations are forward-safe for a rolling deploy: a new
// column is nullable or has a default, nothing is renamed in one step.
//
// FORCE ROW LEVEL SECURITY binds the owner too: a migration that backfills
// rows or adds a foreign key to a table that holds data sees no rows unless
// it lifts FORCE for its own transaction (ALTER TABLE … NO FORCE ROW LEVEL
// SECURITY, the work, then FORCE again) — otherwise the backfill touches
// nothing and the constraint is validated against nothing.
//
// It never runs as the app role and never uses GORM's AutoMigrate.
package migrations
