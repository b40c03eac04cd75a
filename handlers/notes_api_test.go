package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/tenants"
)

// TestNotesAPI drives a HIP note through the API: draft, stale save, sign,
// signed edit refused, addendum, a K10 and its history; a GP reads it, a
// practice admin cannot, another practice's token does not find it.
func TestNotesAPI(t *testing.T) {
	w := buildWorld(t)
	const js = "application/json"
	base := "/api/v1/t/" + w.A.Slug
	pt := handoverPatient(t, w.A, "Ngata", "Aroha")
	ctx := tenants.WithTenant(context.Background(), w.A)
	loc := w.A.Location()
	y, m, d := time.Now().In(loc).AddDate(0, 0, 1).Date()
	ap, _, err := booking.Book(ctx, dbtest.New(t).DB, w.people["hip"].ID, booking.NewAppointment{
		PractitionerID: w.people["hip"].ID, PatientID: pt, Kind: booking.KindBooked, Mode: booking.ModeInPerson,
		ServiceLine: booking.LineHIP, StartsAt: time.Date(y, m, d, 10, 0, 0, 0, loc), Minutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	hip, gp := w.tokens["hip"], w.tokens["gp"]

	fields := `"fields":{"what_matters":"Waka ama","presenting_concern":"Low mood","plan":"Review","risk_screen":"not indicated","follow_up":"none needed"}`
	st, body, ct := w.call(t, "POST", base+"/notes", hip, js, `{"patient_id":"`+pt.String()+`","appointment_id":"`+ap.ID.String()+`",`+fields+`}`)
	wantStatus(t, "create note", st, http.StatusCreated, body, ct)
	var n struct {
		ID, Status, Access string
		Version            int
		Fields             map[string]string
	}
	if err := json.Unmarshal([]byte(body), &n); err != nil || n.Version != 1 || n.Fields["what_matters"] != "Waka ama" {
		t.Fatalf("created: %v %s", err, body)
	}
	note := base + "/notes/" + n.ID
	st, body, ct = w.call(t, "PUT", note, hip, js, `{"version":1,`+fields+`,"free_text":"More"}`)
	wantStatus(t, "save", st, http.StatusOK, body, ct)
	st, body, ct = w.call(t, "PUT", note, hip, js, `{"version":1,"free_text":"Stale"}`)
	wantStatus(t, "stale save", st, http.StatusConflict, body, ct)
	st, body, ct = w.call(t, "POST", note+"/sign", hip, js, `{"version":2}`)
	wantStatus(t, "sign", st, http.StatusOK, body, ct)
	st, body, ct = w.call(t, "PUT", note, hip, js, `{"version":3,"free_text":"After"}`)
	wantStatus(t, "edit signed", st, http.StatusConflict, body, ct)
	st, body, ct = w.call(t, "POST", note+"/addenda", hip, js, `{"reason":"Phone call","text":"Better today"}`)
	wantStatus(t, "addendum", st, http.StatusCreated, body, ct)

	st, body, ct = w.call(t, "GET", note, gp, "", "")
	wantStatus(t, "GP reads", st, http.StatusOK, body, ct)
	if !strings.Contains(body, `"access":"body"`) || !strings.Contains(body, "Better today") {
		t.Fatalf("GP read: %s", body)
	}
	st, body, ct = w.call(t, "GET", note, w.tokens["practice_admin"], "", "")
	wantStatus(t, "admin reads", st, http.StatusForbidden, body, ct)
	st, body, ct = w.call(t, "GET", "/api/v1/t/"+w.B.Slug+"/notes/"+n.ID, hip, "", "")
	if st != http.StatusNotFound && st != http.StatusForbidden {
		t.Fatalf("another practice: %d %s", st, body)
	}

	measures := base + "/patients/" + pt.String() + "/measures"
	st, body, ct = w.call(t, "POST", measures, hip, js, `{"kind":"k10","items":[2,2,2,2,2,2,2,2,2],"appointment_id":"`+ap.ID.String()+`"}`)
	wantStatus(t, "short K10", st, http.StatusUnprocessableEntity, body, ct)
	if !strings.Contains(body, "10 items; 9 were given") {
		t.Fatalf("short K10: %s", body)
	}
	st, body, ct = w.call(t, "POST", measures, hip, js, `{"kind":"k10","items":[2,2,2,2,2,2,2,2,2,2],"appointment_id":"`+ap.ID.String()+`"}`)
	wantStatus(t, "K10", st, http.StatusCreated, body, ct)
	st, body, ct = w.call(t, "GET", measures+"?kind=k10", gp, "", "")
	wantStatus(t, "history", st, http.StatusOK, body, ct)
	if !strings.Contains(body, `"total":20`) || !strings.Contains(body, `"band":"moderate"`) {
		t.Fatalf("history: %s", body)
	}
}
