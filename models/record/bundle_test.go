package record

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/record/fhir"
)

func parse(t *testing.T, r Record) (*fhir.ParsedBundle, map[string]fhir.Resource) {
	t.Helper()
	data, err := FHIRBundle(r)
	if err != nil {
		t.Fatalf("FHIRBundle: %v", err)
	}
	b, err := fhir.ParseBundle(data)
	if err != nil {
		t.Fatalf("bundle does not parse strictly: %v", err)
	}
	byURL := map[string]fhir.Resource{}
	for _, e := range b.Entries {
		if !strings.HasPrefix(e.FullURL, "urn:uuid:") {
			t.Fatalf("fullUrl %q is not a urn:uuid", e.FullURL)
		}
		if _, err := uuid.Parse(strings.TrimPrefix(e.FullURL, "urn:uuid:")); err != nil {
			t.Fatalf("fullUrl %q: %v", e.FullURL, err)
		}
		if _, dup := byURL[e.FullURL]; dup {
			t.Fatalf("fullUrl %q used twice", e.FullURL)
		}
		byURL[e.FullURL] = e.Resource
	}
	return b, byURL
}

func ofKind[T fhir.Resource](b *fhir.ParsedBundle) []T {
	var out []T
	for _, e := range b.Entries {
		if r, ok := e.Resource.(T); ok {
			out = append(out, r)
		}
	}
	return out
}

// references finds every Reference anywhere inside v, so a reference added
// later is checked without this test knowing its name.
func references(v reflect.Value, out *[]fhir.Reference) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			references(v.Elem(), out)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			references(v.Index(i), out)
		}
	case reflect.Struct:
		if r, ok := v.Interface().(fhir.Reference); ok {
			*out = append(*out, r)
			return
		}
		for i := 0; i < v.NumField(); i++ {
			references(v.Field(i), out)
		}
	}
}

// resolves checks that ref points at an entry of the wanted resource type.
func resolves(t *testing.T, byURL map[string]fhir.Resource, where string, ref *fhir.Reference, kind string) {
	t.Helper()
	if ref == nil {
		t.Errorf("%s: missing reference", where)
		return
	}
	res, ok := byURL[ref.Reference]
	if !ok {
		t.Errorf("%s: %q does not resolve inside the bundle", where, ref.Reference)
		return
	}
	if res.Kind() != kind {
		t.Errorf("%s: points at a %s, want %s", where, res.Kind(), kind)
	}
}

func TestBundleReferencesResolve(t *testing.T) {
	b, byURL := parse(t, sampleRecord())
	if b.Type != "collection" {
		t.Errorf("bundle type %q, want collection", b.Type)
	}
	var refs []fhir.Reference
	for _, e := range b.Entries {
		references(reflect.ValueOf(e.Resource), &refs)
	}
	if len(refs) < 20 {
		t.Fatalf("found only %d references; the walker is not seeing the resources", len(refs))
	}
	for _, r := range refs {
		if _, ok := byURL[r.Reference]; !ok {
			t.Errorf("reference %q does not resolve inside the bundle", r.Reference)
		}
	}

	for _, e := range ofKind[*fhir.Encounter](b) {
		resolves(t, byURL, "Encounter.subject", e.Subject, "Patient")
		resolves(t, byURL, "Encounter.serviceProvider", e.ServiceProv, "Organization")
		resolves(t, byURL, "Encounter.participant", e.Participant[0].Individual, "Practitioner")
	}
	for _, o := range ofKind[*fhir.Observation](b) {
		resolves(t, byURL, "Observation.subject", o.Subject, "Patient")
	}
	for _, c := range ofKind[*fhir.Composition](b) {
		resolves(t, byURL, "Composition.subject", c.Subject, "Patient")
		resolves(t, byURL, "Composition.encounter", c.Encounter, "Encounter")
		resolves(t, byURL, "Composition.author", &c.Author[0], "Practitioner")
	}
	for _, c := range ofKind[*fhir.Communication](b) {
		resolves(t, byURL, "Communication.subject", c.Subject, "Patient")
		resolves(t, byURL, "Communication.encounter", c.Encounter, "Encounter")
		resolves(t, byURL, "Communication.recipient", &c.Recipient[0], "Practitioner")
		resolves(t, byURL, "Communication.sender", c.Sender, "Practitioner")
	}
	for _, d := range ofKind[*fhir.DocumentReference](b) {
		resolves(t, byURL, "DocumentReference.subject", d.Subject, "Patient")
	}
}

func TestBundleContent(t *testing.T) {
	r := sampleRecord()
	b, byURL := parse(t, r)

	counts := map[string]int{}
	for _, e := range b.Entries {
		counts[e.Resource.Kind()]++
	}
	want := map[string]int{"Patient": 1, "Organization": 1, "Encounter": 2, "Observation": 4,
		"Composition": 2, "Communication": 1, "DocumentReference": 1, "Practitioner": 3}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("resources %v, want %v", counts, want)
	}

	pat := ofKind[*fhir.Patient](b)[0]
	if len(pat.Identifier) != 1 || pat.Identifier[0].System != NHISystem || pat.Identifier[0].Value != "ZZZ0016" {
		t.Errorf("NHI identifier %+v", pat.Identifier)
	}
	if pat.BirthDate != "1990-05-15" || pat.Gender != "female" || pat.Name[0].Family != "Ngātai" ||
		!reflect.DeepEqual(pat.Name[0].Given, []string{"Aroha", "Mīria"}) {
		t.Errorf("patient %+v", pat)
	}
	if len(pat.Extension) != 2 || pat.Extension[0].ValueCodeableConcept.Coding[0].Code != "21111" {
		t.Errorf("ethnicity %+v", pat.Extension)
	}

	codes := map[string]string{}
	for _, o := range ofKind[*fhir.Observation](b) {
		codes[o.Code.Coding[0].System+"|"+o.Code.Coding[0].Code] = o.Code.Text
		if o.Code.Text == "GAD-7 total" && o.Encounter != nil {
			t.Errorf("GAD-7 taken outside a session has encounter %v", o.Encounter)
		}
		if o.Code.Text == "PHQ-9 total" && (o.ValueInteger == nil || *o.ValueInteger != 11) {
			t.Errorf("PHQ-9 value %v", o.ValueInteger)
		}
	}
	for _, c := range []string{"http://loinc.org|44261-6", "http://loinc.org|70274-6",
		MeasureSystem + "|k10-total", MeasureSystem + "|session-usefulness"} {
		if _, ok := codes[c]; !ok {
			t.Errorf("no observation coded %s (have %v)", c, codes)
		}
	}

	status := map[string]fhir.Composition{}
	for _, c := range ofKind[*fhir.Composition](b) {
		status[c.Status] = *c
	}
	amended, ok := status["amended"]
	if !ok || len(amended.Section) != 3 || !strings.HasPrefix(amended.Section[2].Title, "Addendum") {
		t.Fatalf("signed note with an addendum: %+v", amended)
	}
	resolves(t, byURL, "addendum author", &amended.Section[2].Author[0], "Practitioner")
	if !strings.Contains(amended.Section[1].Text.Div, "paddle twice a week.<br/>Review") {
		t.Errorf("narrative lost the line break: %s", amended.Section[1].Text.Div)
	}
	if _, ok := status["entered-in-error"]; !ok {
		t.Errorf("retracted note not marked entered-in-error: %v", status)
	}

	com := ofKind[*fhir.Communication](b)[0]
	if com.Payload[0].ContentString != r.Handovers[0].Text || com.Sent == "" || com.Received == "" {
		t.Errorf("communication %+v", com)
	}
	doc := ofKind[*fhir.DocumentReference](b)[0]
	stmt, _ := base64.StdEncoding.DecodeString(doc.Content[0].Attachment.Data)
	if string(stmt) != r.Corrections[0].Statement || !strings.Contains(doc.Description, "Te Whatu Ora referral service") {
		t.Errorf("correction %+v", doc)
	}
}

func TestBundleIsStableAndEscapesText(t *testing.T) {
	r := sampleRecord()
	r.Notes[0].Fields[0].Value = `<script>alert("x")</script> & more`
	a, err := FHIRBundle(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FHIRBundle(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two exports of one record differ")
	}
	if bytes.Contains(a, []byte("<script>")) {
		t.Error("note text reached the narrative unescaped")
	}
	if _, err := fhir.ParseBundle(a); err != nil {
		t.Error(err)
	}
}

func TestBundleEmptyRecord(t *testing.T) {
	b, _ := parse(t, Record{})
	if len(ofKind[*fhir.Patient](b)) != 1 || len(b.Entries) != 2 {
		t.Errorf("empty record gave %d entries", len(b.Entries))
	}
}

// A note whose session is not in the export must not point at nothing.
func TestBundleNoteWithoutSession(t *testing.T) {
	r := sampleRecord()
	r.Notes[0].SessionID = "s-gone"
	b, _ := parse(t, r)
	for _, c := range ofKind[*fhir.Composition](b) {
		if c.Title == noteTitle("hip") && c.Encounter != nil {
			t.Errorf("encounter %v for a session not in the bundle", c.Encounter)
		}
	}
}

func TestParseBundleRefusesUnknownElements(t *testing.T) {
	bad := `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1",
		"resource":{"resourceType":"Patient","birthdate":"1990-01-01"}}]}`
	_, err := fhir.ParseBundle([]byte(bad))
	if err == nil || !strings.Contains(err.Error(), "birthdate") {
		t.Errorf("misspelt element birthdate: got %v", err)
	}
	empty := `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1",
		"resource":{"resourceType":"Patient","name":[{"given":[]}]}}]}`
	if _, err := fhir.ParseBundle([]byte(empty)); err == nil {
		t.Error("an empty array, which FHIR forbids, was accepted")
	}
}
