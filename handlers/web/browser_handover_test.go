package web

import (
	"strings"
	"testing"
	"time"

	"github.com/go-rod/rod/lib/proto"
)

// TestBrowserHandover is the warm handover in a real Chromium, two people at
// once: a GP opens "introduce now" for a patient and puts them in the
// same-day queue with a note; a HIP, whose queue page is already open in a
// second tab, sees them appear within 5 seconds without reloading, takes
// them, starts the session and completes it. Screenshots at 390 and 1280
// pixels wide go to TUHONO_SCREENSHOTS (or a temporary directory).
func TestBrowserHandover(t *testing.T) {
	browser := launchBrowser(t)
	s, base := serveSite(t)
	p := newHandoverPractice(t, s)
	dir := screenshotDir(t)
	slug := "/t/" + p.tn.Slug

	// Each person is a browser of their own (an incognito context): their
	// own cookies, as on two computers.
	newTab := func(width int) *tab {
		own, err := browser.Incognito()
		if err != nil {
			t.Fatal(err)
		}
		page, err := own.Page(proto.TargetCreateTarget{})
		if err != nil {
			t.Fatal(err)
		}
		b := &tab{t: t, page: page, probs: watch(t, page), base: base, dir: dir}
		b.resize(width, 900)
		return b
	}
	signIn := func(b *tab, email string) {
		t.Helper()
		open(t, b.page, base+"/signin", b.width, 900)
		b.fill("#f-email", email)
		b.fill("#f-password", testPassword)
		b.click(`main form[action="/signin"] button[type="submit"]`)
	}

	// The HIP opens the queue first, on a phone-sized screen: no one waits.
	hip := newTab(390)
	signIn(hip, p.hip.Email)
	open(t, hip.page, base+slug+"/queue", 390, 900)
	hip.at(slug+"/queue", "queue-empty-390.png", "Same-day queue", "No one is waiting")

	// The GP introduces the person: who is free, and the queue form.
	gp := newTab(1280)
	signIn(gp, p.gp.Email)
	introduce := slug + "/patients/" + p.patient.String() + "/introduce"
	open(t, gp.page, base+introduce, 1280, 900)
	gp.at(introduce, "introduce-1280.png", "Introduce Ro Ngata now", "Add to the same-day queue")
	if p.inOpenHours() && !strings.Contains(gp.text("#free-list"), "Book now with Mere Tāne") {
		t.Errorf("the free HIP is not offered: %s", gp.text("main"))
	}
	gp.resize(390, 900)
	gp.at(introduce, "introduce-390.png")
	gp.resize(1280, 900)
	if err := gp.element("#line-hip").Click(proto.InputMouseButtonLeft, 1); err != nil {
		t.Fatal(err)
	}
	gp.fill("#note", "Low mood since the redundancy; keen to talk today. Kōrero with whānau present is fine.")
	gp.click("#add-to-queue")
	gp.at(slug+"/queue", "queue-gp-1280.png", "Added to the same-day queue", "Ro Ngata", "Waiting")

	// The HIP's open page shows them within 5 seconds, without a reload.
	marker := `document.body.dataset.notReloaded = "yes"`
	if _, err := hip.page.Eval(`() => { ` + marker + ` }`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := hip.page.Timeout(5*time.Second).ElementR("#queue-live h3", "Ro Ngata"); err != nil {
		t.Fatalf("the queue did not show the person within 5 s: %v\n%s", err, hip.text("main"))
	}
	t.Logf("the HIP saw the introduction after %s", time.Since(start).Round(100*time.Millisecond))
	var same string
	evalJSON(t, hip.page, `() => document.body.dataset.notReloaded || ""`, &same)
	if same != "yes" {
		t.Fatal("the queue page reloaded instead of updating in place")
	}
	hip.at(slug+"/queue", "queue-hip-390.png", "Ro Ngata", "Low mood since the redundancy", "Dr Hana Walker")
	hip.resize(1280, 900)
	hip.at(slug+"/queue", "queue-hip-1280.png")

	// Take, arrive, start and complete.
	hip.click(`#queue-live button[type="submit"].button:not(.button-secondary)`)
	if !strings.HasPrefix(hip.path(), slug+"/appointments/") {
		t.Fatalf("take led to %s", hip.path())
	}
	appt := hip.path()
	hip.at(appt, "appointment-taken-1280.png", "You have taken this person", "Ro Ngata with Mere Tāne",
		"Introduced by", "Dr Hana Walker", "Mark arrived")
	step := func(label, shows string) {
		t.Helper()
		el, err := hip.page.Timeout(5*time.Second).ElementR("#status-actions button", label)
		if err != nil {
			t.Fatalf("no %q button: %v\n%s", label, err, hip.text("main"))
		}
		hip.clickElement(el.CancelTimeout(), label)
		hip.at(appt, "", "The appointment is updated", shows)
	}
	step("Mark arrived", "Arrived")
	step("Start session", "In session")
	hip.at(appt, "appointment-in-session-1280.png", "Seen at", "after the introduction", "Complete session")
	hip.resize(390, 900)
	hip.at(appt, "appointment-in-session-390.png")
	hip.resize(1280, 900)
	step("Complete session", "Completed")
	hip.at(appt, "appointment-completed-1280.png", "Completed")
	if has, _, _ := hip.page.Has("#status-actions"); has {
		t.Error("a completed appointment still offers status buttons")
	}

	// The GP's queue page, still open, empties by itself too.
	if _, err := gp.page.Timeout(5 * time.Second).Element("#queue-empty"); err != nil {
		t.Fatalf("the GP's queue did not empty: %v", err)
	}
	gp.at(slug+"/queue", "queue-empty-after-1280.png", "No one is waiting")
	t.Logf("screenshots in %s", dir)
}
