// Package fhir declares the FHIR R4 (4.0.1) resources and data types that
// Tūhono exports, with the element names and cardinalities of the
// specification.
//
// Only the elements we fill are declared. A maintained Go FHIR model could not
// be fetched through the module proxy, so these are kept small and checked
// against the specification's element names by a strict round-trip test
// (unknown elements are refused there). Swap in a generated model when one is
// available; the JSON does not change.
package fhir

// Bundle is a FHIR Bundle (http://hl7.org/fhir/R4/bundle.html).
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id,omitempty"`
	Identifier   *Identifier   `json:"identifier,omitempty"`
	Type         string        `json:"type"`
	Timestamp    string        `json:"timestamp,omitempty"`
	Entry        []BundleEntry `json:"entry,omitempty"`
}

// BundleEntry holds one resource under its fullUrl.
type BundleEntry struct {
	FullURL  string `json:"fullUrl"`
	Resource any    `json:"resource"`
}

// Identifier is a business identifier such as the NHI.
type Identifier struct {
	Use    string `json:"use,omitempty"`
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// Coding is a code from a code system.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a set of codings with text.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Reference points at another resource, here always a fullUrl in the bundle.
type Reference struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

// Period is a start and end time.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// HumanName is a person's name.
type HumanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
}

// ContactPoint is a phone number or e-mail address.
type ContactPoint struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// Address is a postal address as lines.
type Address struct {
	Line []string `json:"line,omitempty"`
}

// Extension carries the NZ base ethnicity extension.
type Extension struct {
	URL                  string           `json:"url"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
}

// Narrative is human-readable XHTML.
type Narrative struct {
	Status string `json:"status"`
	Div    string `json:"div"`
}

// Attachment is inline content.
type Attachment struct {
	ContentType string `json:"contentType,omitempty"`
	Data        string `json:"data,omitempty"` // base64
	Title       string `json:"title,omitempty"`
	Creation    string `json:"creation,omitempty"`
}

// Patient (http://hl7.org/fhir/R4/patient.html).
type Patient struct {
	ResourceType        string       `json:"resourceType"`
	ID                  string       `json:"id,omitempty"`
	Extension           []Extension  `json:"extension,omitempty"`
	Identifier          []Identifier `json:"identifier,omitempty"`
	Name                []HumanName  `json:"name,omitempty"`
	Gender              string       `json:"gender,omitempty"`
	BirthDate           string       `json:"birthDate,omitempty"`
	GeneralPractitioner []Reference  `json:"generalPractitioner,omitempty"`
	ManagingOrg         *Reference   `json:"managingOrganization,omitempty"`
}

// Organization (http://hl7.org/fhir/R4/organization.html).
type Organization struct {
	ResourceType string         `json:"resourceType"`
	ID           string         `json:"id,omitempty"`
	Identifier   []Identifier   `json:"identifier,omitempty"`
	Name         string         `json:"name,omitempty"`
	Telecom      []ContactPoint `json:"telecom,omitempty"`
	Address      []Address      `json:"address,omitempty"`
}

// Practitioner (http://hl7.org/fhir/R4/practitioner.html).
type Practitioner struct {
	ResourceType  string                      `json:"resourceType"`
	ID            string                      `json:"id,omitempty"`
	Identifier    []Identifier                `json:"identifier,omitempty"`
	Name          []HumanName                 `json:"name,omitempty"`
	Qualification []PractitionerQualification `json:"qualification,omitempty"`
}

// PractitionerQualification carries the role as text.
type PractitionerQualification struct {
	Code CodeableConcept `json:"code"`
}

// Encounter (http://hl7.org/fhir/R4/encounter.html).
type Encounter struct {
	ResourceType string                 `json:"resourceType"`
	ID           string                 `json:"id,omitempty"`
	Status       string                 `json:"status"`
	Class        Coding                 `json:"class"`
	ServiceType  *CodeableConcept       `json:"serviceType,omitempty"`
	Subject      *Reference             `json:"subject,omitempty"`
	Participant  []EncounterParticipant `json:"participant,omitempty"`
	Period       *Period                `json:"period,omitempty"`
	ServiceProv  *Reference             `json:"serviceProvider,omitempty"`
}

// EncounterParticipant is the practitioner who saw the person.
type EncounterParticipant struct {
	Individual *Reference `json:"individual,omitempty"`
}

// Observation (http://hl7.org/fhir/R4/observation.html).
type Observation struct {
	ResourceType      string            `json:"resourceType"`
	ID                string            `json:"id,omitempty"`
	Status            string            `json:"status"`
	Category          []CodeableConcept `json:"category,omitempty"`
	Code              CodeableConcept   `json:"code"`
	Subject           *Reference        `json:"subject,omitempty"`
	Encounter         *Reference        `json:"encounter,omitempty"`
	EffectiveDateTime string            `json:"effectiveDateTime,omitempty"`
	ValueInteger      *int              `json:"valueInteger,omitempty"`
	Interpretation    []CodeableConcept `json:"interpretation,omitempty"`
}

// Composition (http://hl7.org/fhir/R4/composition.html).
type Composition struct {
	ResourceType string               `json:"resourceType"`
	ID           string               `json:"id,omitempty"`
	Status       string               `json:"status"`
	Type         CodeableConcept      `json:"type"`
	Subject      *Reference           `json:"subject,omitempty"`
	Encounter    *Reference           `json:"encounter,omitempty"`
	Date         string               `json:"date"`
	Author       []Reference          `json:"author"`
	Title        string               `json:"title"`
	Section      []CompositionSection `json:"section,omitempty"`
}

// CompositionSection is one field of a note, or one addendum.
type CompositionSection struct {
	Title  string      `json:"title,omitempty"`
	Author []Reference `json:"author,omitempty"`
	Text   *Narrative  `json:"text,omitempty"`
}

// Communication (http://hl7.org/fhir/R4/communication.html).
type Communication struct {
	ResourceType string                 `json:"resourceType"`
	ID           string                 `json:"id,omitempty"`
	Status       string                 `json:"status"`
	Category     []CodeableConcept      `json:"category,omitempty"`
	Subject      *Reference             `json:"subject,omitempty"`
	Encounter    *Reference             `json:"encounter,omitempty"`
	Sent         string                 `json:"sent,omitempty"`
	Received     string                 `json:"received,omitempty"`
	Recipient    []Reference            `json:"recipient,omitempty"`
	Sender       *Reference             `json:"sender,omitempty"`
	Payload      []CommunicationPayload `json:"payload,omitempty"`
}

// CommunicationPayload is the handover text.
type CommunicationPayload struct {
	ContentString string `json:"contentString"`
}

// DocumentReference (http://hl7.org/fhir/R4/documentreference.html) carries
// a statement of correction.
type DocumentReference struct {
	ResourceType string                     `json:"resourceType"`
	ID           string                     `json:"id,omitempty"`
	Status       string                     `json:"status"`
	Type         *CodeableConcept           `json:"type,omitempty"`
	Subject      *Reference                 `json:"subject,omitempty"`
	Date         string                     `json:"date,omitempty"`
	Description  string                     `json:"description,omitempty"`
	Content      []DocumentReferenceContent `json:"content"`
}

// DocumentReferenceContent holds the statement itself.
type DocumentReferenceContent struct {
	Attachment Attachment `json:"attachment"`
}
