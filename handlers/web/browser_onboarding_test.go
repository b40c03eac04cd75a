package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/policy"
)

// TestBrowserOnboarding walks a regional admin through bringing a practice
// on in a real Chromium: from the tenant picker to their region, a PHO and a
// practice under it, a staff file uploaded through the import page, the
// practice admin accepting the invitation from the development mailbox, and
// the region's onboarding checklist showing what is done and what is not.
func TestBrowserOnboarding(t *testing.T) {
	browser := launchBrowser(t)
	s, base := serveSite(t)
	ctx := context.Background()
	region := s.region(t, "Waitaha Canterbury")
	ra := s.person(t, "Hemi Walker", nil)
	if err := s.accounts.GrantOrg(ctx, uuid.Nil, ra.ID, "regional_admin", policy.RegionDomain(region.ID)); err != nil {
		t.Fatal(err)
	}
	page, err := browser.Page(proto.TargetCreateTarget{})
	if err != nil {
		t.Fatal(err)
	}
	dir := screenshotDir(t)
	b := &tab{t: t, page: page, probs: watch(t, page), base: base, dir: dir}
	b.resize(1280, 900)
	regionPath := "/regions/" + region.Slug

	signIn := func() {
		t.Helper()
		open(t, page, base+"/signin", 1280, 900)
		b.fill("#f-email", ra.Email)
		b.fill("#f-password", testPassword)
		b.click(`main form[action="/signin"] button[type="submit"]`)
		// No practice of their own: the picker offers the region.
		b.at("/tenants", "", "Your regions", "Waitaha Canterbury")
		b.click(`main a[href="` + regionPath + `"]`)
		b.at(regionPath, "", "Waitaha Canterbury")
	}
	signIn()

	// A PHO, then a practice under it.
	phoSlug, practiceSlug := dbtest.Slug("pho"), dbtest.Slug("practice")
	choose := func(selector, text string) {
		t.Helper()
		if err := b.element(selector).Select([]string{text}, true, rod.SelectorTypeText); err != nil {
			t.Fatalf("choose %q in %s: %v", text, selector, err)
		}
	}
	create := `main form[action="` + regionPath + `/tenants"] button[type="submit"]`
	choose("#f-kind", "PHO")
	b.fill("#f-name", "Waitaha Primary Health")
	b.fill("#f-slug", phoSlug)
	b.click(create)
	b.at(regionPath, "", "The organisation is created", "Waitaha Primary Health")
	choose("#f-kind", "General practice")
	choose("#f-parent", "Waitaha Primary Health")
	b.fill("#f-name", "Ōtautahi Whānau Practice")
	b.fill("#f-slug", practiceSlug)
	b.click(create)
	b.at(regionPath, "region-1280.png", "The organisation is created", "Ōtautahi Whānau Practice")
	// The server links a new tenant to its region's admins when it hears
	// the tenant table's NOTIFY; this stack has no listener: link here.
	for _, slug := range []string{phoSlug, practiceSlug} {
		tn, err := onboarding.BySlug(s.env.DB)(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.enforcer.LinkDomain(ctx, policy.TenantDomain(tn.ID), policy.RegionDomain(region.ID)); err != nil {
			t.Fatal(err)
		}
	}

	// Staff through the import page's file input: the practice admin and a HIP.
	adminEmail := "aroha-" + practiceSlug + "@example.co.nz"
	hipEmail := "mere-" + practiceSlug + "@example.co.nz"
	csv := filepath.Join(t.TempDir(), "staff.csv")
	body := "email,name,practice_slug,roles,fte\r\n" +
		adminEmail + ",Aroha Ngata," + practiceSlug + ",practice_admin,\r\n" +
		hipEmail + ",Mere Tawhiri," + practiceSlug + ",hip,0.8\r\n"
	if err := os.WriteFile(csv, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	b.click(`main a[href="` + regionPath + `/imports"]`)
	b.at(regionPath+"/imports", "", "Bulk import", "Staff")
	if err := b.element("#f-file-staff").SetFiles([]string{csv}); err != nil {
		t.Fatal(err)
	}
	b.click(`main form[action="` + regionPath + `/imports/staff"] button[type="submit"]`)
	b.at(regionPath+"/imports/staff", "import-staff-1280.png", "Staff: imported 2 rows", "2 invitations sent")
	b.click(`header form.signout button`)
	b.at("/signin", "", "You have signed out")

	// The practice admin accepts from the development mailbox.
	open(t, page, base+"/dev/mailbox", 1280, 900)
	b.at("/dev/mailbox", "", adminEmail, hipEmail)
	art, err := page.ElementR("article.mail", adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	link, err := art.Element(`a[href*="/invite/"]`)
	if err != nil {
		t.Fatal(err)
	}
	b.clickElement(link, "the practice admin's invitation link")
	invitation := b.path()
	if !strings.HasPrefix(invitation, "/t/"+practiceSlug+"/invite/") {
		t.Fatalf("the mailbox link led to %s", invitation)
	}
	b.at(invitation, "", "Ōtautahi Whānau Practice", adminEmail)
	const pw = "kahikatea stands by the river"
	b.fill("#f-password", pw)
	b.fill("#f-password-confirm", pw)
	b.click(`main form button[type="submit"]`)
	b.at("/signin", "", "Your invitation is accepted")

	// The regional admin sees the practice's checklist.
	signIn()
	b.click(`main a[href="` + regionPath + `/overview"]`)
	b.at(regionPath+"/overview", "", "Onboarding — Waitaha Canterbury", "Ōtautahi Whānau Practice")
	row, err := page.ElementR("main tbody tr", "Ōtautahi Whānau Practice")
	if err != nil {
		t.Fatal(err)
	}
	summary, err := row.Element("details summary")
	if err != nil {
		t.Fatal(err)
	}
	if err := summary.Click(proto.InputMouseButtonLeft, 1); err != nil {
		t.Fatal(err)
	}
	item := func(label string) string {
		t.Helper()
		li, err := row.ElementR("ul.steps li", label)
		if err != nil {
			t.Fatalf("no checklist item %q: %v", label, err)
		}
		class, err := li.Attribute("class")
		if err != nil || class == nil {
			t.Fatalf("checklist item %q has no class (%v)", label, err)
		}
		return *class
	}
	if got := item("Practice administrator invited and accepted"); got != "item-done" {
		t.Errorf("practice admin item is %q, want item-done", got)
	}
	if got := item("At least one HIP or Health Coach active"); got != "item-todo" {
		t.Errorf("the HIP item is %q, want item-todo: the HIP has not accepted", got)
	}
	b.at(regionPath+"/overview", "overview-1280.png")
	b.resize(390, 844)
	b.at(regionPath+"/overview", "overview-390.png")
	t.Logf("screenshots in %s", dir)
}
