package report

// Kind is what sort of figure a metric is; protection treats each sort its
// own way (protect package).
type Kind string

const (
	// People: a count of distinct people. Suppressed below the contract's
	// threshold, otherwise randomly rounded.
	People Kind = "people"
	// Events: a count of sessions, appointments or referrals. Suppressed when
	// the people behind it are below the threshold, otherwise rounded.
	Events Kind = "events"
	// Rate: Num ÷ Den as a fraction. Never shown when its numerator would be
	// suppressed.
	Rate Kind = "rate"
	// Mean and Median: of a per-person value; not shown when the people
	// behind it are below the threshold.
	Mean   Kind = "mean"
	Median Kind = "median"
)

// What counts as a session, said once for every metric that counts them.
const sessionRule = "A session is an appointment of the service line marked completed. A group session counts once for each person attending it. Held, booked, cancelled and did-not-attend appointments are not sessions."

// Metric is one measure, defined in one place: Compute computes it, export
// writes its definition into the data dictionary, and the funders' metric
// page shows it.
type Metric struct {
	ID          string
	Name        string
	Kind        Kind
	Definition  string
	Numerator   string
	Denominator string // "" for counts
	Session     string // what counts as a session, where sessions are counted
	// Dims are the breakdowns the metric is computed for besides its total.
	Dims []string
	// Lines: the service lines it applies to (nil: every line and all lines).
	Lines []string
	// Benchmark is shown beside the figure (e.g. the pilot's 500–600 new
	// people per FTE per year); "" for none.
	Benchmark string
	Unit      string // "", "%", "days", "score", "per FTE-year"
	// Of is, for a rate, mean or median, the count metric its numerator is
	// (or the count of people behind it): where that count's cell is
	// suppressed, this figure is not shown either.
	Of string
}

// Dimension is a breakdown of a metric into groups.
type Dimension struct {
	ID     string
	Name   string
	Groups []Group
	// Additive: every person falls in exactly one group, so the groups sum
	// to the total (what complementary suppression relies on). Total-response
	// ethnicity is not additive.
	Additive bool
	Rule     string
}

// Group is one group of a breakdown.
type Group struct{ ID, Label string }

// Breakdown dimension IDs.
const (
	DimEthnicity     = "ethnicity"
	DimEthnicityAll  = "ethnicity_total"
	DimAgeBand       = "age_band"
	DimYouth         = "youth"
	DimGender        = "gender"
	DimNZDep         = "nzdep"
	DimHighNeeds     = "high_needs"
	DimMode          = "mode"
	DimKind          = "kind"
	DimPractice      = "practice" // used by the equity and trend views, not a Cell Dim
	personAttributes = "The person's details as recorded at their first session (or first introduction, referral or score) in the period."
)

var ethnicGroups = []Group{{"maori", "Māori"}, {"pacific", "Pacific"}, {"asian", "Asian"},
	{"melaa", "Middle Eastern, Latin American, African"}, {"other", "Other"}, {"european", "European"},
	{"unknown", "Not stated"}}

// Dimensions is every breakdown, in display order.
var Dimensions = []Dimension{
	{DimEthnicity, "Ethnicity (prioritised)", ethnicGroups, true,
		"HISO 10001:2017 prioritised output: one group per person, Māori > Pacific > Asian > MELAA > Other > European; residual codes (94–99) are Not stated. " + personAttributes},
	{DimEthnicityAll, "Ethnicity (total response)", ethnicGroups, false,
		"HISO 10001:2017 total response: a person counts in every level 1 group they identify with, so groups sum to more than the total. Only where the contract asks for it. " + personAttributes},
	{DimAgeBand, "Age band (PHO capitation)", []Group{{"00-04", "0–4"}, {"05-14", "5–14"}, {"15-24", "15–24"},
		{"25-44", "25–44"}, {"45-64", "45–64"}, {"65+", "65 and over"}}, true,
		"Age in whole years at the person's first session (or first introduction) in the period, in the PHO capitation bands."},
	{DimYouth, "Youth (12–24)", []Group{{"yes", "Aged 12–24"}, {"no", "Other ages"}}, true,
		"Aged 12 to 24 at the person's first session (or first introduction) in the period: a person who turns 25 later in the period still counts as youth."},
	{DimGender, "Gender", []Group{{"female", "Female"}, {"male", "Male"}, {"another", "Another gender"}, {"unknown", "Not stated"}}, true,
		personAttributes},
	{DimNZDep, "NZDep quintile", []Group{{"1", "Quintile 1 (least deprived)"}, {"2", "Quintile 2"}, {"3", "Quintile 3"},
		{"4", "Quintile 4"}, {"5", "Quintile 5 (most deprived)"}, {"unknown", "Not known"}}, true,
		"NZDep2023 quintile of the person's address (deciles 1–2 are quintile 1 … 9–10 quintile 5). " + personAttributes},
	{DimHighNeeds, "High needs", []Group{{"yes", "High needs"}, {"no", "Not high needs"}}, true,
		"High needs: Māori, Pacific, or NZDep quintile 5."},
	{DimMode, "Mode", []Group{{"in_person", "In person"}, {"phone", "Phone"}, {"video", "Video"}, {"community", "In the community"}}, true,
		"How the session was delivered. Sessions only."},
	{DimKind, "Kind of appointment", []Group{{"booked", "Booked ahead"}, {"same_day", "Same day"}, {"group", "Group"}}, true,
		"Booked ahead, same day (including warm handovers) or a group session. Sessions only."},
}

// DimensionByID returns a dimension and whether it exists.
func DimensionByID(id string) (Dimension, bool) {
	for _, d := range Dimensions {
		if d.ID == id {
			return d, true
		}
	}
	return Dimension{}, false
}

// people breakdowns: what every count of people and events is broken down by.
var personDims = []string{DimEthnicity, DimEthnicityAll, DimAgeBand, DimYouth, DimGender, DimNZDep, DimHighNeeds}

// Metric IDs.
const (
	MSessions          = "sessions"
	MPeopleSeen        = "people_seen"
	MNewPeople         = "new_people"
	MFollowUps         = "follow_up_sessions"
	MIntroduced        = "introduced"
	MIntroducedSeen    = "introduced_seen"
	MAccessConversion  = "access_conversion"
	MSeenSameDay       = "seen_same_day"
	MSeenSameDayRate   = "seen_same_day_rate"
	MSeenWithin7       = "seen_within_7_days"
	MSeenWithin7Rate   = "seen_within_7_days_rate"
	MMedianDays        = "median_days_to_first_session"
	MDNA               = "did_not_attend"
	MDNARate           = "dna_rate"
	MSessionsPerPerson = "sessions_per_person"
	MNewPerFTE         = "new_people_per_fte_year"
	MFTE               = "fte_years"
	MEnrolled          = "enrolled"
	MPenetration       = "penetration"
	MUsefulnessMean    = "usefulness_mean"
	MUsefulnessCount   = "usefulness_responses"
	MK10People         = "k10_people"
	MK10Change         = "k10_change"
	MReferrals         = "sw_referrals"
	MReferralsInTarget = "sw_contacted_within_target"
	MReferralsRate     = "sw_contacted_within_target_rate"
	MCaseload          = "sw_active_caseload"
	MEpisodesClosed    = "sw_episodes_closed"
)

var sw = []string{LineSupportWorker}

// Metrics is the whole catalogue, in the order reports show it.
var Metrics = []Metric{
	{ID: MSessions, Name: "Sessions delivered", Kind: Events,
		Definition: "Completed sessions in the period.", Numerator: "Completed sessions whose local date falls in the period.",
		Session: sessionRule, Dims: append([]string{DimMode, DimKind}, personDims...)},
	{ID: MPeopleSeen, Name: "People seen", Kind: People,
		Definition: "Distinct people with at least one completed session in the period.",
		Numerator:  "People with one or more sessions. A person seen by two service lines counts once in all service lines.",
		Session:    sessionRule, Dims: personDims},
	{ID: MNewPeople, Name: "New people", Kind: People,
		Definition: "People whose first session in the period had no completed session of the same service line at the same practice in the 12 months before it.",
		Numerator:  "People seen who are new to the service line at the practice in the last 12 months.", Session: sessionRule, Dims: personDims},
	{ID: MFollowUps, Name: "Follow-up sessions", Kind: Events,
		Definition: "Sessions that are not a new person's first session: sessions delivered less new people.",
		Numerator:  "Sessions delivered − new people.", Session: sessionRule, Dims: personDims},
	{ID: MIntroduced, Name: "People introduced", Kind: People,
		Definition: "Distinct people introduced in the period: a warm handover by a GP or nurse (booked straight in or queued), a same-day request, or a referral to a Support Worker.",
		Numerator:  "People with an introduction (handover, same-day request or Support Worker referral) dated in the period.", Dims: personDims},
	{ID: MIntroducedSeen, Name: "Introduced people seen", Kind: People,
		Definition: "People introduced in the period who had a completed session of that service line (for Support Workers: a first contact) on or after their first introduction in the period, up to when the report's data was read.",
		Numerator:  "Introduced people later seen.", Session: sessionRule, Dims: personDims},
	{ID: MAccessConversion, Of: MIntroducedSeen, Name: "Access conversion", Kind: Rate, Unit: "%",
		Definition: "The share of people introduced who were seen (access in the sense of introduced → seen; not coverage or penetration).",
		Numerator:  "Introduced people seen.", Denominator: "People introduced.", Benchmark: "Pilot: above 90%", Dims: personDims},
	{ID: MSeenSameDay, Name: "Seen the same day", Kind: People,
		Definition: "People introduced in the period whose first session after the introduction was on the same local day.",
		Numerator:  "Introduced people first seen on the day of their introduction.", Session: sessionRule, Dims: personDims},
	{ID: MSeenSameDayRate, Of: MSeenSameDay, Name: "Seen the same day (share)", Kind: Rate, Unit: "%",
		Definition: "The share of people introduced who were seen on the day of their introduction.",
		Numerator:  "People seen the same day.", Denominator: "People introduced.", Benchmark: "Model of care: at least half", Dims: personDims},
	{ID: MSeenWithin7, Name: "Seen within 7 days", Kind: People,
		Definition: "People introduced in the period whose first session after the introduction was no more than 7 local days after it (a session exactly 7 days later counts).",
		Numerator:  "Introduced people first seen within 7 days.", Session: sessionRule, Dims: personDims},
	{ID: MSeenWithin7Rate, Of: MSeenWithin7, Name: "Seen within 7 days (share)", Kind: Rate, Unit: "%",
		Definition: "The national target: the share of people introduced (referred) who were seen within one week of the introduction. Introduction and first session are recorded separately; the first session is when it started (or was planned to start, if no start was recorded).",
		Numerator:  "People seen within 7 days.", Denominator: "People introduced.", Benchmark: "National target: 80%", Dims: personDims},
	{ID: MMedianDays, Of: MIntroducedSeen, Name: "Median days from introduction to first session", Kind: Median, Unit: "days",
		Definition: "The median of local days from each introduced person's first introduction in the period to their first session after it, for people seen.",
		Numerator:  "Days from introduction to first session, per person seen.", Dims: []string{DimEthnicity, DimHighNeeds}},
	{ID: MDNA, Name: "Did not attend", Kind: Events,
		Definition: "Appointments in the period the person did not attend.", Numerator: "Appointments marked did not attend.", Dims: personDims},
	{ID: MDNARate, Of: MDNA, Name: "DNA rate", Kind: Rate, Unit: "%",
		Definition: "The share of appointments that were not attended.",
		Numerator:  "Appointments not attended.", Denominator: "Sessions delivered + appointments not attended.", Dims: personDims},
	{ID: MSessionsPerPerson, Of: MPeopleSeen, Name: "Sessions per person", Kind: Mean,
		Definition: "Sessions delivered ÷ people seen.", Numerator: "Sessions delivered.", Denominator: "People seen.",
		Session: sessionRule, Dims: personDims},
	{ID: MFTE, Name: "Working FTE-years", Kind: Mean, Unit: "FTE-years",
		Definition: "Funded practitioner time actually worked in the period, in FTE-years: the sum over practitioners of FTE × working days in the period net of their leave, ÷ 250. Working days are Monday to Friday less New Zealand's national public holidays (observed days); regional anniversary days are recorded as leave.",
		Numerator:  "Σ FTE × working days net of leave.", Denominator: "250 working days per year."},
	{ID: MNewPerFTE, Of: MNewPeople, Name: "New people per FTE per year", Kind: Rate, Unit: "per FTE-year",
		Definition: "New people ÷ working FTE-years: annualised and leave-adjusted, so a quarter, a part-time practitioner or a month with leave compares with a full year.",
		Numerator:  "New people.", Denominator: "Working FTE-years.", Benchmark: "Pilot: 500–600 per FTE per year"},
	{ID: MEnrolled, Name: "Enrolled population", Kind: People,
		Definition: "People enrolled with the practices, from the PHO capitation register loaded for the period's quarter (or the latest loaded before it).",
		Numerator:  "Enrolled people.", Dims: []string{DimEthnicity, DimAgeBand, DimGender, DimNZDep, DimHighNeeds}, Lines: []string{LineAll}},
	{ID: MPenetration, Of: MPeopleSeen, Name: "Penetration", Kind: Rate, Unit: "%",
		Definition: "People seen ÷ enrolled population (access in the sense of penetration; not conversion or coverage).",
		Numerator:  "People seen.", Denominator: "Enrolled population.", Dims: []string{DimEthnicity, DimAgeBand, DimGender, DimNZDep, DimHighNeeds}},
	{ID: MUsefulnessMean, Of: MUsefulnessCount, Name: "Usefulness score", Kind: Mean, Unit: "score",
		Definition: "The mean answer (0–10) to \"How useful was this service today?\" recorded in the period.",
		Numerator:  "Sum of usefulness answers.", Denominator: "Usefulness answers.", Benchmark: "Pilot: above 9", Dims: []string{DimEthnicity, DimHighNeeds}},
	{ID: MUsefulnessCount, Name: "Usefulness answers", Kind: Events,
		Definition: "Usefulness answers recorded in the period.", Numerator: "Answers.", Dims: []string{DimEthnicity, DimHighNeeds}},
	{ID: MK10People, Name: "People with two or more K10 scores", Kind: People,
		Definition: "People with at least two K10 scores recorded in the period.", Numerator: "People.", Dims: []string{DimEthnicity, DimHighNeeds}},
	{ID: MK10Change, Of: MK10People, Name: "K10 change, first to last", Kind: Mean, Unit: "score",
		Definition: "For people with two or more K10 scores in the period, the mean of (last score − first score); a fall is improvement.",
		Numerator:  "Σ (last K10 − first K10).", Denominator: "People with two or more K10 scores.", Dims: []string{DimEthnicity, DimHighNeeds}},
	{ID: MReferrals, Name: "Support Worker referrals", Kind: Events, Lines: sw,
		Definition: "Referrals to a Support Worker made in the period.", Numerator: "Referrals.", Dims: personDims},
	{ID: MReferralsInTarget, Name: "Contacted within target", Kind: Events, Lines: sw,
		Definition: "Referrals made in the period whose first contact was made by the end of their due day (the practice's contact target).",
		Numerator:  "Referrals contacted by their due day.", Dims: personDims},
	{ID: MReferralsRate, Of: MReferralsInTarget, Name: "Contacted within target (share)", Kind: Rate, Unit: "%", Lines: sw,
		Definition: "The share of referrals made in the period that were contacted within target.",
		Numerator:  "Referrals contacted within target.", Denominator: "Referrals made.", Dims: personDims},
	{ID: MCaseload, Name: "Active caseload", Kind: People, Lines: sw,
		Definition: "People with a Support Worker episode open (referred, accepted or active, not closed) at the end of the period.",
		Numerator:  "People with an open episode on the period's last day.", Dims: personDims},
	{ID: MEpisodesClosed, Name: "Episodes closed", Kind: Events, Lines: sw,
		Definition: "Support Worker episodes closed in the period, whatever their outcome.", Numerator: "Episodes closed.", Dims: personDims},
}

// MetricByID returns a metric and whether it exists.
func MetricByID(id string) (Metric, bool) {
	if m := metricRef(id); m != nil {
		return *m, true
	}
	return Metric{}, false
}

// metricIndex is each metric's place in Metrics by ID: reports look a metric
// up for each of hundreds of thousands of cells.
var metricIndex = func() map[string]int {
	out := make(map[string]int, len(Metrics))
	for i, m := range Metrics {
		out[m.ID] = i
	}
	return out
}()

// metricRef is the catalogue's metric with this ID, nil when none.
func metricRef(id string) *Metric {
	if i, ok := metricIndex[id]; ok {
		return &Metrics[i]
	}
	return nil
}
