package audit

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
)

// Verify walks the chain in windows of seq; a gap as wide as a window must
// not look like the end of the chain.
func TestVerifyWalksWindows(t *testing.T) {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	for i := range 7 {
		if err := env.DB.InTenant(ctx, func(tx *db.Tx) error { return Record(tx, benchEvent(int64(i))) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := NewSealer(env.DB, dbtest.Quiet).SealOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func(p int64) { walkPage = p }(walkPage)
	walkPage = 2

	if bs, err := Verify(context.Background(), env.DB, []uuid.UUID{tn.ID}); err != nil || len(bs) != 0 {
		t.Fatalf("Verify of a whole chain in windows of 2: %v %v", bs, err)
	}
	c, err := pgx.Connect(context.Background(), env.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	_, err = c.Exec(context.Background(), `BEGIN;
		SET LOCAL app.tenant_id = '`+tn.ID.String()+`';
		ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_append_only;
		DELETE FROM audit_seals WHERE seq IN (3, 4);
		ALTER TABLE audit_seals ENABLE TRIGGER audit_seals_append_only;
		COMMIT`)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Verify(context.Background(), env.DB, []uuid.UUID{tn.ID})
	if err != nil || len(bs) != 1 || bs[0].TenantID != tn.ID || bs[0].Seq != 3 || !strings.Contains(bs[0].Why, "goes on to 7") {
		t.Fatalf("Verify after removing the window (2, 4]: %v %v", bs, err)
	}
}
