package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/models/record/fhir"
)

// Code systems and codes the bundle uses.
const (
	// NHISystem is the NHI identifier namespace (HISO 10046).
	NHISystem = "https://standards.digital.health.nz/ns/nhi-id"
	// HPIOrgSystem and HPIPersonSystem are the HPI namespaces.
	HPIOrgSystem    = "https://standards.digital.health.nz/ns/hpi-organisation-id"
	HPIPersonSystem = "https://standards.digital.health.nz/ns/hpi-person-id"
	// EthnicitySystem holds HISO 10001:2017 level 4 codes; the extension is
	// the one from the HL7 NZ base implementation guide.
	EthnicitySystem    = "https://standards.digital.health.nz/ns/ethnic-group-level-4-code"
	EthnicityExtension = "http://hl7.org.nz/fhir/StructureDefinition/nz-ethnicity"
	// MeasureSystem is Tūhono's local code system for measures that have no
	// LOINC code for their total: the K10 total and the session usefulness
	// rating.
	MeasureSystem = "https://tuhono.nz/fhir/CodeSystem/outcome-measure"

	loinc = "http://loinc.org"
)

// bundleNamespace seeds the name-based UUIDs of bundle entries, so the same
// record always exports with the same fullUrls and internal ids do not leak.
var bundleNamespace = uuid.MustParse("6f2b0c1e-5a8d-4c41-9a63-2f1d7f0e9b11")

// measureCode maps a score kind to its FHIR code. PHQ-9 and GAD-7 totals have
// LOINC codes; the K10 and the usefulness rating use the local system.
func measureCode(kind string) fhir.CodeableConcept {
	switch kind {
	case "phq9":
		return fhir.CodeableConcept{Coding: []fhir.Coding{{System: loinc, Code: "44261-6",
			Display: "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"}}, Text: "PHQ-9 total"}
	case "gad7":
		return fhir.CodeableConcept{Coding: []fhir.Coding{{System: loinc, Code: "70274-6",
			Display: "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"}}, Text: "GAD-7 total"}
	case "k10":
		return fhir.CodeableConcept{Coding: []fhir.Coding{{System: MeasureSystem, Code: "k10-total",
			Display: "Kessler Psychological Distress Scale (K10) total score"}}, Text: "K10 total"}
	case "usefulness":
		return fhir.CodeableConcept{Coding: []fhir.Coding{{System: MeasureSystem, Code: "session-usefulness",
			Display: "How useful was this session today? (0–10)"}}, Text: "Session usefulness"}
	}
	return fhir.CodeableConcept{Coding: []fhir.Coding{{System: MeasureSystem, Code: kind}}, Text: kind}
}

// bundler assembles the entries and hands out stable fullUrls.
type bundler struct {
	r             Record
	entries       []fhir.BundleEntry
	patient       string
	practice      string
	practitioners map[string]string // name|role -> fullUrl
	encounters    map[string]string // session id -> fullUrl
}

// FHIRBundle exports the record as a FHIR R4 Bundle of type "collection".
//
// Not "document": a document bundle is one attested Composition that every
// other entry hangs from, whereas a person's record is many notes by many
// authors, each signed on its own; a collection carries them side by side
// without claiming one author attested the lot. Every reference is a urn:uuid
// fullUrl of another entry, so the bundle stands alone.
func FHIRBundle(r Record) ([]byte, error) {
	b := &bundler{r: r, practitioners: map[string]string{}, encounters: map[string]string{}}
	b.addPractice()
	b.addPatient()
	for i, s := range r.Sessions {
		b.addEncounter(i, s)
	}
	for i, sc := range r.Scores {
		b.addObservation(i, sc)
	}
	for i, n := range r.Notes {
		b.addComposition(i, n)
	}
	for i, h := range r.Handovers {
		b.addCommunication(i, h)
	}
	for i, c := range r.Corrections {
		b.addCorrection(i, c)
	}
	bundle := fhir.Bundle{
		ResourceType: "Bundle",
		ID:           b.id("bundle", r.Person.ID),
		Type:         "collection",
		Timestamp:    instant(generatedAt(r)),
		Entry:        b.entries,
	}
	// Narrative XHTML stays readable: JSON needs no HTML escaping, and the
	// note text inside it is already escaped as XHTML.
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(bundle); err != nil {
		return nil, fmt.Errorf("record.FHIRBundle: %w", err)
	}
	return out.Bytes(), nil
}

// id derives a stable UUID for one entry from its kind and source id.
func (b *bundler) id(kind, key string) string {
	return uuid.NewSHA1(bundleNamespace, []byte(b.r.Person.ID+"|"+kind+"|"+key)).String()
}

func (b *bundler) add(id string, res any) string {
	url := "urn:uuid:" + id
	b.entries = append(b.entries, fhir.BundleEntry{FullURL: url, Resource: res})
	return url
}

func ref(url, display string) *fhir.Reference {
	return &fhir.Reference{Reference: url, Display: display}
}

func (b *bundler) addPractice() {
	p := b.r.Person.Practice
	id := b.id("practice", p.ID+p.Name)
	org := fhir.Organization{ResourceType: "Organization", ID: id, Name: p.Name}
	if p.HPIOrg != "" {
		org.Identifier = []fhir.Identifier{{Use: "official", System: HPIOrgSystem, Value: p.HPIOrg}}
	}
	if p.Phone != "" {
		org.Telecom = append(org.Telecom, fhir.ContactPoint{System: "phone", Value: p.Phone})
	}
	if p.Email != "" {
		org.Telecom = append(org.Telecom, fhir.ContactPoint{System: "email", Value: p.Email})
	}
	if len(p.Address) > 0 {
		org.Address = []fhir.Address{{Line: p.Address}}
	}
	b.practice = b.add(id, org)
}

func (b *bundler) addPatient() {
	p := b.r.Person
	id := b.id("patient", p.ID)
	pat := fhir.Patient{ResourceType: "Patient", ID: id, Gender: p.Gender, ManagingOrg: ref(b.practice, p.Practice.Name)}
	if p.NHI != "" {
		pat.Identifier = []fhir.Identifier{{Use: "official", System: NHISystem, Value: p.NHI}}
	}
	if p.GivenNames != "" || p.FamilyName != "" {
		pat.Name = append(pat.Name, fhir.HumanName{Use: "official", Family: p.FamilyName, Given: strings.Fields(p.GivenNames)})
	}
	if p.PreferredName != "" {
		pat.Name = append(pat.Name, fhir.HumanName{Use: "usual", Text: p.PreferredName})
	}
	if !p.BirthDate.IsZero() {
		pat.BirthDate = p.BirthDate.Format(time.DateOnly)
	}
	for _, code := range p.Ethnicities {
		pat.Extension = append(pat.Extension, fhir.Extension{URL: EthnicityExtension,
			ValueCodeableConcept: &fhir.CodeableConcept{Coding: []fhir.Coding{{System: EthnicitySystem, Code: code}}}})
	}
	b.patient = b.add(id, pat)
}

// practitioner returns the fullUrl of the Practitioner entry for p, adding it
// the first time the name and role are seen.
func (b *bundler) practitioner(p Practitioner) string {
	key := p.Name + "|" + p.Role
	if url, ok := b.practitioners[key]; ok {
		return url
	}
	id := b.id("practitioner", key)
	pr := fhir.Practitioner{ResourceType: "Practitioner", ID: id}
	if p.Name != "" {
		pr.Name = []fhir.HumanName{{Text: p.Name}}
	}
	if p.HPI != "" {
		pr.Identifier = []fhir.Identifier{{Use: "official", System: HPIPersonSystem, Value: p.HPI}}
	}
	if p.Role != "" {
		pr.Qualification = []fhir.PractitionerQualification{{Code: fhir.CodeableConcept{Text: p.Role}}}
	}
	url := b.add(id, pr)
	b.practitioners[key] = url
	return url
}

// encounterStatus maps a session status to the R4 Encounter status. R4 has no
// "no-show" for encounters, so a did-not-attend is cancelled (the appointment
// keeps the distinction).
func encounterStatus(s string) string {
	switch s {
	case "held", "booked":
		return "planned"
	case "arrived":
		return "arrived"
	case "in_session":
		return "in-progress"
	case "completed":
		return "finished"
	case "did_not_attend", "cancelled":
		return "cancelled"
	}
	return "unknown"
}

// encounterClass maps the mode to HL7 v3 ActCode: AMB for a visit at the
// practice, VR for phone or video, HH for home or community.
func encounterClass(mode string) fhir.Coding {
	const actCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	switch mode {
	case "phone", "video":
		return fhir.Coding{System: actCode, Code: "VR", Display: "virtual"}
	case "community":
		return fhir.Coding{System: actCode, Code: "HH", Display: "home health"}
	}
	return fhir.Coding{System: actCode, Code: "AMB", Display: "ambulatory"}
}

func (b *bundler) addEncounter(i int, s Session) {
	id := b.id("session", keyOr(s.ID, i))
	enc := fhir.Encounter{
		ResourceType: "Encounter", ID: id,
		Status:      encounterStatus(s.Status),
		Class:       encounterClass(s.Mode),
		Subject:     ref(b.patient, ""),
		Period:      period(s.Start, s.End),
		ServiceProv: ref(b.practice, ""),
	}
	if s.ServiceLine != "" {
		enc.ServiceType = &fhir.CodeableConcept{Text: s.ServiceLine}
	}
	if s.Practitioner.Name != "" {
		enc.Participant = []fhir.EncounterParticipant{{Individual: ref(b.practitioner(s.Practitioner), s.Practitioner.Name)}}
	}
	url := b.add(id, enc)
	if s.ID != "" {
		b.encounters[s.ID] = url
	}
}

// encounter returns a reference to the session's Encounter, or nil when the
// session is not in the export (a referral contact, or a filtered session).
func (b *bundler) encounter(sessionID string) *fhir.Reference {
	if url, ok := b.encounters[sessionID]; ok && sessionID != "" {
		return ref(url, "")
	}
	return nil
}

func (b *bundler) addObservation(i int, sc Score) {
	id := b.id("score", keyOr(sc.ID, i))
	total := sc.Total
	obs := fhir.Observation{
		ResourceType: "Observation", ID: id,
		Status: "final",
		Category: []fhir.CodeableConcept{{Coding: []fhir.Coding{{
			System: "http://terminology.hl7.org/CodeSystem/observation-category", Code: "survey", Display: "Survey"}}}},
		Code:         measureCode(sc.Kind),
		Subject:      ref(b.patient, ""),
		Encounter:    b.encounter(sc.SessionID),
		ValueInteger: &total,
	}
	if !sc.At.IsZero() {
		obs.EffectiveDateTime = instant(sc.At)
	}
	if sc.Band != "" {
		obs.Interpretation = []fhir.CodeableConcept{{Text: sc.Band}}
	}
	b.add(id, obs)
}

// compositionStatus: a retracted note stays in the record as
// entered-in-error; a note with addenda is amended; a draft is preliminary.
func compositionStatus(n Note) string {
	switch {
	case n.EnteredInError:
		return "entered-in-error"
	case !n.Signed():
		return "preliminary"
	case len(n.Addenda) > 0:
		return "amended"
	}
	return "final"
}

func (b *bundler) addComposition(i int, n Note) {
	id := b.id("note", keyOr(n.ID, i))
	author := b.practitioner(n.Author)
	comp := fhir.Composition{
		ResourceType: "Composition", ID: id,
		Status: compositionStatus(n),
		// LOINC 11506-3 Progress note: the session note of every role.
		Type:      fhir.CodeableConcept{Coding: []fhir.Coding{{System: loinc, Code: "11506-3", Display: "Progress note"}}, Text: noteTitle(n.Kind)},
		Subject:   ref(b.patient, ""),
		Encounter: b.encounter(n.SessionID),
		Date:      instant(n.SignedAt),
		Author:    []fhir.Reference{*ref(author, n.Author.Name)},
		Title:     noteTitle(n.Kind),
	}
	if n.SignedAt.IsZero() {
		comp.Date = instant(generatedAt(b.r))
	}
	for _, f := range n.Fields {
		comp.Section = append(comp.Section, fhir.CompositionSection{Title: f.Label, Text: narrative(f.Value)})
	}
	for _, a := range n.Addenda {
		title := "Addendum " + a.At.In(nzTime).Format("2 Jan 2006 15:04")
		if a.Reason != "" {
			title += " — " + a.Reason
		}
		comp.Section = append(comp.Section, fhir.CompositionSection{
			Title: title, Author: []fhir.Reference{*ref(b.practitioner(a.Author), a.Author.Name)}, Text: narrative(a.Text)})
	}
	b.add(id, comp)
}

func (b *bundler) addCommunication(i int, h Handover) {
	id := b.id("handover", keyOr(h.ID, i))
	com := fhir.Communication{
		ResourceType: "Communication", ID: id,
		Status: "completed",
		Category: []fhir.CodeableConcept{{Coding: []fhir.Coding{{
			System: "http://terminology.hl7.org/CodeSystem/communication-category", Code: "notification", Display: "Notification"}},
			Text: "Handover to GP"}},
		Subject:   ref(b.patient, ""),
		Encounter: b.encounter(h.SessionID),
		Recipient: []fhir.Reference{*ref(b.practitioner(h.To), h.To.Name)},
		Sender:    ref(b.practitioner(h.From), h.From.Name),
		Payload:   []fhir.CommunicationPayload{{ContentString: h.Text}},
	}
	if h.SentAt.IsZero() {
		com.Status = "preparation"
	} else {
		com.Sent = instant(h.SentAt)
	}
	if !h.ReadAt.IsZero() {
		com.Received = instant(h.ReadAt)
	}
	b.add(id, com)
}

// addCorrection attaches a HIPC rule 7 statement of correction so that it is
// read with the record wherever the record goes.
func (b *bundler) addCorrection(i int, c Correction) {
	id := b.id("correction", keyOr(c.ID, i))
	desc := "Statement of correction requested by the person (HIPC rule 7)"
	if len(c.DisclosedTo) > 0 {
		desc += "; disclosed to: " + strings.Join(c.DisclosedTo, ", ")
	}
	doc := fhir.DocumentReference{
		ResourceType: "DocumentReference", ID: id,
		Status:      "current",
		Type:        &fhir.CodeableConcept{Text: "Statement of correction"},
		Subject:     ref(b.patient, ""),
		Description: desc,
		Content: []fhir.DocumentReferenceContent{{Attachment: fhir.Attachment{
			ContentType: "text/plain; charset=utf-8",
			Data:        base64.StdEncoding.EncodeToString([]byte(c.Statement)),
			Title:       "Statement of correction",
		}}},
	}
	if !c.At.IsZero() {
		doc.Date = instant(c.At)
		doc.Content[0].Attachment.Creation = instant(c.At)
	}
	b.add(id, doc)
}

// narrative wraps plain text as FHIR XHTML, keeping line breaks.
func narrative(text string) *fhir.Narrative {
	body := strings.ReplaceAll(html.EscapeString(text), "\n", "<br/>")
	return &fhir.Narrative{Status: "generated", Div: `<div xmlns="http://www.w3.org/1999/xhtml">` + body + `</div>`}
}

func period(start, end time.Time) *fhir.Period {
	if start.IsZero() && end.IsZero() {
		return nil
	}
	p := &fhir.Period{}
	if !start.IsZero() {
		p.Start = instant(start)
	}
	if !end.IsZero() {
		p.End = instant(end)
	}
	return p
}

// instant formats a time as a FHIR dateTime with the New Zealand offset, as
// a reader at the practice would expect.
func instant(t time.Time) string {
	return t.In(nzTime).Format(time.RFC3339)
}

func keyOr(id string, i int) string {
	if id != "" {
		return id
	}
	return fmt.Sprintf("#%d", i)
}

func generatedAt(r Record) time.Time {
	if r.GeneratedAt.IsZero() {
		return time.Now()
	}
	return r.GeneratedAt
}

// noteTitle names a note by its template, as the timeline does.
func noteTitle(kind string) string {
	switch kind {
	case "hip":
		return "Health Improvement Practitioner note"
	case "health_coach":
		return "Health Coach note"
	case "support_worker":
		return "Support Worker note"
	case "":
		return "Session note"
	}
	return kind + " note"
}
