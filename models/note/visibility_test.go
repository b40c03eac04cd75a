package note_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/note"
)

var update = flag.Bool("update", false, "rewrite testdata/visibility.golden")

// TestVisibilityGolden writes the whole matrix (every role × note kind ×
// own / other practice) and compares it with testdata/visibility.golden.
// The viewer is never the author (an author always reads their own note).
func TestVisibilityGolden(t *testing.T) {
	own, other := uuid.New(), uuid.New()
	roles := []string{"gp", "nurse", "hip", "health_coach", "support_worker", "practice_admin", "pho_admin",
		"regional_admin", "funder", "platform_operator"}
	kinds := []struct {
		name       string
		kind       note.Kind
		restricted bool
	}{
		{"hip", note.KindHIP, false}, {"health_coach", note.KindHealthCoach, false},
		{"support_worker", note.KindSupportWorker, false}, {"restricted", note.KindHIP, true},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# role × note kind × practice → access (viewer is not the author)\n")
	for _, r := range roles {
		for _, k := range kinds {
			for _, where := range []struct {
				name   string
				tenant uuid.UUID
			}{{"own", own}, {"other", other}} {
				v := note.Viewer{UserID: uuid.New(), TenantID: where.tenant, Roles: []string{r}}
				a, why := note.CanRead(v, note.Meta{TenantID: own, AuthorID: uuid.New(), Kind: k.kind, Restricted: k.restricted})
				fmt.Fprintf(&b, "%-17s %-14s %-5s %-8s %s\n", r, k.name, where.name, a, why)
			}
		}
	}
	const path = "testdata/visibility.golden"
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != b.String() {
		t.Fatalf("visibility differs from %s:\n%s", path, b.String())
	}
}

func TestAuthorReadsOwnRestrictedNote(t *testing.T) {
	me := uuid.New()
	tenant := uuid.New()
	a, _ := note.CanRead(note.Viewer{UserID: me, TenantID: tenant, Roles: []string{"hip"}},
		note.Meta{TenantID: tenant, AuthorID: me, Kind: note.KindHIP, Restricted: true})
	if a != note.AccessBody {
		t.Fatalf("author: %v", a)
	}
}
