package bulk_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/bulk"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// world is a region with one PHO, and an importer working in it.
type world struct {
	env    *dbtest.Env
	im     *bulk.Importer
	ctx    context.Context
	region tenants.Region
	pho    tenants.Tenant
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	env := dbtest.New(tb)
	r := env.Region(tb)
	pho, err := onboarding.CreateTenant(context.Background(), env.DB, onboarding.NewTenant{Kind: tenants.KindPHO,
		RegionID: r.ID, Slug: dbtest.Slug("pho"), Name: "Te Awa PHO"})
	if err != nil {
		tb.Fatal(err)
	}
	acc := account.New(env.DB, nil, account.Config{BaseURL: "http://tuhono.test"})
	return &world{env: env, im: &bulk.Importer{DB: env.DB, Accounts: acc}, ctx: tenants.WithRegion(context.Background(), r),
		region: r, pho: pho}
}

func (w *world) imp(tb testing.TB, kind bulk.Kind, file string) bulk.Result {
	tb.Helper()
	res, err := w.im.Import(w.ctx, kind, strings.NewReader(file))
	if err != nil {
		tb.Fatalf("Import %s: %v", kind, err)
	}
	return res
}

// practices imports n practices under the world's PHO and returns their slugs.
func (w *world) practices(tb testing.TB, n int) []string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("pho_slug,slug,name,hpi_facility_id,hpi_organisation_id,time_zone,address,contact_email\n")
	slugs := make([]string, n)
	for i := range n {
		slugs[i] = dbtest.Slug(fmt.Sprintf("p%d", i))
		fmt.Fprintf(&b, "%s,%s,Practice %d,,,Pacific/Auckland,,\n", w.pho.Slug, slugs[i], i)
	}
	res := w.imp(tb, bulk.Practices, b.String())
	if !res.OK() || res.Changed != n {
		tb.Fatalf("practices: %+v", res)
	}
	return slugs
}

func (w *world) outbox(tb testing.TB, slugs []string) int {
	tb.Helper()
	var n int
	err := w.env.DB.Platform(context.Background(), "test: count outbox", func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM outbox WHERE tenant_slug IN ?`, slugs).Scan(&n).Error
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func staffFile(slugs []string, rows int, bad int) string {
	var b strings.Builder
	b.WriteString("email,name,practice_slug,roles,fte\n")
	for i := range rows {
		email := fmt.Sprintf("kaimahi%d@example.co.nz", i)
		if i == bad {
			email = "not-an-address"
		}
		fmt.Fprintf(&b, "%s,Kaimahi %d,%s,hip;health_coach,0.%02d\n", email, i, slugs[i%len(slugs)], i%100)
	}
	return b.String()
}

func TestStaffImportAllOrNothingAndIdempotent(t *testing.T) {
	w := newWorld(t)
	slugs := w.practices(t, 10)

	res := w.imp(t, bulk.Staff, staffFile(slugs, 1000, 499))
	if res.OK() || len(res.Problems) != 1 || res.Problems[0].Line != 501 || res.Problems[0].Column != "email" {
		t.Fatalf("one bad row: %+v", res.Problems)
	}
	if res.Changed != 0 || w.outbox(t, slugs) != 0 {
		t.Fatalf("a bad file wrote something: %+v, outbox %d", res, w.outbox(t, slugs))
	}

	res = w.imp(t, bulk.Staff, staffFile(slugs, 1000, -1))
	if !res.OK() || res.Rows != 1000 || res.Invited != 1000 || res.Changed != 1000 {
		t.Fatalf("corrected file: %+v", res)
	}
	if n := w.outbox(t, slugs); n != 1000 {
		t.Fatalf("outbox has %d invitations, want 1000", n)
	}

	res = w.imp(t, bulk.Staff, staffFile(slugs, 1000, -1))
	if !res.OK() || res.Changed != 0 || res.Unchanged != 1000 || res.Invited != 0 {
		t.Fatalf("re-import changed something: %+v", res)
	}
	if n := w.outbox(t, slugs); n != 1000 {
		t.Fatalf("re-import sent invitations again: outbox %d", n)
	}
}

func TestEncodingBOMCRLFQuotesNFD(t *testing.T) {
	w := newWorld(t)
	slugs := w.practices(t, 1)
	nfd := "Ta\u0304ne Ma\u0304ori, \"Jr\""
	file := "\ufeffpractice_slug,Email,name,roles,fte\r\n" +
		slugs[0] + ",  TANE@Example.co.nz ,\"" + strings.ReplaceAll(nfd, `"`, `""`) + "\",\"gp; nurse\",1\r\n"
	res := w.imp(t, bulk.Staff, file)
	if !res.OK() || res.Invited != 1 {
		t.Fatalf("%+v", res)
	}
	ctx := tenants.WithTenant(context.Background(), w.tenant(t, slugs[0]))
	invs, err := w.im.Accounts.Invitations(ctx)
	if err != nil || len(invs) != 1 {
		t.Fatalf("invitations %v %v", invs, err)
	}
	if want := "T\u0101ne M\u0101ori, \"Jr\""; invs[0].Name != want || invs[0].Email != "tane@example.co.nz" ||
		strings.Join(invs[0].Roles, " ") != "gp nurse" {
		t.Fatalf("stored %q %q %v, want NFC %q", invs[0].Name, invs[0].Email, invs[0].Roles, want)
	}
}

func (w *world) tenant(tb testing.TB, slug string) tenants.Tenant {
	tb.Helper()
	tn, err := onboarding.BySlug(w.env.DB)(context.Background(), slug)
	if err != nil {
		tb.Fatal(err)
	}
	return tn
}

func TestHeaderAndRowProblems(t *testing.T) {
	w := newWorld(t)
	slugs := w.practices(t, 1)
	cases := []struct {
		name, file string
		want       []string
	}{
		{"empty", "", []string{"line 1: the file is empty"}},
		{"unknown and missing columns", "email,name,practice_slug,roles,salary\n", []string{"line 1, salary: unknown column", "line 1, fte: missing column"}},
		{"duplicate column", "email,email,name,practice_slug,roles,fte\n", []string{"line 1, email: this column appears twice"}},
		{"bad cells", "email,name,practice_slug,roles,fte\n" +
			"a@example.co.nz,A,nowhere-here,hip,0.5\n" +
			"b@example.co.nz,B," + slugs[0] + ",wizard,1.5\n" +
			"c@example.co.nz,C," + slugs[0] + ",hip\n" +
			"\"d@example.co.nz,D\n", []string{
			"line 2, practice_slug: no practice nowhere-here in this region",
			"line 3, roles: use one or more of", "line 3, fte: must be a number",
			"line 4: has 4 cells", "line 5: a quote is out of place"}},
		{"duplicates", "email,name,practice_slug,roles,fte\n" +
			"a@example.co.nz,A," + slugs[0] + ",hip,\nA@example.co.nz,A," + slugs[0] + ",hip,\n",
			[]string{"line 3, email: the same person at the same practice as line 2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := w.imp(t, bulk.Staff, c.file)
			var got []string
			for _, p := range res.Problems {
				got = append(got, p.String())
			}
			all := strings.Join(got, "\n")
			for _, want := range c.want {
				if !strings.Contains(all, want) {
					t.Errorf("problems lack %q:\n%s", want, all)
				}
			}
			if len(got) != len(c.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(got), len(c.want), all)
			}
		})
	}
	if w.outbox(t, slugs) != 0 {
		t.Fatal("a bad file sent an invitation")
	}
}

func TestTooBig(t *testing.T) {
	w := newWorld(t)
	big := "email,name,practice_slug,roles,fte\n" + strings.Repeat("x", bulk.MaxBytes)
	if _, err := w.im.Import(w.ctx, bulk.Staff, strings.NewReader(big)); err == nil {
		t.Fatal("a file over the limit was accepted")
	}
}

func TestFormulaCellsExportAsText(t *testing.T) {
	w := newWorld(t)
	slugs := w.practices(t, 1)
	file := "email,name,practice_slug,roles,fte\n" +
		"eve@example.co.nz,\"=cmd|' /C calc'!A0\"," + slugs[0] + ",gp,\n" +
		"mal@example.co.nz,@SUM(1+1)," + slugs[0] + ",nurse,0.5\n" +
		"pat@example.co.nz,-2+3," + slugs[0] + ",hip,.25\n"
	if res := w.imp(t, bulk.Staff, file); !res.OK() || res.Invited != 3 {
		t.Fatalf("%+v", res)
	}
	var out bytes.Buffer
	if err := w.im.ExportStaff(w.ctx, &out); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	ftes := map[string]string{}
	for _, r := range rows[1:] {
		names[r[0]], ftes[r[0]] = r[1], r[4]
	}
	for email, want := range map[string]string{"eve@example.co.nz": "'=cmd|' /C calc'!A0",
		"mal@example.co.nz": "'@SUM(1+1)", "pat@example.co.nz": "'-2+3"} {
		if names[email] != want {
			t.Errorf("%s exported as %q, want %q", email, names[email], want)
		}
	}
	if ftes["mal@example.co.nz"] != "0.50" || ftes["pat@example.co.nz"] != "0.25" || ftes["eve@example.co.nz"] != "" {
		t.Errorf("fte exported as %v", ftes)
	}
}

func TestTemplatesParseBack(t *testing.T) {
	for _, k := range bulk.Kinds {
		var b bytes.Buffer
		if err := bulk.Template(&b, k); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil || len(rows) != 2 || strings.Join(rows[0], ",") != strings.Join(bulk.Columns[k], ",") {
			t.Fatalf("%s template: %v %v", k, rows, err)
		}
	}
}

func TestPracticesCreateUpdateAndRefuse(t *testing.T) {
	w := newWorld(t)
	slug := dbtest.Slug("practice")
	file := func(name string) string {
		return "pho_slug,slug,name,hpi_facility_id,hpi_organisation_id,time_zone,address,contact_email\n" +
			w.pho.Slug + "," + slug + "," + name + ",f2n060-e,G00013-K,Pacific/Chatham,\"1 Main Rd, Waitangi\",hello@example.co.nz\n"
	}
	if res := w.imp(t, bulk.Practices, file("Te Awa")); !res.OK() || res.Changed != 1 {
		t.Fatalf("create: %+v", res)
	}
	if res := w.imp(t, bulk.Practices, file("Te Awa")); !res.OK() || res.Changed != 0 || res.Unchanged != 1 {
		t.Fatalf("re-import: %+v", res)
	}
	if res := w.imp(t, bulk.Practices, file("Te Awa Hauora")); !res.OK() || res.Changed != 1 {
		t.Fatalf("update: %+v", res)
	}
	tn := w.tenant(t, slug)
	if tn.Name != "Te Awa Hauora" || tn.ParentID != w.pho.ID || tn.HPIFacID != "F2N060-E" || tn.TimeZone != "Pacific/Chatham" {
		t.Fatalf("stored %+v", tn)
	}

	// Another region cannot reach this one's PHO or practices.
	other := newWorld(t)
	res := other.imp(t, bulk.Practices, "pho_slug,slug,name,hpi_facility_id,hpi_organisation_id,time_zone,address,contact_email\n"+
		w.pho.Slug+","+slug+",Taken,,,,,\n")
	got := fmt.Sprint(res.Problems)
	if res.OK() || !strings.Contains(got, "no PHO") || !strings.Contains(got, "another region") {
		t.Fatalf("cross-region import: %v", got)
	}
	res = other.imp(t, bulk.Enrolment, "practice_slug,quarter,ethnic_group,age_band,gender,nzdep_quintile,count\n"+
		slug+",FY2026-Q1,maori,25-44,female,5,3\n")
	if res.OK() || !strings.Contains(fmt.Sprint(res.Problems), "no practice") {
		t.Fatalf("cross-region enrolment: %+v", res)
	}
}

func TestEnrolmentUpsert(t *testing.T) {
	w := newWorld(t)
	slugs := w.practices(t, 2)
	head := "practice_slug,quarter,ethnic_group,age_band,gender,nzdep_quintile,count\n"
	var b strings.Builder
	b.WriteString(head)
	for _, s := range slugs {
		for _, e := range bulk.EthnicGroups {
			for _, a := range bulk.AgeBands {
				fmt.Fprintf(&b, "%s,FY2026-Q1,%s,%s,female,5,%d\n", s, e, a, len(e)+len(a))
			}
		}
	}
	n := 2 * len(bulk.EthnicGroups) * len(bulk.AgeBands)
	if res := w.imp(t, bulk.Enrolment, b.String()); !res.OK() || res.Changed != n {
		t.Fatalf("first: %+v", res)
	}
	if res := w.imp(t, bulk.Enrolment, b.String()); !res.OK() || res.Changed != 0 || res.Unchanged != n {
		t.Fatalf("again: %+v", res)
	}
	if res := w.imp(t, bulk.Enrolment, head+slugs[0]+",fy2026 q1,Māori,65+,female,5,99\n"); !res.OK() || res.Changed != 1 {
		t.Fatalf("one change: %+v", res)
	}
	ctx := tenants.WithTenant(context.Background(), w.tenant(t, slugs[0]))
	var count int
	if err := w.env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count FROM enrolment WHERE quarter = 'FY2026-Q1' AND ethnic_group = 'maori' AND age_band = '65+'`).Scan(&count).Error
	}); err != nil || count != 99 {
		t.Fatalf("count %d, %v", count, err)
	}
	res := w.imp(t, bulk.Enrolment, head+slugs[0]+",2026Q1,maori,65-74,woman,6,-1\n")
	if len(res.Problems) != 5 {
		t.Fatalf("bad cells: %v", res.Problems)
	}
}
