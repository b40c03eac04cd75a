package contract

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// Funder is a funding organisation (Health NZ, a PHO as funder). Its people
// hold the funder role in the domain Funder.Domain() and sign in to the
// funder portal at /funders/<slug>.
type Funder struct {
	ID        uuid.UUID
	Slug      string
	Name      string
	CreatedAt time.Time
}

// Domain is the policy domain the funder's people hold their role in.
func (f Funder) Domain() string { return "funder:" + f.ID.String() }

type funderRow struct {
	ID        uuid.UUID
	Slug      string
	Name      string
	CreatedAt time.Time
}

func (funderRow) TableName() string { return "funders" }

func (r funderRow) funder() Funder {
	return Funder{ID: r.ID, Slug: r.Slug, Name: r.Name, CreatedAt: r.CreatedAt}
}

// FunderBySlug finds a funder by its slug; fault.NotFound when there is none.
func FunderBySlug(ctx context.Context, d *db.DB, slug string) (Funder, error) {
	var r funderRow
	err := d.Platform(ctx, "find funder", func(tx *db.Tx) error {
		return tx.Where("slug = ?", slug).Take(&r).Error
	})
	if err != nil {
		return Funder{}, fmt.Errorf("contract.FunderBySlug: %w", err)
	}
	return r.funder(), nil
}

// FunderByID finds a funder; fault.NotFound when there is none.
func FunderByID(ctx context.Context, d *db.DB, id uuid.UUID) (Funder, error) {
	var r funderRow
	err := d.Platform(ctx, "find funder", func(tx *db.Tx) error {
		return tx.Where("id = ?", id).Take(&r).Error
	})
	if err != nil {
		return Funder{}, fmt.Errorf("contract.FunderByID: %w", db.Translate(err))
	}
	return r.funder(), nil
}

// Funders lists every funder by name.
func Funders(ctx context.Context, d *db.DB) ([]Funder, error) {
	var rows []funderRow
	if err := d.Platform(ctx, "list funders", func(tx *db.Tx) error { return tx.Order("name, slug").Find(&rows).Error }); err != nil {
		return nil, fmt.Errorf("contract.Funders: %w", err)
	}
	out := make([]Funder, len(rows))
	for i, r := range rows {
		out[i] = r.funder()
	}
	return out, nil
}

// CreateFunder adds a funder organisation and records who did it in the
// platform's audit trail. The slug is the funder portal's address
// (/funders/<slug>) and never changes.
func CreateFunder(ctx context.Context, d *db.DB, actor uuid.UUID, slug, name string) (Funder, error) {
	slug, name = strings.TrimSpace(slug), norm.NFC.String(strings.TrimSpace(name))
	var f fault.Fields
	if !tenants.ValidSlug(slug) {
		f.Add("slug", "use 1–63 lower-case letters, digits and inner hyphens")
	}
	if l := utf8.RuneCountInString(name); l < 1 || l > 200 {
		f.Add("name", "must be 1–200 characters")
	} else if !plainText(name) {
		f.Add("name", "remove the control characters")
	}
	if err := f.Err(); err != nil {
		return Funder{}, fmt.Errorf("contract.CreateFunder: %w", err)
	}
	r := funderRow{ID: uuid.Must(uuid.NewV7()), Slug: slug, Name: name}
	err := d.Platform(ctx, "create funder", func(tx *db.Tx) error {
		return tx.Omit("created_at").Create(&r).Error
	})
	if err != nil {
		if err = db.Translate(err); errors.Is(err, fault.Conflict) {
			err = fault.New(fault.KindConflict, "another funder has this address name", err)
		}
		return Funder{}, fmt.Errorf("contract.CreateFunder: %w", err)
	}
	if err := audit.RecordPlatform(ctx, d, audit.Event{Action: "funder.create", ActorUserID: actor, Object: "funder",
		ObjectID: r.ID.String(), Detail: map[string]string{"slug": slug, "name": name}}); err != nil {
		return Funder{}, fmt.Errorf("contract.CreateFunder: %w", err)
	}
	return FunderByID(ctx, d, r.ID)
}
