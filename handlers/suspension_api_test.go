package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/booking"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/waitlist"
	"github.com/tuhono/tuhono/tenants"
)

// TestSuspensionAPI: while practice A is suspended for billing, every API
// way to a new appointment answers 409 with the suspension's own words and
// books nothing; reading, moving along, cancelling, the note and the record
// export all still work; practice B books on; reactivated, A books again.
func TestSuspensionAPI(t *testing.T) {
	w := buildWorld(t)
	d := dbtest.New(t).DB // the world's database: one per test process
	ctxA := tenants.WithTenant(context.Background(), w.A)
	const js = "application/json"
	base := "/api/v1/t/" + w.A.Slug
	gp := w.apiAt(t, w.A, "gp")
	hip := w.people["hip"].ID
	pt := handoverPatient(t, w.A, "Ngata", "Aroha")
	loc := w.A.Location()
	y, m, day := time.Now().In(loc).AddDate(0, 0, 2).Date()
	at := func(hour int) time.Time { return time.Date(y, m, day, hour, 0, 0, 0, loc) }

	// Before: a session with a signed note, a booking to cancel later, and
	// a waitlist entry with a freed time to offer.
	seen := decode[created](t, gp.want("book", gp.do("POST", "/appointments", "", bookBody(hip.String(), pt.String(), at(9))), 201).body).Appointment
	later := decode[created](t, gp.want("book", gp.do("POST", "/appointments", "", bookBody(hip.String(), pt.String(), at(10))), 201).body).Appointment
	fields := `"fields":{"what_matters":"Waka ama with cousins","presenting_concern":"Low mood","plan":"Review","risk_screen":"not indicated","follow_up":"none needed"}`
	st, body, ct := w.call(t, "POST", base+"/notes", w.tokens["hip"], js, `{"patient_id":"`+pt.String()+`","appointment_id":"`+seen.ID+`",`+fields+`}`)
	wantStatus(t, "create note", st, http.StatusCreated, body, ct)
	noteID := decode[struct{ ID string }](t, body).ID
	st, body, ct = w.call(t, "POST", base+"/notes/"+noteID+"/sign", w.tokens["hip"], js, `{"version":1}`)
	wantStatus(t, "sign note", st, http.StatusOK, body, ct)
	entry, err := waitlist.Add(ctxA, d, w.people["gp"].ID, waitlist.NewEntry{PatientID: handoverPatient(t, w.A, "Parata", "Hemi"),
		ServiceLine: booking.LineHIP, Urgency: waitlist.UrgencySoon})
	if err != nil {
		t.Fatal(err)
	}
	freed := decode[created](t, gp.want("book", gp.do("POST", "/appointments", "", bookBody(hip.String(), handoverPatient(t, w.A, "Fale", "Sione").String(), at(14))), 201).body).Appointment
	gp.want("cancel to free", gp.do("POST", "/appointments/"+freed.ID+"/cancel", "", `{"reason":"unwell"}`), 200)

	standing := func(status string) {
		t.Helper()
		err := d.Platform(context.Background(), "test: billing standing", func(tx *db.Tx) error {
			return tx.Exec(`UPDATE tenants SET billing_status = ? WHERE id = ?`, status, w.A.ID).Error
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	count := func() int64 {
		t.Helper()
		var n int64
		if err := d.InTenant(ctxA, func(tx *db.Tx) error { return tx.Raw(`SELECT count(*) FROM appointments`).Scan(&n).Error }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	paused := func(what string, got answer) {
		t.Helper()
		gp.want(what, got, http.StatusConflict)
		var p struct{ Detail string }
		if err := json.Unmarshal([]byte(got.body), &p); err != nil || p.Detail != billing.ErrSuspended.Message {
			t.Errorf("%s: detail %q, want the suspension's message (%v)", what, p.Detail, err)
		}
	}

	standing(billing.StatusSuspended)
	before := count()
	paused("book", gp.do("POST", "/appointments", "key-suspended", bookBody(hip.String(), pt.String(), at(11))))
	paused("hold", gp.do("POST", "/appointments/holds", "", bookBody(hip.String(), pt.String(), at(12))))
	paused("reschedule", gp.do("POST", "/appointments/"+later.ID+"/reschedule", "",
		fmt.Sprintf(`{"starts_at":%q,"minutes":30}`, at(13).Format(time.RFC3339))))
	st, body, ct = w.call(t, "POST", base+"/waitlist/"+entry.ID.String()+"/book", gp.token, js, `{"appointment_id":"`+freed.ID+`"}`)
	paused("book from the waitlist", answer{status: st, body: body, header: http.Header{"Content-Type": {ct}}})
	if n := count(); n != before {
		t.Fatalf("%d appointments after the refusals, want %d", n, before)
	}

	// Everything already there goes on and stays readable.
	gp.want("get", gp.do("GET", "/appointments/"+seen.ID, "", ""), 200)
	list := gp.want("list", gp.do("GET", "/appointments?date="+at(9).Format(time.DateOnly)+"&practitioner_id="+hip.String(), "", ""), 200)
	if n := strings.Count(list.body, `"id"`); n != 3 {
		t.Errorf("%d appointments listed, want 3: %s", n, list.body)
	}
	gp.want("arrived", gp.do("POST", "/appointments/"+seen.ID+"/status", "", `{"status":"arrived"}`), 200)
	gp.want("cancel", gp.do("POST", "/appointments/"+later.ID+"/cancel", "", `{"reason":"away"}`), 200)
	st, body, ct = w.call(t, "GET", base+"/notes/"+noteID, w.tokens["gp"], "", "")
	wantStatus(t, "note", st, http.StatusOK, body, ct)
	if !strings.Contains(body, "Waka ama with cousins") {
		t.Errorf("note while suspended: %s", body)
	}
	st, body, ct = w.call(t, "GET", base+"/patients/"+pt.String()+"/record", w.tokens["gp"], "", "")
	if st != http.StatusOK || !strings.HasPrefix(ct, "application/fhir+json") || !strings.Contains(body, "Waka ama with cousins") {
		t.Fatalf("record export while suspended: %d %q", st, ct)
	}

	// Practice B, under the same PHO, is not A.
	w.apiAt(t, w.B, "hip")
	gpB := w.apiAt(t, w.B, "gp")
	gpB.want("B books", gpB.do("POST", "/appointments", "", bookBody(hip.String(), handoverPatient(t, w.B, "Tui", "Mere").String(), at(11))), 201)

	standing(billing.StatusActive)
	gp.want("book after reactivation", gp.do("POST", "/appointments", "", bookBody(hip.String(), pt.String(), at(11))), 201)
}
