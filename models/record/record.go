package record

import "time"

// Record is everything one person's export holds. The caller fills it after
// applying the visibility rules: what is in here is what leaves.
type Record struct {
	Person      Person
	Sessions    []Session
	Notes       []Note
	Scores      []Score
	Handovers   []Handover
	Corrections []Correction
	// GeneratedAt is when the export was made; the caller passes its clock so
	// exports are reproducible in tests. Zero means now.
	GeneratedAt time.Time
}

// Person is the subject of the record, as the practice knows them.
type Person struct {
	ID            string // Tūhono's patient id; only used to derive stable FHIR ids
	NHI           string // National Health Index number, e.g. ZZZ0016
	GivenNames    string
	FamilyName    string
	PreferredName string
	BirthDate     time.Time // date only; the zone is ignored
	// Gender is a FHIR administrative gender: female, male, other or unknown.
	Gender string
	// Ethnicities are HISO 10001:2017 level 4 codes (5 digits), up to six.
	Ethnicities []string
	Practice    Practice
}

// FullName is the name to address the person by on paper.
func (p Person) FullName() string {
	return joinNonEmpty(" ", p.GivenNames, p.FamilyName)
}

// Practice is the general practice the person is enrolled with; it heads
// letters and is the managing organisation in the bundle.
type Practice struct {
	ID      string
	Name    string
	HPIOrg  string   // HPI organisation id (G00001-A), if known
	Address []string // lines, top to bottom
	Phone   string
	Email   string
}

// Practitioner is a member of the team as they appear on a record: a name and
// a role (HIP, Health Coach, Support Worker, GP…).
type Practitioner struct {
	Name string
	Role string
	HPI  string // HPI common person number (CPN), if known
}

// Session is one appointment or contact with the person.
type Session struct {
	ID           string
	Start, End   time.Time
	Mode         string // in_person, phone, video, community
	ServiceLine  string // e.g. "Health Improvement Practitioner"
	Practitioner Practitioner
	Status       string // booked, arrived, in_session, completed, did_not_attend, cancelled
}

// Field is one labelled part of a note, in the order the template shows it.
type Field struct {
	Label string
	Value string
}

// Addendum is a change after signing: the signed note itself never changes.
type Addendum struct {
	Author Practitioner
	At     time.Time
	Reason string
	Text   string
}

// Note is a session note. A zero SignedAt means a draft.
type Note struct {
	ID             string
	SessionID      string // empty for a referral contact with no session
	Author         Practitioner
	SignedAt       time.Time
	Kind           string // template: hip, health_coach, support_worker
	Fields         []Field
	Addenda        []Addendum
	EnteredInError bool
}

// Signed reports whether the note has been signed (and so is locked).
func (n Note) Signed() bool { return !n.SignedAt.IsZero() }

// Score is the total of one outcome measure.
type Score struct {
	ID        string
	SessionID string // empty when taken outside a session
	Kind      string // k10, phq9, gad7, usefulness
	Total     int
	Band      string // e.g. "moderate"
	At        time.Time
}

// Handover is the short note to the GP written with a session note.
type Handover struct {
	ID        string
	SessionID string
	To        Practitioner // the GP
	From      Practitioner
	Text      string
	SentAt    time.Time
	ReadAt    time.Time // zero until the GP opens it
}

// Correction is a statement of correction the person asked to be attached to
// their record (HIPC rule 7), with everyone the disputed information had been
// disclosed to and so must be told of it.
type Correction struct {
	ID          string
	Statement   string
	At          time.Time
	DisclosedTo []string
}

// HandoverLetter is the handover printed as a one-page letter to the GP.
type HandoverLetter struct {
	Practice Practice
	Person   Person
	Handover Handover
	// Date is the date the letter carries; zero means the handover's sent time.
	Date time.Time
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}
