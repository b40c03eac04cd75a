package reportrun_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/report"
	"github.com/tuhono/tuhono/models/reportrun"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var nz = func() *time.Location {
	l, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		panic(err)
	}
	return l
}()

// practice is one practice under one contract, filled with sessions.
type practice struct {
	t      *testing.T
	env    *dbtest.Env
	ctx    context.Context
	tenant tenants.Tenant
	hip    uuid.UUID
	funder contract.Funder
	c      contract.Contract
	admin  uuid.UUID
	people int
}

func (p *practice) exec(q string, args ...any) {
	p.t.Helper()
	if err := p.env.DB.InTenant(p.ctx, func(tx *db.Tx) error { return tx.Exec(q, args...).Error }); err != nil {
		p.t.Fatalf("%s: %v", q, err)
	}
}

func (p *practice) user() uuid.UUID {
	p.t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := p.env.DB.Platform(context.Background(), "test setup", func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO users (id, email, name) VALUES (?, ?, 'Test Person')`, id, "u-"+id.String()[24:]+"@example.co.nz").Error
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return id
}

// newPractice makes a practice with a HIP and a quarterly HIP contract of
// funder f (a new funder when f is zero) covering it, without rounding so
// that every change of data shows in the published figures.
func newPractice(t *testing.T, env *dbtest.Env, f contract.Funder) *practice {
	t.Helper()
	ctx, tn := env.Tenant(t)
	p := &practice{t: t, env: env, ctx: ctx, tenant: tn}
	p.hip = p.user()
	p.exec(`INSERT INTO memberships (tenant_id, user_id, roles) VALUES (?, ?, ARRAY['hip']::text[])`, tn.ID, p.hip)
	p.admin = p.user()
	if f.ID == uuid.Nil {
		var err error
		if f, err = contract.CreateFunder(context.Background(), env.DB, uuid.Nil, dbtest.Slug("funder"), "Health New Zealand"); err != nil {
			t.Fatal(err)
		}
	}
	p.funder = f
	c, err := contract.Create(context.Background(), env.DB, p.admin, contract.New{RegionID: tn.RegionID, FunderID: f.ID,
		Number: "HNZ-" + uuid.NewString()[:6], Name: "Access and Choice", Lines: []string{report.LineHIP},
		StartsOn: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC),
		Frequency: report.Quarterly, Threshold: 6, Rounding: false, Targets: report.Targets{SeenWithin7Days: 0.8}})
	if err != nil {
		t.Fatal(err)
	}
	if err := contract.SetCoverage(context.Background(), env.DB, p.admin, c.ID,
		[]contract.Coverage{{PracticeID: tn.ID, Line: report.LineHIP, FTE: 1}}); err != nil {
		t.Fatal(err)
	}
	if p.c, err = contract.ByID(context.Background(), env.DB, c.ID); err != nil {
		t.Fatal(err)
	}
	return p
}

// seen registers a person and completes a HIP session with them in July
// 2026 (FY2027-Q1).
func (p *practice) seen() {
	p.t.Helper()
	p.people++
	who := uuid.Must(uuid.NewV7())
	p.exec(`INSERT INTO patients (tenant_id, id, family_name, name_search, date_of_birth, gender, ethnicity, ethnic_group)
		VALUES (?, ?, 'Test', 'test', '1990-05-01', 'female', '{21}'::text[], 'maori')`, p.tenant.ID, who)
	start := time.Date(2026, 7, 6+p.people, 10, 0, 0, 0, nz)
	p.exec(`INSERT INTO appointments (tenant_id, id, practitioner_id, patient_id, kind, mode, service_line,
		starts_at, ends_at, status, created_by) VALUES (?, ?, ?, ?, 'booked', 'in_person', 'hip', ?, ?, 'completed', ?)`,
		p.tenant.ID, uuid.Must(uuid.NewV7()), p.hip, who, start, start.Add(30*time.Minute), p.hip)
}

var q1 = report.FiscalQuarter(2027, 1)

func (p *practice) generate() reportrun.Run {
	p.t.Helper()
	r, err := reportrun.Generate(context.Background(), p.env.DB, p.admin, p.c.ID, q1, "Test region")
	if err != nil {
		p.t.Fatal(err)
	}
	return r
}

func get(t *testing.T, env *dbtest.Env, run reportrun.Run, format string) reportrun.File {
	t.Helper()
	f, err := reportrun.Get(context.Background(), env.DB, run.ID, format)
	if err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return f
}

func TestGenerateVersionsAndChanges(t *testing.T) {
	env := dbtest.New(t)
	ctx := context.Background()
	p := newPractice(t, env, contract.Funder{})
	for range 7 {
		p.seen()
	}
	v1 := p.generate()
	if v1.Version != 1 || v1.Status != reportrun.StatusReview || v1.Period != q1.Label || v1.GeneratedBy != p.admin {
		t.Fatalf("first run: %+v", v1)
	}
	if len(v1.Files) != len(reportrun.Formats) {
		t.Fatalf("first run has %d downloadable files, want %d: %+v", len(v1.Files), len(reportrun.Formats), v1.Files)
	}
	for _, f := range v1.Files {
		if f.Body != nil {
			t.Errorf("%s: a run's file list carries a body", f.Format)
		}
	}
	if prev, ch, err := reportrun.Changes(ctx, env.DB, v1.ID); err != nil || prev != 0 || len(ch) != 0 {
		t.Fatalf("changes of a first version: %d %v %v", prev, ch, err)
	}

	// The same data again: the next version, byte for byte the same CSV.
	v2 := p.generate()
	if v2.Version != 2 {
		t.Fatalf("second run is version %d", v2.Version)
	}
	csv1, csv2 := get(t, env, v1, reportrun.FormatCSV), get(t, env, v2, reportrun.FormatCSV)
	if !bytes.Equal(csv1.Body, csv2.Body) || v1.InputSHA256 != v2.InputSHA256 {
		t.Fatal("two runs of the same data differ")
	}
	if csv1.Filename == csv2.Filename || !strings.HasSuffix(csv2.Filename, "-v2.csv") {
		t.Errorf("filenames %q and %q", csv1.Filename, csv2.Filename)
	}
	if !strings.Contains(string(csv1.Body), "\n"+q1.Label+",All practices,all,sessions,total,,7,") {
		t.Fatalf("the CSV lacks the 7 sessions:\n%s", csv1.Body)
	}
	if prev, ch, err := reportrun.Changes(ctx, env.DB, v2.ID); err != nil || prev != 1 || len(ch) != 0 {
		t.Fatalf("changes between identical runs: %d %v %v", prev, ch, err)
	}

	// One more session: version 3 says what moved.
	p.seen()
	v3 := p.generate()
	prev, ch, err := reportrun.Changes(ctx, env.DB, v3.ID)
	if err != nil || prev != 2 {
		t.Fatalf("changes of version 3: %d %v", prev, err)
	}
	found := false
	for _, c := range ch {
		if c.Practice == "All practices" && c.Line == "all" && c.Measure == report.MSessions && c.Breakdown == "total" &&
			c.Period == q1.Label {
			found = c.Before == "7" && c.After == "8"
		}
		if c.Before == c.After {
			t.Errorf("a change that changed nothing: %+v", c)
		}
	}
	if !found {
		t.Fatalf("the sessions total 7 → 8 is not among the changes: %+v", ch)
	}
	if v3.InputSHA256 == v2.InputSHA256 {
		t.Error("different data, same input digest")
	}

	list, err := reportrun.ForContract(ctx, env.DB, p.c.ID)
	if err != nil || len(list) != 3 || list[0].Version != 3 || list[2].Version != 1 {
		t.Fatalf("ForContract: %v %+v", err, list)
	}
}

func TestFilesAreWhatTheyClaim(t *testing.T) {
	env := dbtest.New(t)
	p := newPractice(t, env, contract.Funder{})
	for range 6 {
		p.seen()
	}
	run := p.generate()
	types := map[string]string{reportrun.FormatCSV: "text/csv; charset=utf-8", reportrun.FormatDictionary: "text/csv; charset=utf-8",
		reportrun.FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", reportrun.FormatPDF: "application/pdf"}
	for _, listed := range run.Files {
		f := get(t, env, run, listed.Format)
		sum := sha256.Sum256(f.Body)
		if hex.EncodeToString(sum[:]) != f.SHA256 || f.SHA256 != listed.SHA256 || f.Size != len(f.Body) || f.Size == 0 {
			t.Errorf("%s: SHA-256 or size does not match the body", f.Format)
		}
		if f.ContentType != types[f.Format] {
			t.Errorf("%s: content type %q", f.Format, f.ContentType)
		}
	}
	if f := get(t, env, run, reportrun.FormatDictionary); !strings.HasSuffix(f.Filename, "-v1-dictionary.csv") {
		t.Errorf("dictionary filename %q", f.Filename)
	}
	if f := get(t, env, run, reportrun.FormatPDF); !bytes.HasPrefix(f.Body, []byte("%PDF-")) {
		t.Error("the PDF is not a PDF")
	}
	if f := get(t, env, run, reportrun.FormatXLSX); !bytes.HasPrefix(f.Body, []byte("PK")) {
		t.Error("the XLSX is not a zip")
	}
	// The input file is stored with its digest but never handed out.
	if _, err := reportrun.Get(context.Background(), env.DB, run.ID, reportrun.FormatInput); !errors.Is(err, fault.NotFound) {
		t.Errorf("Get input: %v, want not found", err)
	}
	var input struct{ Body []byte }
	var params string
	err := env.DB.Platform(context.Background(), "test check", func(tx *db.Tx) error {
		if err := tx.Raw(`SELECT body FROM report_files WHERE run_id = ? AND format = 'input'`, run.ID).Scan(&input).Error; err != nil {
			return err
		}
		return tx.Raw(`SELECT parameters::text FROM report_runs WHERE id = ?`, run.ID).Scan(&params).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(input.Body); hex.EncodeToString(sum[:]) != run.InputSHA256 {
		t.Error("input_sha256 is not the input file's digest")
	}
	var key string
	err = env.DB.Platform(context.Background(), "test check", func(tx *db.Tx) error {
		return tx.Raw(`SELECT rounding_key::text FROM contracts WHERE id = ?`, p.c.ID).Scan(&key).Error
	})
	if err != nil || key == "" {
		t.Fatal(key, err)
	}
	if !strings.Contains(params, p.c.Number) || !strings.Contains(params, p.tenant.ID.String()) || strings.Contains(params, key) {
		t.Errorf("parameters %s: want the contract and practice, never the rounding key", params)
	}
	for _, format := range reportrun.Formats {
		if bytes.Contains(get(t, env, run, format).Body, []byte(key)) {
			t.Errorf("%s carries the rounding key", format)
		}
	}

	// A period the contract does not report for is refused, nothing stored.
	_, err = reportrun.Generate(context.Background(), env.DB, p.admin, p.c.ID, report.FiscalQuarter(2030, 1), "Test region")
	if fe := fault.As(err); fe.Kind != fault.KindInvalid || len(fe.Fields) != 1 || fe.Fields[0].Field != "period" {
		t.Fatalf("a period outside the contract: %v", err)
	}
	_, err = reportrun.Generate(context.Background(), env.DB, p.admin, p.c.ID, report.Month(2026, 7), "Test region")
	if !errors.Is(err, fault.Invalid) {
		t.Fatalf("a month of a quarterly contract: %v", err)
	}
	if list, _ := reportrun.ForContract(context.Background(), env.DB, p.c.ID); len(list) != 1 {
		t.Fatalf("refused runs were stored: %d runs", len(list))
	}
	if _, err := reportrun.Generate(context.Background(), env.DB, p.admin, uuid.New(), q1, "x"); !errors.Is(err, fault.NotFound) {
		t.Fatalf("an unknown contract: %v", err)
	}
}

func platformEvents(t *testing.T, env *dbtest.Env, action, objectID string) int {
	t.Helper()
	var n int64
	err := env.DB.Platform(context.Background(), "test check", func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*) FROM platform_audit_events WHERE action = ? AND object_id = ?`, action, objectID).Scan(&n).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestPublishAndTheGuard(t *testing.T) {
	env := dbtest.New(t)
	ctx := context.Background()
	p := newPractice(t, env, contract.Funder{})
	p.seen()
	run := p.generate()
	if platformEvents(t, env, "report_run.generate", run.ID.String()) != 1 {
		t.Error("generating was not audited")
	}
	if err := reportrun.Publish(ctx, env.DB, p.admin, run.ID); err != nil {
		t.Fatal(err)
	}
	got, err := reportrun.ByID(ctx, env.DB, run.ID)
	if err != nil || got.Status != reportrun.StatusPublished || got.PublishedAt == nil {
		t.Fatalf("after publish: %+v %v", got, err)
	}
	if err := reportrun.Publish(ctx, env.DB, p.admin, run.ID); !errors.Is(err, fault.Conflict) {
		t.Fatalf("publishing twice: %v, want a conflict", err)
	}
	if platformEvents(t, env, "report_run.publish", run.ID.String()) != 1 {
		t.Error("publishing was not audited once")
	}
	if err := reportrun.Publish(ctx, env.DB, p.admin, uuid.New()); !errors.Is(err, fault.NotFound) {
		t.Fatalf("publishing no run: %v", err)
	}

	// The app role cannot rewrite history, even on the platform.
	for name, q := range map[string]string{
		"a file's body":        `UPDATE report_files SET body = 'x'::bytea, size = 1 WHERE run_id = ?`,
		"a file":               `DELETE FROM report_files WHERE run_id = ?`,
		"the parameters":       `UPDATE report_runs SET parameters = '{}'::jsonb WHERE id = ?`,
		"the input digest":     `UPDATE report_runs SET input_sha256 = repeat('0', 64) WHERE id = ?`,
		"back to review":       `UPDATE report_runs SET status = 'review', published_at = NULL WHERE id = ?`,
		"the publication date": `UPDATE report_runs SET published_at = now() - interval '1 day' WHERE id = ?`,
		"the run":              `DELETE FROM report_runs WHERE id = ?`,
	} {
		err := env.DB.Platform(ctx, "test tamper", func(tx *db.Tx) error { return tx.Exec(q, run.ID).Error })
		if err == nil {
			t.Errorf("changing %s was allowed", name)
		}
	}
	if f := get(t, env, run, reportrun.FormatCSV); f.SHA256 != run.Files[0].SHA256 {
		t.Error("the CSV changed")
	}

	if err := reportrun.Withdraw(ctx, env.DB, p.admin, run.ID); err != nil {
		t.Fatal(err)
	}
	if err := reportrun.Withdraw(ctx, env.DB, p.admin, run.ID); !errors.Is(err, fault.Conflict) {
		t.Fatalf("withdrawing twice: %v", err)
	}
	if err := reportrun.Publish(ctx, env.DB, p.admin, run.ID); !errors.Is(err, fault.Conflict) {
		t.Fatalf("publishing a withdrawn run: %v", err)
	}
	if platformEvents(t, env, "report_run.withdraw", run.ID.String()) != 1 {
		t.Error("withdrawing was not audited")
	}
	// A run in review may be withdrawn without being published.
	next := p.generate()
	if err := reportrun.Withdraw(ctx, env.DB, p.admin, next.ID); err != nil {
		t.Fatal(err)
	}
}

func TestPublishedIsTheFundersOwn(t *testing.T) {
	env := dbtest.New(t)
	ctx := context.Background()
	a := newPractice(t, env, contract.Funder{})
	a.seen()
	b := newPractice(t, env, contract.Funder{}) // another funder
	b.seen()
	same := newPractice(t, env, a.funder) // a second contract of a's funder
	same.seen()

	published, review, withdrawn := a.generate(), a.generate(), a.generate()
	other, sibling := b.generate(), same.generate()
	for _, r := range []reportrun.Run{published, withdrawn, other, sibling} {
		if err := reportrun.Publish(ctx, env.DB, a.admin, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := reportrun.Withdraw(ctx, env.DB, a.admin, withdrawn.ID); err != nil {
		t.Fatal(err)
	}
	list, err := reportrun.Published(ctx, env.DB, a.funder.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range list {
		got = append(got, fmt.Sprintf("%s v%d", r.ContractID, r.Version))
		if r.Status != reportrun.StatusPublished {
			t.Errorf("listed a run %s", r.Status)
		}
		if len(r.Files) != len(reportrun.Formats) {
			t.Errorf("a published run lists %d files", len(r.Files))
		}
	}
	want := map[string]bool{fmt.Sprintf("%s v1", a.c.ID): true, fmt.Sprintf("%s v1", same.c.ID): true}
	if len(got) != 2 || !want[got[0]] || !want[got[1]] {
		t.Fatalf("published for the funder: %v, want a's v1 and its second contract's v1 (not v2 in review %s, v3 withdrawn, nor %s)",
			got, review.ID, other.ID)
	}
}
