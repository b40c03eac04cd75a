package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tuhono/tuhono/tenants"
)

// api is one bearer token's view of the booking API of one practice.
type api struct {
	t     *testing.T
	base  string
	slug  string
	token string
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (a api) do(method, path, key, body string) answer {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+"/api/v1/t/"+a.slug+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, string(b), res.Header}
}

func (a api) want(what string, got answer, status int) answer {
	a.t.Helper()
	wantStatus(a.t, what, got.status, status, got.body, got.header.Get("Content-Type"))
	return got
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

type created struct {
	Appointment struct{ ID, Status string } `json:"appointment"`
	Patient     struct{ ID string }         `json:"patient"`
	Warnings    []struct {
		Code, Match string
		PatientID   string `json:"patient_id"`
	} `json:"warnings"`
}

// apiAt gives role's person of world A a token at practice B too (a HIP or
// GP often works at several practices).
func (w *world) apiAt(t *testing.T, tn tenants.Tenant, role string) api {
	t.Helper()
	ctx := tenants.WithTenant(context.Background(), tn)
	u := w.people[role]
	if tn.ID != w.A.ID {
		if err := w.accounts.AddMember(ctx, u.ID, u.ID, []string{role}); err != nil {
			t.Fatal(err)
		}
	}
	tok, _, err := w.accounts.CreateToken(ctx, u.ID, "booking api", []string{role}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return api{t: t, base: w.base, slug: tn.Slug, token: tok}
}

func bookBody(practitioner, patient string, at time.Time) string {
	return fmt.Sprintf(`{"practitioner_id":%q,"patient_id":%q,"kind":"booked","mode":"in_person","service_line":"hip","starts_at":%q,"minutes":30}`,
		practitioner, patient, at.UTC().Format(time.RFC3339))
}

const patientBody = `{"family_name":"Ngata","given_names":"Aroha","date_of_birth":"1990-05-01","nhi":"%s"}`

func TestBookingAPI(t *testing.T) {
	w := buildWorld(t)
	gp := w.apiAt(t, w.A, "gp")
	hip := w.people["hip"].ID.String()

	// Patients: create, a likely duplicate comes back as a warning, get, search, update.
	p1 := decode[created](t, gp.want("create patient", gp.do("POST", "/patients", "", fmt.Sprintf(patientBody, "ZZZ0016")), 201).body)
	dup := gp.want("create duplicate", gp.do("POST", "/patients", "", fmt.Sprintf(patientBody, "")), 201)
	if c := decode[created](t, dup.body); len(c.Warnings) != 1 || c.Warnings[0].PatientID != p1.Patient.ID || c.Warnings[0].Match != "name_and_birth_date" {
		t.Fatalf("duplicate warnings: %s", dup.body)
	}
	gp.want("same NHI", gp.do("POST", "/patients", "", fmt.Sprintf(patientBody, "zzz0016")), 409)
	gp.want("bad NHI", gp.do("POST", "/patients", "", fmt.Sprintf(patientBody, "ZZZ0017")), 422)
	gp.want("get patient", gp.do("GET", "/patients/"+p1.Patient.ID, "", ""), 200)
	found := gp.want("search", gp.do("GET", "/patients?q=ngata", "", ""), 200)
	if n := strings.Count(found.body, `"family_name"`); n != 2 {
		t.Errorf("search found %d: %s", n, found.body)
	}
	upd := gp.want("update", gp.do("PATCH", "/patients/"+p1.Patient.ID, "", `{"preferred_name":"Ro"}`), 200)
	if !strings.Contains(upd.body, `"preferred_name":"Ro"`) {
		t.Errorf("update: %s", upd.body)
	}

	// Book; the same key again replays the first answer and books nothing more.
	at := time.Date(2027, 3, 2, 21, 0, 0, 0, time.UTC)
	body := bookBody(hip, p1.Patient.ID, at)
	first := gp.want("book", gp.do("POST", "/appointments", "key-1", body), 201)
	again := gp.want("book again", gp.do("POST", "/appointments", "key-1", body), 201)
	if again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("Location") == "" {
		t.Fatalf("replay differs: %s / %s (%v)", first.body, again.body, again.header)
	}
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("the first answer says it was replayed")
	}
	gp.want("same key, other body", gp.do("POST", "/appointments", "key-1", bookBody(hip, p1.Patient.ID, at.Add(time.Hour))), 422)
	gp.want("bad key", gp.do("POST", "/appointments", "a key with spaces", body), 422)
	taken := gp.want("slot taken", gp.do("POST", "/appointments", "key-2", body), 409)
	if !strings.Contains(taken.body, "slot taken") {
		t.Errorf("conflict detail: %s", taken.body)
	}
	// The stored conflict replays too: the key is spent on that answer.
	gp.want("conflict replayed", gp.do("POST", "/appointments", "key-2", body), 409)
	day := decode[struct{ Appointments []struct{ ID, Status string } }](t,
		gp.want("list day", gp.do("GET", "/appointments?date=2027-03-03&practitioner_id="+hip, "", ""), 200).body)
	if len(day.Appointments) != 1 {
		t.Fatalf("%d appointments on the day, want 1", len(day.Appointments))
	}
	ap := decode[created](t, first.body).Appointment
	gp.want("get appointment", gp.do("GET", "/appointments/"+ap.ID, "", ""), 200)
	gp.want("arrived", gp.do("POST", "/appointments/"+ap.ID+"/status", "", `{"status":"arrived"}`), 200)
	gp.want("completed too soon", gp.do("POST", "/appointments/"+ap.ID+"/status", "", `{"status":"completed"}`), 409)
	gp.want("cancel without reason", gp.do("POST", "/appointments/"+ap.ID+"/cancel", "", `{"reason":""}`), 422)
	c := gp.want("cancel", gp.do("POST", "/appointments/"+ap.ID+"/cancel", "", `{"reason":"unwell"}`), 200)
	if !strings.Contains(c.body, `"status":"cancelled"`) {
		t.Errorf("cancel: %s", c.body)
	}

	// Hold, confirm, reschedule.
	h := decode[created](t, gp.want("hold", gp.do("POST", "/appointments/holds", "", bookBody(hip, p1.Patient.ID, at.Add(2*time.Hour))), 201).body)
	if h.Appointment.Status != "held" {
		t.Fatalf("hold: %+v", h)
	}
	gp.want("confirm", gp.do("POST", "/appointments/"+h.Appointment.ID+"/confirm", "", ""), 200)
	r := gp.want("reschedule", gp.do("POST", "/appointments/"+h.Appointment.ID+"/reschedule", "", fmt.Sprintf(`{"starts_at":%q,"minutes":20}`,
		at.Add(3*time.Hour).Format(time.RFC3339))), 201)
	if !strings.Contains(r.body, `"rescheduled_from":"`+h.Appointment.ID+`"`) {
		t.Errorf("reschedule: %s", r.body)
	}

	// Schedules and availability: a Tuesday template, one booking in it.
	admin := w.apiAt(t, w.A, "practice_admin")
	admin.want("template", admin.do("POST", "/schedules/templates", "tpl-1", fmt.Sprintf(`{"practitioner_id":%q,"effective_from":"2027-01-01",
		"blocks":[{"weekday":3,"starts":"09:00","ends":"11:00","kind":"open"},{"weekday":3,"starts":"11:00","ends":"12:00","kind":"admin"}]}`, hip)), 201)
	admin.want("templates", admin.do("GET", "/schedules/templates?practitioner_id="+hip, "", ""), 200)
	local := func(h, m int) time.Time {
		loc, _ := time.LoadLocation("Pacific/Auckland")
		return time.Date(2027, 3, 10, h, m, 0, 0, loc)
	}
	gp.want("book in template", gp.do("POST", "/appointments", "", bookBody(hip, p1.Patient.ID, local(9, 30))), 201)
	admin.want("exception", admin.do("POST", "/schedules/exceptions", "", fmt.Sprintf(`{"practitioner_id":%q,"starts_at":%q,"ends_at":%q,"reason":"training"}`,
		hip, local(10, 30).Format(time.RFC3339), local(11, 0).Format(time.RFC3339))), 201)
	q := "/availability?practitioner_id=" + hip + "&from=" + local(0, 0).UTC().Format(time.RFC3339) + "&to=" + local(23, 0).UTC().Format(time.RFC3339)
	av := decode[struct {
		Slots []struct {
			StartsAt time.Time `json:"starts_at"`
		}
	}](t, gp.want("availability", gp.do("GET", q, "", ""), 200).body)
	var got []string
	for _, s := range av.Slots {
		got = append(got, s.StartsAt.In(local(0, 0).Location()).Format("15:04"))
	}
	if fmt.Sprint(got) != "[09:00 10:00]" {
		t.Errorf("free 30-minute slots %v, want [09:00 10:00]", got)
	}
	gp.want("availability, 5-minute grid", gp.do("GET", q+"&grid=5&minutes=20", "", ""), 200)
	gp.want("availability, bad range", gp.do("GET", "/availability?from=2027-03-01T00:00:00Z&to=2027-05-01T00:00:00Z", "", ""), 422)
	admin.want("capacity", admin.do("GET", "/schedules/capacity?practitioner_id="+hip+"&from="+local(0, 0).UTC().Format(time.RFC3339)+
		"&to="+local(23, 0).UTC().Format(time.RFC3339), "", ""), 200)
}

// The acceptance test of issue 5 through the API: 50 requests at once for
// the same practitioner and time.
func TestBookingAPIConcurrent(t *testing.T) {
	w := buildWorld(t)
	gp := w.apiAt(t, w.A, "gp")
	p := decode[created](t, gp.want("patient", gp.do("POST", "/patients", "", fmt.Sprintf(patientBody, "")), 201).body)
	hip := w.people["hip"].ID.String()
	at := time.Date(2027, 4, 6, 21, 0, 0, 0, time.UTC)
	body := bookBody(hip, p.Patient.ID, at)
	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := gp.do("POST", "/appointments", fmt.Sprintf("race-%d", i), body)
			mu.Lock()
			defer mu.Unlock()
			codes[res.status]++
			if res.status == 409 && !strings.Contains(res.body, "slot taken") {
				t.Errorf("409 without a clear detail: %s", res.body)
			}
		}()
	}
	wg.Wait()
	if codes[201] != 1 || codes[409] != n-1 {
		t.Fatalf("answers %v, want one 201 and %d 409s", codes, n-1)
	}
	day := decode[struct{ Appointments []struct{ ID string } }](t,
		gp.want("list", gp.do("GET", "/appointments?date=2027-04-07&practitioner_id="+hip, "", ""), 200).body)
	if len(day.Appointments) != 1 {
		t.Fatalf("%d rows, want 1", len(day.Appointments))
	}

	// One key sent 20 times at once: one booking, the rest replays or 409s
	// with Retry-After while the first runs.
	body2 := bookBody(hip, p.Patient.ID, at.Add(time.Hour))
	codes = map[int]int{}
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := gp.do("POST", "/appointments", "one-key", body2)
			mu.Lock()
			defer mu.Unlock()
			codes[res.status]++
			if res.status == 409 && res.header.Get("Retry-After") == "" {
				t.Errorf("in-flight 409 without Retry-After: %s", res.body)
			}
		}()
	}
	wg.Wait()
	if codes[201] < 1 || codes[201]+codes[409] != 20 {
		t.Fatalf("answers %v", codes)
	}
	day = decode[struct{ Appointments []struct{ ID string } }](t,
		gp.want("list", gp.do("GET", "/appointments?date=2027-04-07&practitioner_id="+hip, "", ""), 200).body)
	if len(day.Appointments) != 2 {
		t.Fatalf("%d rows after the same key 20 times, want 2", len(day.Appointments))
	}
}

func TestBookingAPICrossTenant(t *testing.T) {
	w := buildWorld(t)
	gpA := w.apiAt(t, w.A, "gp")
	pA := decode[created](t, gpA.want("patient A", gpA.do("POST", "/patients", "", fmt.Sprintf(patientBody, "")), 201).body)
	hipA := w.people["hip"].ID.String()
	at := time.Date(2027, 5, 4, 21, 0, 0, 0, time.UTC)
	apA := decode[created](t, gpA.want("book A", gpA.do("POST", "/appointments", "", bookBody(hipA, pA.Patient.ID, at)), 201).body)

	// The same GP also works at B; B has its own HIP (the support worker
	// target of A has no membership at B at all).
	gpB := w.apiAt(t, w.B, "gp")
	w.apiAt(t, w.B, "hip")
	pB := decode[created](t, gpB.want("patient B", gpB.do("POST", "/patients", "", fmt.Sprintf(patientBody, "")), 201).body)

	// A's patient inside a booking at B: not found, nothing written.
	gpB.want("A's patient in B's booking", gpB.do("POST", "/appointments", "", bookBody(hipA, pA.Patient.ID, at)), 404)
	// A practitioner of A only, in a booking at B: not found.
	gpB.want("A's practitioner at B", gpB.do("POST", "/appointments", "", fmt.Sprintf(
		`{"practitioner_id":%q,"patient_id":%q,"kind":"booked","mode":"phone","service_line":"support_worker","starts_at":%q,"minutes":30}`,
		w.target.ID, pB.Patient.ID, at.Format(time.RFC3339))), 404)
	gpB.want("A's practitioner's availability at B", gpB.do("GET", "/availability?practitioner_id="+w.target.ID.String()+
		"&from=2027-05-04T00:00:00Z&to=2027-05-05T00:00:00Z", "", ""), 404)
	gpB.want("add A's patient to a group at B", gpB.do("POST", "/appointments/"+apA.Appointment.ID+"/attendees", "",
		fmt.Sprintf(`{"patient_id":%q}`, pA.Patient.ID)), 404)
	day := decode[struct{ Appointments []struct{ ID string } }](t,
		gpB.want("B's day", gpB.do("GET", "/appointments?from=2027-05-01T00:00:00Z&to=2027-05-10T00:00:00Z", "", ""), 200).body)
	if len(day.Appointments) != 0 {
		t.Fatalf("B has %d appointments after refused requests", len(day.Appointments))
	}

	// A's records by id from B: 404, and no change.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/patients/" + pA.Patient.ID, ""},
		{"PATCH", "/patients/" + pA.Patient.ID, `{"preferred_name":"X"}`},
		{"GET", "/appointments/" + apA.Appointment.ID, ""},
		{"POST", "/appointments/" + apA.Appointment.ID + "/cancel", `{"reason":"from B"}`},
		{"POST", "/appointments/" + apA.Appointment.ID + "/status", `{"status":"arrived"}`},
		{"POST", "/appointments/" + apA.Appointment.ID + "/confirm", ""},
	} {
		gpB.want(c.method+" "+c.path+" from B", gpB.do(c.method, c.path, "", c.body), 404)
	}
	got := gpA.want("A's appointment", gpA.do("GET", "/appointments/"+apA.Appointment.ID, "", ""), 200)
	if !strings.Contains(got.body, `"status":"booked"`) {
		t.Fatalf("A's appointment changed: %s", got.body)
	}
	if s := gpB.do("GET", "/patients?q=ngata", "", ""); strings.Contains(s.body, pA.Patient.ID) {
		t.Fatalf("B's search shows A's patient: %s", s.body)
	}
	// An idempotency key is the caller's in one practice: the same key at B
	// books at B, not a replay of A.
	gpA.want("keyed at A", gpA.do("POST", "/appointments", "shared-key", bookBody(hipA, pA.Patient.ID, at.Add(time.Hour))), 201)
	hipBID := w.people["hip"].ID.String()
	res := gpB.want("keyed at B", gpB.do("POST", "/appointments", "shared-key", bookBody(hipBID, pB.Patient.ID, at.Add(time.Hour))), 201)
	if res.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("B got A's stored answer")
	}
}
