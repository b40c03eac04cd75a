package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/tenants"
)

// handoverPatient registers a person at tenant t straight in the database
// (the patients API is not what is under test here).
func handoverPatient(t *testing.T, tn tenants.Tenant, family, given string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := dbtest.New(t).DB.InTenant(tenants.WithTenant(context.Background(), tn), func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO patients (tenant_id, id, family_name, given_names, name_search, date_of_birth)
			VALUES (?, ?, ?, ?, ?, DATE '1985-02-14')`, tn.ID, id, family, given, strings.ToLower(family+" "+given)).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestHandoverAPI(t *testing.T) {
	w := buildWorld(t)
	const js = "application/json"
	base := "/api/v1/t/" + w.A.Slug + "/handover"
	aroha := handoverPatient(t, w.A, "Ngata", "Aroha")
	sione := handoverPatient(t, w.A, "Fale", "Sione")
	gp, hip := w.tokens["gp"], w.tokens["hip"]

	// The GP puts Aroha in the queue; a second time is a conflict, a long note invalid.
	st, body, ct := w.call(t, "POST", base+"/queue", gp, js, `{"patient_id":"`+aroha.String()+`","note":"Whānau worries; today please"}`)
	wantStatus(t, "enqueue", st, http.StatusCreated, body, ct)
	var entry struct {
		ID, Status, Name, Note, IntroducedBy string
	}
	if err := json.Unmarshal([]byte(body), &entry); err != nil || entry.Status != "waiting" || entry.Name != "Aroha Ngata" ||
		entry.Note != "Whānau worries; today please" {
		t.Fatalf("enqueued: %v %s", err, body)
	}
	st, body, ct = w.call(t, "POST", base+"/queue", gp, js, `{"patient_id":"`+aroha.String()+`"}`)
	wantStatus(t, "enqueue again", st, http.StatusConflict, body, ct)
	st, body, ct = w.call(t, "POST", base+"/queue", gp, js, `{"patient_id":"`+sione.String()+`","note":"`+strings.Repeat("x", 501)+`"}`)
	wantStatus(t, "long note", st, http.StatusUnprocessableEntity, body, ct)
	// A HIP may create appointments but does not introduce people.
	st, body, ct = w.call(t, "POST", base+"/queue", hip, js, `{"patient_id":"`+sione.String()+`"}`)
	wantStatus(t, "HIP enqueues", st, http.StatusForbidden, body, ct)

	// The HIP reads the queue; the ETag makes the next poll a 304.
	req, _ := http.NewRequest("GET", w.base+base+"/queue", nil)
	req.Header.Set("Authorization", "Bearer "+hip)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var q struct {
		Version string
		Entries []struct{ ID, Name string }
	}
	json.NewDecoder(res.Body).Decode(&q)
	res.Body.Close()
	etag := res.Header.Get("ETag")
	if res.StatusCode != 200 || etag == "" || len(q.Entries) != 1 || q.Entries[0].ID != entry.ID {
		t.Fatalf("queue: %d %q %+v", res.StatusCode, etag, q)
	}
	req.Header.Set("If-None-Match", etag)
	if res, err = http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNotModified {
		t.Fatalf("unchanged queue: %v %v", res.StatusCode, err)
	}
	res.Body.Close()

	// A practice administrator may book, but does not take people.
	st, body, ct = w.call(t, "POST", base+"/queue/"+entry.ID+"/take", w.tokens["practice_admin"], "", "")
	wantStatus(t, "admin takes", st, http.StatusForbidden, body, ct)
	// Another practice's path does not exist for this token.
	st, body, ct = w.call(t, "POST", "/api/v1/t/"+w.B.Slug+"/handover/queue/"+entry.ID+"/take", hip, "", "")
	wantStatus(t, "take at B", st, http.StatusNotFound, body, ct)
	st, body, ct = w.call(t, "POST", base+"/queue/"+uuid.NewString()+"/take", hip, "", "")
	wantStatus(t, "take unknown", st, http.StatusNotFound, body, ct)

	st, body, ct = w.call(t, "POST", base+"/queue/"+entry.ID+"/take", hip, js, `{"minutes":20}`)
	wantStatus(t, "take", st, http.StatusOK, body, ct)
	var taken struct {
		Entry struct {
			Status        string
			AppointmentID string `json:"appointment_id"`
		}
		Appointment struct {
			ID, Status     string
			IntroducedBy   string    `json:"introduced_by"`
			PractitionerID string    `json:"practitioner_id"`
			StartsAt       time.Time `json:"starts_at"`
			EndsAt         time.Time `json:"ends_at"`
		}
	}
	if err := json.Unmarshal([]byte(body), &taken); err != nil || taken.Entry.Status != "taken" ||
		taken.Entry.AppointmentID != taken.Appointment.ID || taken.Appointment.IntroducedBy != w.people["gp"].ID.String() ||
		taken.Appointment.PractitionerID != w.people["hip"].ID.String() ||
		taken.Appointment.EndsAt.Sub(taken.Appointment.StartsAt) != 20*time.Minute {
		t.Fatalf("taken: %v %s", err, body)
	}
	st, body, ct = w.call(t, "POST", base+"/queue/"+entry.ID+"/take", w.tokens["health_coach"], "", "")
	wantStatus(t, "take again", st, http.StatusConflict, body, ct)

	// Sione is queued and then withdrawn, with a reason.
	st, body, ct = w.call(t, "POST", base+"/queue", w.tokens["nurse"], js, `{"patient_id":"`+sione.String()+`","service_line":"health_coach"}`)
	wantStatus(t, "nurse enqueues", st, http.StatusCreated, body, ct)
	json.Unmarshal([]byte(body), &entry)
	st, body, ct = w.call(t, "POST", base+"/queue/"+entry.ID+"/withdraw", gp, js, `{"reason":""}`)
	wantStatus(t, "withdraw without reason", st, http.StatusUnprocessableEntity, body, ct)
	st, body, ct = w.call(t, "POST", base+"/queue/"+entry.ID+"/withdraw", gp, js, `{"reason":"Went home"}`)
	wantStatus(t, "withdraw", st, http.StatusOK, body, ct)
	if !strings.Contains(body, `"status":"withdrawn"`) {
		t.Fatalf("withdrawn: %s", body)
	}

	// Introduce now: the Health Coach is free, the HIP is with Aroha.
	intro := func(who string) (int, string, string) {
		return w.call(t, "POST", base+"/introduce", gp, js,
			`{"patient_id":"`+sione.String()+`","practitioner_id":"`+w.people[who].ID.String()+`"}`)
	}
	st, body, ct = intro("hip")
	wantStatus(t, "introduce to the busy HIP", st, http.StatusConflict, body, ct)
	st, body, ct = intro("health_coach")
	wantStatus(t, "introduce", st, http.StatusCreated, body, ct)
	if !strings.Contains(body, `"service_line":"health_coach"`) || !strings.Contains(body, w.people["gp"].ID.String()) {
		t.Fatalf("introduced: %s", body)
	}
	st, body, ct = w.call(t, "POST", base+"/introduce", gp, js, `{"patient_id":"nope","practitioner_id":"nope"}`)
	wantStatus(t, "introduce bad ids", st, http.StatusUnprocessableEntity, body, ct)

	st, body, ct = w.call(t, "GET", base+"/free-now", gp, "", "")
	wantStatus(t, "free now", st, http.StatusOK, body, ct)
	if strings.Contains(body, w.people["gp"].ID.String()) {
		t.Fatalf("a GP listed as free: %s", body)
	}
	// No token, no queue.
	st, body, ct = w.call(t, "GET", base+"/queue", "", "", "")
	if st != http.StatusUnauthorized && st != http.StatusNotFound {
		t.Fatalf("anonymous queue: %d %s", st, body)
	}
}
