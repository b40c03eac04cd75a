package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tuhono/tuhono/models/record/fhir"
)

// The records API: the GP's inbox, a person's FHIR export (its own media
// type, parsed), the access report listing that export, admins kept from
// clinical exports, and another practice's person not found.
func TestRecordsAPI(t *testing.T) {
	w := buildWorld(t)
	base := "/api/v1/t/" + w.A.Slug
	aroha := handoverPatient(t, w.A, "Ngata", "Aroha")
	gp := w.tokens["gp"]

	st, body, ct := w.call(t, "GET", base+"/inbox", gp, "", "")
	wantStatus(t, "inbox", st, http.StatusOK, body, ct)
	var in struct {
		Unread    int
		Handovers []any
	}
	if err := json.Unmarshal([]byte(body), &in); err != nil || in.Unread != 0 || len(in.Handovers) != 0 {
		t.Fatalf("inbox: %v %s", err, body)
	}

	st, body, ct = w.call(t, "GET", base+"/patients/"+aroha.String()+"/record", gp, "", "")
	if st != http.StatusOK || !strings.HasPrefix(ct, "application/fhir+json") {
		t.Fatalf("record: %d %q %s", st, ct, body)
	}
	if _, err := fhir.ParseBundle([]byte(body)); err != nil {
		t.Fatal(err)
	}

	st, body, ct = w.call(t, "GET", base+"/patients/"+aroha.String()+"/access-report", gp, "", "")
	wantStatus(t, "access report", st, http.StatusOK, body, ct)
	if !strings.Contains(body, `"record.export"`) {
		t.Fatalf("the access report lacks the export: %s", body)
	}

	st, body, ct = w.call(t, "GET", base+"/patients/"+aroha.String()+"/record", w.tokens["practice_admin"], "", "")
	wantStatus(t, "admin export", st, http.StatusForbidden, body, ct)

	other := handoverPatient(t, w.B, "Fale", "Sione")
	st, body, ct = w.call(t, "GET", base+"/patients/"+other.String()+"/record", gp, "", "")
	wantStatus(t, "another practice's person", st, http.StatusNotFound, body, ct)
}
