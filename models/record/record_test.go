package record

import (
	"time"
)

// The test person carries macrons in every name so a lost glyph shows.
func sampleRecord() Record {
	nz := time.FixedZone("NZDT", 13*3600)
	at := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, nz) }
	hip := Practitioner{Name: "Mere Tūhoe", Role: "Health Improvement Practitioner"}
	coach := Practitioner{Name: "Sam Lee", Role: "Health Coach"}
	gp := Practitioner{Name: "Dr Ānaru Pōtae", Role: "GP"}
	return Record{
		Person: Person{
			ID: "p-1", NHI: "ZZZ0016", GivenNames: "Aroha Mīria", FamilyName: "Ngātai",
			PreferredName: "Ro", BirthDate: time.Date(1990, 5, 15, 0, 0, 0, 0, time.UTC),
			Gender: "female", Ethnicities: []string{"21111", "11111"},
			Practice: Practice{ID: "pr-1", Name: "Ōtaki Medical Centre", HPIOrg: "G00001-G",
				Address: []string{"2 Aotaki Street", "Ōtaki 5512"}, Phone: "06 364 0000"},
		},
		Sessions: []Session{
			{ID: "s-1", Start: at(3, 10), End: at(3, 10).Add(30 * time.Minute), Mode: "in_person",
				ServiceLine: "Health Improvement Practitioner", Practitioner: hip, Status: "completed"},
			{ID: "s-2", Start: at(10, 14), End: at(10, 14).Add(30 * time.Minute), Mode: "video",
				ServiceLine: "Health Coaching", Practitioner: coach, Status: "did_not_attend"},
		},
		Notes: []Note{
			{ID: "n-1", SessionID: "s-1", Author: hip, SignedAt: at(3, 11), Kind: "hip",
				Fields: []Field{
					{Label: "What matters to the person", Value: "Getting back to waka ama with her whānau."},
					{Label: "Plan and goals", Value: "Sleep routine; paddle twice a week.\nReview in two weeks."},
				},
				Addenda: []Addendum{{Author: hip, At: at(4, 9), Reason: "Follow-up call", Text: "Rang Aroha: sleeping better."}}},
			{ID: "n-2", SessionID: "s-1", Author: coach, SignedAt: at(3, 12), Kind: "health_coach", EnteredInError: true,
				Fields: []Field{{Label: "Goals", Value: "Wrong person (entered in error)."}}},
		},
		Scores: []Score{
			{ID: "sc-1", SessionID: "s-1", Kind: "k10", Total: 27, Band: "moderate", At: at(3, 10)},
			{ID: "sc-2", SessionID: "s-1", Kind: "phq9", Total: 11, Band: "moderate", At: at(3, 10)},
			{ID: "sc-3", Kind: "gad7", Total: 6, Band: "mild", At: at(12, 9)},
			{ID: "sc-4", SessionID: "s-1", Kind: "usefulness", Total: 9, At: at(3, 10)},
		},
		Handovers: []Handover{{ID: "h-1", SessionID: "s-1", To: gp, From: hip,
			Text:   "Seen for low mood and poor sleep. K10 27. Plan agreed; please review sleep medication.",
			SentAt: at(3, 11), ReadAt: at(3, 16)}},
		Corrections: []Correction{{ID: "c-1", Statement: "My iwi is Ngāti Raukawa, not Ngāti Toa.",
			At: at(20, 9), DisclosedTo: []string{"Ōtaki Medical Centre PMS", "Te Whatu Ora referral service"}}},
		GeneratedAt: time.Date(2026, 3, 21, 1, 30, 0, 0, time.UTC),
	}
}
