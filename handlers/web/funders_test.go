package web

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/contract"
	"github.com/tuhono/tuhono/models/reportrun"
)

// funderPerson makes someone who holds the funder role at f, signed in.
func (s *stack) funderPerson(t *testing.T, f contract.Funder) *agent {
	t.Helper()
	u := s.person(t, "Funder Person", nil)
	if err := s.accounts.GrantOrg(context.Background(), uuid.Nil, u.ID, "funder", f.Domain()); err != nil {
		t.Fatal(err)
	}
	a := s.agent(t)
	a.signIn(u)
	return a
}

func TestFunderPortal(t *testing.T) {
	s := orgStack(t)
	ctx := context.Background()
	r := s.region(t, "Waitaha")
	admin := s.regionalAdmin(t, r)
	f, g := s.funder(t, "Health New Zealand"), s.funder(t, "Another Funder")
	ct, clinic := s.rnContract(t, r, f, "HNZ-7", "Riccarton Medical")
	otherCt, otherClinic := s.rnContract(t, r, g, "OTHER-1", "Ōra Family Health")
	clinic.seeAnyone(t, 7)
	otherClinic.seeAnyone(t, 7)

	fa := s.funderPerson(t, f)
	portal := "/funders/" + f.Slug
	// A funder's person who works nowhere else goes straight to the portal.
	wantRedirect(t, fa.get("/tenants"), portal)
	want(t, fa.get(portal), 200, "Health New Zealand", "HNZ-7", "No report published yet", `href="/metrics"`)

	v1 := admin.generate(t, r.Slug, ct, "FY2027-Q1")
	// In review: not on the portal, not downloadable.
	page := fa.get(portal)
	want(t, page, 200, "No report published yet")
	if strings.Contains(page.body, v1.String()) {
		t.Error("the portal links a run in review")
	}
	want(t, fa.get(portal+"/runs/"+v1.String()+"/files/csv"), 404)

	for _, id := range []uuid.UUID{v1} {
		if err := reportrun.Publish(ctx, s.env.DB, uuid.Nil, id); err != nil {
			t.Fatal(err)
		}
	}
	v2 := admin.generate(t, r.Slug, ct, "FY2027-Q1")
	if err := reportrun.Publish(ctx, s.env.DB, uuid.Nil, v2); err != nil {
		t.Fatal(err)
	}
	v3 := admin.generate(t, r.Slug, ct, "FY2027-Q1") // stays in review
	theirs := admin.generate(t, r.Slug, otherCt, "FY2027-Q1")
	if err := reportrun.Publish(ctx, s.env.DB, uuid.Nil, theirs); err != nil {
		t.Fatal(err)
	}

	page = fa.get(portal)
	want(t, page, 200, "FY2027 Q1 (Jul–Sep 2026)", "Version 2, published", "Superseded versions", "Version 1 (superseded)",
		portal+"/runs/"+v2.String()+"/files/pdf")
	for _, hidden := range []string{v3.String(), theirs.String(), "OTHER-1", "Another Funder"} {
		if strings.Contains(page.body, hidden) {
			t.Errorf("the portal shows %s", hidden)
		}
	}
	if strings.Index(page.body, v2.String()) > strings.Index(page.body, v1.String()) {
		t.Error("the superseded version is listed before the current one")
	}

	// Only published runs of the funder's own contracts, whichever way asked.
	for _, path := range []string{
		portal + "/runs/" + v3.String() + "/files/csv",     // in review
		portal + "/runs/" + theirs.String() + "/files/csv", // another funder's
		"/funders/" + g.Slug + "/runs/" + theirs.String() + "/files/csv",
		"/funders/" + g.Slug,
		portal + "/runs/" + uuid.NewString() + "/files/csv",
		portal + "/runs/not-a-run/files/csv",
		portal + "/runs/" + v2.String() + "/files/input",
		"/regions/" + r.Slug + "/runs/" + v2.String() + "/files/csv",
	} {
		want(t, fa.get(path), 404)
	}
	if err := reportrun.Withdraw(ctx, s.env.DB, uuid.Nil, v1); err != nil {
		t.Fatal(err)
	}
	want(t, fa.get(portal+"/runs/"+v1.String()+"/files/csv"), 404)
	// Someone without the role at f (the other funder's person) gets nothing.
	ga := s.funderPerson(t, g)
	want(t, ga.get(portal), 404)
	want(t, ga.get(portal+"/runs/"+v2.String()+"/files/csv"), 404)

	types := map[string]string{"csv": "text/csv; charset=utf-8", "dictionary": "text/csv; charset=utf-8",
		"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}
	names := map[string]string{"csv": "tuhono-HNZ-7-FY2027-Q1-v2.csv", "dictionary": "tuhono-HNZ-7-FY2027-Q1-v2-dictionary.csv",
		"xlsx": "tuhono-HNZ-7-FY2027-Q1-v2.xlsx", "pdf": "tuhono-HNZ-7-FY2027-Q1-v2.pdf"}
	for format, ctype := range types {
		res := fa.get(portal + "/runs/" + v2.String() + "/files/" + format)
		want(t, res, 200)
		for h, v := range map[string]string{"Content-Type": ctype, "Content-Disposition": `attachment; filename="` + names[format] + `"`,
			"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"} {
			if got := res.header.Get(h); got != v {
				t.Errorf("%s %s: %q, want %q", format, h, got, v)
			}
		}
	}
}

// nhiWord is an NHI number (HISO 10046: old and new formats) standing as a
// word of its own.
var nhiWord = regexp.MustCompile(`\b[A-HJ-NP-Z]{3}[0-9]{2}([0-9]{2}|[A-HJ-NP-Z]{2})\b`)

// fileText is what a downloaded file says: a CSV as it is, an XLSX's XML
// parts, a PDF's text as pdftotext reads it.
func fileText(t *testing.T, format string, body []byte) string {
	t.Helper()
	switch format {
	case "xlsx":
		z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatalf("xlsx: %v", err)
		}
		var b strings.Builder
		for _, f := range z.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			part, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			b.Write(part)
			b.WriteByte('\n')
		}
		return b.String()
	case "pdf":
		tool, err := exec.LookPath("pdftotext")
		if err != nil {
			t.Fatal("pdftotext not found: install poppler-utils to check what the PDF says")
		}
		in := filepath.Join(t.TempDir(), "report.pdf")
		if err := os.WriteFile(in, body, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, "-layout", in, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		if len(bytes.TrimSpace(out)) == 0 {
			t.Fatal("pdftotext read no text: the scan would prove nothing")
		}
		return string(out)
	}
	return string(body)
}

// TestFunderDownloadsCarryNoIdentifier seeds people with names, NHIs and
// birth dates, publishes their contract's report and scans every file the
// funder can download for any of them.
func TestFunderDownloadsCarryNoIdentifier(t *testing.T) {
	s := orgStack(t)
	r := s.region(t, "Waitaha")
	admin := s.regionalAdmin(t, r)
	f := s.funder(t, "Health New Zealand")
	ct, clinic := s.rnContract(t, r, f, "HNZ-8", "Riccarton Medical")
	people := []rnPatient{
		{"Aroha", "Ngata", "ZZZ0016", time.Date(1987, 3, 14, 0, 0, 0, 0, time.UTC)},
		{"Mereana", "Tuhiwai", "ZZZ0024", time.Date(2001, 11, 23, 0, 0, 0, 0, time.UTC)},
		{"Sione", "Fonoti", "ZZZ0032", time.Date(1964, 8, 9, 0, 0, 0, 0, time.UTC)},
		{"Priya", "Raghunathan", "ZAC5361", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"Wiremu", "Kerehoma", "ALU18KZ", time.Date(2010, 6, 2, 0, 0, 0, 0, time.UTC)},
		{"Losa", "Aumua", "ZZZ0040", time.Date(1975, 2, 27, 0, 0, 0, 0, time.UTC)},
		{"Hemi", "Pōtae", "ZZZ0059", time.Date(1993, 10, 5, 0, 0, 0, 0, time.UTC)},
	}
	for _, p := range people {
		clinic.see(t, p)
	}
	run := admin.generate(t, r.Slug, ct, "FY2027-Q1")
	base := "/regions/" + r.Slug + "/runs/" + run.String()
	wantRedirect(t, admin.post(base+"/publish", map[string][]string{"reviewed": {"on"}}), base+"?done=published")

	fa := s.funderPerson(t, f)
	var forbidden []string
	for _, p := range people {
		forbidden = append(forbidden, p.Given, p.Family, p.NHI)
		for _, layout := range []string{"2006-01-02", "02/01/2006", "2/01/2006", "2/1/2006", "02-01-2006", "20060102",
			"2 Jan 2006", "2 January 2006", "Jan 2, 2006", "January 2, 2006", "02.01.2006", "2006/01/02"} {
			forbidden = append(forbidden, p.Born.Format(layout))
		}
	}
	for _, format := range reportrun.Formats {
		res := fa.get("/funders/" + f.Slug + "/runs/" + run.String() + "/files/" + format)
		want(t, res, 200)
		text := fileText(t, format, []byte(res.body))
		if m := nhiWord.FindString(text); m != "" {
			t.Errorf("%s carries an NHI-shaped word %q", format, m)
		}
		for _, word := range forbidden {
			// As a word: a name inside another word (Hemi in the theme
			// font Euphemia) identifies no one.
			re := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(word) + `\b`)
			if loc := re.FindStringIndex(text); loc != nil {
				t.Errorf("%s carries %q of a seeded person: …%s…", format, word, text[max(0, loc[0]-40):min(len(text), loc[1]+40)])
			}
		}
	}
	// The scan reads real content: the CSV publishes the people seen.
	res := fa.get("/funders/" + f.Slug + "/runs/" + run.String() + "/files/csv")
	if !strings.Contains(res.body, "FY2027-Q1,All practices,all,people_seen,total,,7,") {
		t.Fatalf("the CSV lacks the 7 people seen:\n%.2000s", res.body)
	}
}
