package note

import "github.com/tuhono/tuhono/models/fault"

// Kind is the workforce a note belongs to, which is its author's role.
type Kind string

const (
	KindHIP           Kind = "hip"
	KindHealthCoach   Kind = "health_coach"
	KindSupportWorker Kind = "support_worker"
)

// FieldKind is how a template field is entered.
type FieldKind string

const (
	FieldText   FieldKind = "text"   // free text, up to MaxFieldRunes
	FieldChoice FieldKind = "choice" // one of Choices
	FieldFlag   FieldKind = "flag"   // "yes" or "no"
)

// Field is one structured field of a template.
type Field struct {
	Key      string
	Label    string
	Kind     FieldKind
	Help     string
	Choices  []string // FieldChoice only
	Required bool     // must be filled before signing
}

// Template is the form of a role's note.
type Template struct {
	Kind   Kind
	Name   string
	Fields []Field
}

// RiskFlagField is the HIP template's risk flag: "yes" sets the note's
// clear-text risk flag so lists and the patient page can show it.
const RiskFlagField = "risk_flag"

// Templates are the note forms, one per workforce. The HIP form follows the
// brief, contextual (Primary Care Behavioural Health) consultation: what
// matters to the person, a brief formulation, and the tools given (e.g. fACT).
var Templates = []Template{
	{Kind: KindHIP, Name: "HIP session note", Fields: []Field{
		{Key: "what_matters", Label: "What matters to the person", Kind: FieldText, Required: true,
			Help: "In their words: what they want from today and from life."},
		{Key: "presenting_concern", Label: "Presenting concern", Kind: FieldText, Required: true},
		{Key: "formulation", Label: "Brief formulation", Kind: FieldText,
			Help: "Workability, context, strengths; a few lines."},
		{Key: "interventions", Label: "Interventions and tools given", Kind: FieldText,
			Help: "For example fACT (focused Acceptance and Commitment Therapy), behavioural activation, sleep hygiene."},
		{Key: "plan", Label: "Plan and goals", Kind: FieldText, Required: true},
		{Key: "risk_screen", Label: "Risk screen", Kind: FieldChoice, Required: true,
			Choices: []string{"not indicated", "screened: no current risk", "screened: risk identified"}},
		{Key: RiskFlagField, Label: "Risk flag", Kind: FieldFlag,
			Help: "Yes shows a risk flag on the person's record for the clinical team."},
		{Key: "follow_up", Label: "Follow-up", Kind: FieldChoice, Required: true,
			Choices: []string{"none needed", "follow-up booked", "handed back to GP", "referred to Support Worker", "referred to secondary services"}},
	}},
	{Kind: KindHealthCoach, Name: "Health Coach session note", Fields: []Field{
		{Key: "goals", Label: "Goals", Kind: FieldText, Required: true},
		{Key: "behaviour_change_plan", Label: "Behaviour change plan", Kind: FieldText, Required: true},
		{Key: "ltc_focus", Label: "Long-term condition focus", Kind: FieldChoice,
			Choices: []string{"none", "diabetes", "cardiovascular", "respiratory", "pain", "weight", "other"}},
		{Key: "links_to_gp_nurse", Label: "Links to GP or nurse", Kind: FieldText,
			Help: "What the GP or practice nurse should know or do."},
	}},
	{Kind: KindSupportWorker, Name: "Support Worker note", Fields: []Field{
		{Key: "needs_domains", Label: "Needs domains", Kind: FieldText, Required: true,
			Help: "Housing, income, whānau, employment, food, transport, social connection…"},
		{Key: "actions", Label: "Actions", Kind: FieldText, Required: true},
		{Key: "services_linked", Label: "Services linked", Kind: FieldText},
	}},
}

// TemplateOf returns the template of kind.
func TemplateOf(k Kind) (Template, bool) {
	for _, t := range Templates {
		if t.Kind == k {
			return t, true
		}
	}
	return Template{}, false
}

// KindFor chooses the note kind from the author's roles: a person who is
// both a HIP and a Health Coach writes as a HIP (the registered role).
func KindFor(roles []string) (Kind, error) {
	for _, k := range []Kind{KindHIP, KindHealthCoach, KindSupportWorker} {
		if hasRole(roles, string(k)) {
			return k, nil
		}
	}
	return "", fault.New(fault.KindForbidden, "only HIPs, Health Coaches and Support Workers write session notes", nil)
}

// TemplateFor returns the template the author's roles choose.
func TemplateFor(roles []string) (Template, error) {
	k, err := KindFor(roles)
	if err != nil {
		return Template{}, err
	}
	t, _ := TemplateOf(k)
	return t, nil
}

func hasRole(roles []string, r string) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}
