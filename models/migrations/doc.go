// Package migrations holds the numbered goose SQL migrations, embedded in the
// binary, and runs them as the owner role. Each migration creates a table
// together with its row-level security policy, constraints, indexes and the
// app role's grants. Migrations are forward-safe for a rolling deploy: a new
// column is nullable or has a default, nothing is renamed in one step.
//
// It never runs as the app role and never uses GORM's AutoMigrate.
package migrations
