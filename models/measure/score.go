// Package measure scores the outcome measures HIPs and Health Coaches use:
// K10, PHQ-9, GAD-7 and the session usefulness question. Scoring is here and
// only here, item by item, so a stored score is always the sum of validated
// items and a report can trust it.
package measure

import (
	"fmt"

	"github.com/tuhono/tuhono/models/fault"
)

// Kind names an instrument.
type Kind string

const (
	K10        Kind = "k10"        // Kessler Psychological Distress Scale: 10 items, 1–5 each, total 10–50
	PHQ9       Kind = "phq9"       // Patient Health Questionnaire-9: 9 items, 0–3 each, total 0–27
	GAD7       Kind = "gad7"       // Generalised Anxiety Disorder-7: 7 items, 0–3 each, total 0–21
	Usefulness Kind = "usefulness" // "How useful was this session today?": one item, 0–10
)

// Instrument is an instrument's shape and its bands.
type Instrument struct {
	Kind     Kind
	Name     string
	Items    int
	Min, Max int // per item
	Bands    []Band
}

// Band is a named range of totals, inclusive.
type Band struct {
	From, To int
	Label    string
}

// Instruments are the measures offered, in the order forms show them.
var Instruments = []Instrument{
	{Kind: K10, Name: "K10", Items: 10, Min: 1, Max: 5, Bands: []Band{
		{10, 15, "low"}, {16, 21, "moderate"}, {22, 29, "high"}, {30, 50, "very high"}}},
	{Kind: PHQ9, Name: "PHQ-9", Items: 9, Min: 0, Max: 3, Bands: []Band{
		{0, 4, "minimal"}, {5, 9, "mild"}, {10, 14, "moderate"}, {15, 19, "moderately severe"}, {20, 27, "severe"}}},
	{Kind: GAD7, Name: "GAD-7", Items: 7, Min: 0, Max: 3, Bands: []Band{
		{0, 4, "minimal"}, {5, 9, "mild"}, {10, 14, "moderate"}, {15, 21, "severe"}}},
	{Kind: Usefulness, Name: "Usefulness of the session", Items: 1, Min: 0, Max: 10},
}

// Lookup returns the instrument of kind.
func Lookup(k Kind) (Instrument, bool) {
	for _, in := range Instruments {
		if in.Kind == k {
			return in, true
		}
	}
	return Instrument{}, false
}

// Score is a scored, validated set of answers.
type Score struct {
	Kind  Kind
	Items []int
	Total int
	Band  string // "" for usefulness
	// RiskAlert: PHQ-9 item 9 (thoughts of being better off dead or of
	// self-harm) answered above 0. The clinician must see it at once,
	// whatever the total.
	RiskAlert bool
}

// Calculate validates every item and scores them. Each missing, extra or
// out-of-range item is reported by its number.
func Calculate(k Kind, items []int) (Score, error) {
	in, ok := Lookup(k)
	if !ok {
		return Score{}, fault.InvalidField("kind", "choose K10, PHQ-9, GAD-7 or usefulness")
	}
	var f fault.Fields
	if len(items) != in.Items {
		f.Add("items", fmt.Sprintf("%s has %d items; %d were given", in.Name, in.Items, len(items)))
		return Score{}, f.Err()
	}
	total := 0
	for i, v := range items {
		if v < in.Min || v > in.Max {
			f.Add(fmt.Sprintf("items[%d]", i+1), fmt.Sprintf("item %d is answered %d to %d", i+1, in.Min, in.Max))
		}
		total += v
	}
	if err := f.Err(); err != nil {
		return Score{}, err
	}
	s := Score{Kind: k, Items: append([]int(nil), items...), Total: total}
	for _, b := range in.Bands {
		if total >= b.From && total <= b.To {
			s.Band = b.Label
		}
	}
	s.RiskAlert = k == PHQ9 && items[8] > 0
	return s, nil
}
