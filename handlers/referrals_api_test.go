package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/patient"
	"github.com/tuhono/tuhono/models/referral"
	"github.com/tuhono/tuhono/models/waitlist"
	"github.com/tuhono/tuhono/tenants"
)

// TestReferralAndWaitlistAPI runs a referral and a waitlist booking through
// the API at practice A, and checks that B's ids, in paths and in request
// bodies, are not found from A.
func TestReferralAndWaitlistAPI(t *testing.T) {
	w := buildWorld(t)
	ctx := context.Background()
	ctxA, ctxB := tenants.WithTenant(ctx, w.A), tenants.WithTenant(ctx, w.B)
	db := dbtest.New(t).DB // the world's database: one per test process
	hipA := w.people["hip"]
	pA, _, err := patient.Create(ctxA, db, hipA.ID, patient.NewPatient{FamilyName: "Ngata", GivenNames: "Aroha",
		DateOfBirth: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	// Practice B: its own HIP, patient, referral, entry and freed time.
	hb, err := w.accounts.CreateUser(ctx, "hip-b-"+pA.ID.String()[:6]+"@matrix.example", "HIP B", matrixPW, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.accounts.AddMember(ctxB, hb.ID, hb.ID, []string{"hip"}); err != nil {
		t.Fatal(err)
	}
	pB, _, err := patient.Create(ctxB, db, hb.ID, patient.NewPatient{FamilyName: "Parata", GivenNames: "Wiremu",
		DateOfBirth: time.Date(1985, 1, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	rB, err := referral.Create(ctxB, db, hb.ID, referral.NewReferral{PatientID: pB.ID, Needs: []referral.Need{referral.NeedFood}, Consent: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	eB, err := waitlist.Add(ctxB, db, hb.ID, waitlist.NewEntry{PatientID: pB.ID, ServiceLine: booking.LineHIP, Urgency: waitlist.UrgencySoon})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	freed := func(c context.Context, practitioner, who uuid.UUID) booking.Appointment {
		t.Helper()
		a, _, err := booking.Book(c, db, practitioner, booking.NewAppointment{PractitionerID: practitioner, PatientID: who,
			Kind: booking.KindBooked, Mode: booking.ModePhone, ServiceLine: booking.LineHIP, StartsAt: start, Minutes: 30})
		if err != nil {
			t.Fatal(err)
		}
		if a, err = booking.Cancel(c, db, practitioner, a.ID, "unwell"); err != nil {
			t.Fatal(err)
		}
		return a
	}
	apptB := freed(ctxB, hb.ID, pB.ID)

	const js = "application/json"
	base := "/api/v1/t/" + w.A.Slug
	hip, sw, gp := w.tokens["hip"], w.tokens["support_worker"], w.tokens["gp"]

	// Referring.
	st, body, ct := w.call(t, "POST", base+"/referrals", hip, js, fmt.Sprintf(`{"patient_id":%q,"needs":["housing"]}`, pA.ID))
	wantStatus(t, "no consent", st, 422, body, ct)
	st, body, ct = w.call(t, "POST", base+"/referrals", hip, js, fmt.Sprintf(`{"patient_id":%q,"needs":["housing"],"consent":true}`, pB.ID))
	wantStatus(t, "B's patient in the body", st, 404, body, ct)
	st, body, ct = w.call(t, "POST", base+"/referrals", gp, js, fmt.Sprintf(`{"patient_id":%q,"needs":["housing"],"consent":true}`, pA.ID))
	wantStatus(t, "a GP refers", st, 403, body, ct)
	st, body, ct = w.call(t, "POST", base+"/referrals", hip, js, fmt.Sprintf(`{"patient_id":%q,"needs":["housing","whanau"],"consent":true}`, pA.ID))
	wantStatus(t, "refer", st, 201, body, ct)
	var created map[string]any
	if err := json.Unmarshal([]byte(body), &created); err != nil || created["status"] != "referred" || created["due_by"] == "" {
		t.Fatalf("created: %v %s", err, body)
	}
	refID, _ := created["id"].(string)
	r := base + "/referrals/" + refID

	st, body, ct = w.call(t, "GET", base+"/referrals", sw, "", "")
	wantStatus(t, "queue", st, 200, body, ct)
	if !strings.Contains(body, refID) || strings.Contains(body, rB.ID.String()) {
		t.Fatalf("queue: %s", body)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", base + "/referrals/" + rB.ID.String(), ""},
		{"POST", base + "/referrals/" + rB.ID.String() + "/accept", ""},
		{"POST", base + "/referrals/" + rB.ID.String() + "/close", `{"outcome":"other"}`},
	} {
		ctype := ""
		if c.body != "" {
			ctype = js
		}
		st, body, ct := w.call(t, c.method, c.path, sw, ctype, c.body)
		wantStatus(t, c.method+" B's referral", st, 404, body, ct)
	}
	st, body, ct = w.call(t, "POST", r+"/accept", hip, "", "")
	wantStatus(t, "a HIP accepts", st, 403, body, ct)
	st, body, ct = w.call(t, "POST", r+"/accept", sw, "", "")
	wantStatus(t, "accept", st, 200, body, ct)
	st, body, ct = w.call(t, "POST", r+"/accept", sw, "", "")
	wantStatus(t, "accept twice", st, 409, body, ct)
	now := time.Now().UTC().Format(time.RFC3339)
	st, body, ct = w.call(t, "POST", r+"/contacts", sw, js, `{"at":"`+now+`","mode":"phone","outcome":"reached"}`)
	wantStatus(t, "contact", st, 200, body, ct)
	if !strings.Contains(body, `"status":"contacted"`) || !strings.Contains(body, `"within_target":true`) {
		t.Fatalf("contacted: %s", body)
	}
	st, body, ct = w.call(t, "GET", r, sw, "", "")
	wantStatus(t, "get", st, 200, body, ct)
	if !strings.Contains(body, `"outcome":"reached"`) {
		t.Fatalf("get: %s", body)
	}
	st, body, ct = w.call(t, "POST", r+"/close", sw, js, `{"outcome":"needs_met"}`)
	wantStatus(t, "close", st, 200, body, ct)

	// The waitlist.
	st, body, ct = w.call(t, "POST", base+"/waitlist", gp, js, fmt.Sprintf(`{"patient_id":%q,"service_line":"hip","urgency":"urgent"}`, pB.ID))
	wantStatus(t, "B's patient on A's list", st, 404, body, ct)
	st, body, ct = w.call(t, "POST", base+"/waitlist", gp, js, fmt.Sprintf(`{"patient_id":%q,"service_line":"hip","urgency":"urgent","preferred":["someday"]}`, pA.ID))
	wantStatus(t, "bad preference", st, 422, body, ct)
	st, body, ct = w.call(t, "POST", base+"/waitlist", gp, js, fmt.Sprintf(`{"patient_id":%q,"service_line":"hip","urgency":"urgent","preferred":["any"]}`, pA.ID))
	wantStatus(t, "add", st, 201, body, ct)
	var entry struct{ ID string }
	json.Unmarshal([]byte(body), &entry)
	other, _, err := patient.Create(ctxA, db, hipA.ID, patient.NewPatient{FamilyName: "Tane", GivenNames: "Mere",
		DateOfBirth: time.Date(1970, 3, 4, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	apptA := freed(ctxA, hipA.ID, other.ID)

	st, body, ct = w.call(t, "GET", base+"/waitlist/offers/"+apptA.ID.String(), gp, "", "")
	wantStatus(t, "offers", st, 200, body, ct)
	if !strings.Contains(body, entry.ID) || !strings.Contains(body, `"free":true`) {
		t.Fatalf("offers: %s", body)
	}
	st, body, ct = w.call(t, "GET", base+"/waitlist/offers/"+apptB.ID.String(), gp, "", "")
	wantStatus(t, "offers for B's time", st, 404, body, ct)
	st, body, ct = w.call(t, "POST", base+"/waitlist/"+eB.ID.String()+"/withdraw", gp, js, `{"reason":"mine"}`)
	wantStatus(t, "withdraw B's entry", st, 404, body, ct)
	st, body, ct = w.call(t, "POST", base+"/waitlist/"+entry.ID+"/book", gp, js, `{"appointment_id":"`+apptB.ID.String()+`"}`)
	wantStatus(t, "book into B's time", st, 404, body, ct)
	st, body, ct = w.call(t, "POST", base+"/waitlist/"+entry.ID+"/book", gp, js, `{"appointment_id":"`+apptA.ID.String()+`"}`)
	wantStatus(t, "book", st, 200, body, ct)
	st, body, ct = w.call(t, "POST", base+"/waitlist/"+entry.ID+"/book", gp, js, `{"appointment_id":"`+apptA.ID.String()+`"}`)
	wantStatus(t, "book again", st, 409, body, ct)
	st, body, ct = w.call(t, "GET", base+"/waitlist", gp, "", "")
	wantStatus(t, "list", st, 200, body, ct)
	if strings.Contains(body, entry.ID) || strings.Contains(body, eB.ID.String()) {
		t.Fatalf("list: %s", body)
	}
}
