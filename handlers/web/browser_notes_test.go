package web

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-rod/rod/lib/proto"
)

// TestBrowserNotes is a session note in a real Chromium: the HIP opens the
// note from the appointment, writes it (autosave says "Saved"), answers a K10
// and the usefulness question, writes a handover, signs; the GP signs in and
// finds the handover in the inbox. Screenshots at 390 and 1280 pixels wide go
// to TUHONO_SCREENSHOTS (or a temporary directory).
func TestBrowserNotes(t *testing.T) {
	browser := launchBrowser(t)
	s, base := serveSite(t)
	p := newHandoverPractice(t, s)
	dir := screenshotDir(t)
	slug := "/t/" + p.tn.Slug
	a := bookNoteSession(t, s, p, 10)

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
	// press clicks what does not navigate (radios, disclosures); tab.click
	// waits for a new page.
	press := func(b *tab, selector string) {
		t.Helper()
		if err := b.element(selector).Click(proto.InputMouseButtonLeft, 1); err != nil {
			t.Fatalf("%s: %v", selector, err)
		}
	}
	radio := func(b *tab, id string) { t.Helper(); press(b, "#"+id) }

	hip := newTab(1280)
	signIn(hip, p.hip.Email)
	appt := slug + "/appointments/" + a.ID.String()
	open(t, hip.page, base+appt, 1280, 900)
	hip.click("#session-note")
	editor := appt + "/note"
	hip.at(editor, "note-editor-1280.png", "HIP session note", "What matters to the person", "K10", "Handover to the GP")
	hip.resize(390, 900)
	hip.at(editor, "note-editor-390.png")
	hip.resize(1280, 900)

	hip.fill("#f-field-what-matters", "Getting back to waka ama with the whānau.")
	hip.fill("#f-field-presenting-concern", "Low mood since the redundancy.")
	hip.fill("#f-field-plan", "Values work and behavioural activation; review in two weeks.")
	radio(hip, "f-field-risk-screen-1")
	radio(hip, "f-field-follow-up-1")
	// Autosave: the page says when it saved, without a reload.
	if _, err := hip.page.Timeout(10*time.Second).ElementR("#note-saved", "Saved"); err != nil {
		t.Fatalf("autosave did not report a save: %v\n%s", err, hip.text("#note-saved"))
	}

	press(hip, "#measure-k10 summary")
	for i := 1; i <= 10; i++ {
		radio(hip, "m_k10_"+strconv.Itoa(i)+"-2")
	}
	press(hip, "#measure-usefulness summary")
	radio(hip, "m_usefulness_1-8")
	hip.fill("#f-handover", "Seen today: low mood, plan agreed. Please review sertraline in two weeks.")
	if v := hip.text("#f-handover-to option:checked"); !strings.Contains(v, "Dr Hana Walker") {
		t.Errorf("the introducing GP is not the default addressee: %q", v)
	}
	hip.at(editor, "note-filled-1280.png")
	// Signing asks first; the test answers yes.
	if _, err := hip.page.Eval(`() => { window.confirm = () => true }`); err != nil {
		t.Fatal(err)
	}
	hip.click("#sign")
	notePath := hip.path()
	if !strings.HasPrefix(notePath, slug+"/notes/") {
		t.Fatalf("signing led to %s:\n%s", notePath, hip.text("main"))
	}
	hip.at(notePath, "note-signed-1280.png", "Signed. The note is now part of the record", "Getting back to waka ama",
		"K10: 20 (moderate)", "Usefulness of the session: 8")
	hip.resize(390, 900)
	hip.at(notePath, "note-signed-390.png")
	open(t, hip.page, base+slug+"/patients/"+p.patient.String(), 390, 900)
	hip.at(slug+"/patients/"+p.patient.String(), "patient-notes-390.png", "Session notes", "K10 as a table")
	hip.resize(1280, 900)
	hip.at(slug+"/patients/"+p.patient.String(), "patient-notes-1280.png")

	gp := newTab(1280)
	signIn(gp, p.gp.Email)
	open(t, gp.page, base+slug+"/inbox", 1280, 900)
	gp.at(slug+"/inbox", "gp-inbox-1280.png", "Seen today: low mood")
	gp.resize(390, 900)
	gp.at(slug+"/inbox", "gp-inbox-390.png")
	t.Logf("screenshots in %s", dir)
}
