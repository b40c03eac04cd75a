package measure_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/measure"
)

func fill(n, v int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// withTotal makes n items between lo and hi summing to total.
func withTotal(n, lo, hi, total int) []int {
	out := fill(n, lo)
	rest := total - n*lo
	for i := range out {
		add := min(rest, hi-lo)
		out[i] += add
		rest -= add
	}
	return out
}

func TestScoringTables(t *testing.T) {
	cases := []struct {
		kind  measure.Kind
		items []int
		total int
		band  string
		alert bool
	}{
		// K10: 10–50, bands at 15/16, 21/22, 29/30.
		{measure.K10, fill(10, 1), 10, "low", false},
		{measure.K10, withTotal(10, 1, 5, 15), 15, "low", false},
		{measure.K10, withTotal(10, 1, 5, 16), 16, "moderate", false},
		{measure.K10, withTotal(10, 1, 5, 21), 21, "moderate", false},
		{measure.K10, withTotal(10, 1, 5, 22), 22, "high", false},
		{measure.K10, withTotal(10, 1, 5, 29), 29, "high", false},
		{measure.K10, withTotal(10, 1, 5, 30), 30, "very high", false},
		{measure.K10, fill(10, 5), 50, "very high", false},
		// PHQ-9: 0–27, bands at 4/5, 9/10, 14/15, 19/20; item 9 alerts.
		{measure.PHQ9, fill(9, 0), 0, "minimal", false},
		{measure.PHQ9, withTotal(9, 0, 3, 4), 4, "minimal", false},
		{measure.PHQ9, withTotal(9, 0, 3, 5), 5, "mild", false},
		{measure.PHQ9, withTotal(9, 0, 3, 9), 9, "mild", false},
		{measure.PHQ9, withTotal(9, 0, 3, 10), 10, "moderate", false},
		{measure.PHQ9, withTotal(9, 0, 3, 14), 14, "moderate", false},
		{measure.PHQ9, withTotal(9, 0, 3, 15), 15, "moderately severe", false},
		{measure.PHQ9, withTotal(9, 0, 3, 19), 19, "moderately severe", false},
		{measure.PHQ9, withTotal(9, 0, 3, 20), 20, "severe", false}, // items 8 and 9 stay 0
		{measure.PHQ9, fill(9, 3), 27, "severe", true},
		{measure.PHQ9, []int{0, 0, 0, 0, 0, 0, 0, 0, 1}, 1, "minimal", true}, // a low total still alerts
		{measure.PHQ9, []int{3, 3, 3, 3, 3, 3, 3, 3, 0}, 24, "severe", false},
		// GAD-7: 0–21, bands at 4/5, 9/10, 14/15.
		{measure.GAD7, fill(7, 0), 0, "minimal", false},
		{measure.GAD7, withTotal(7, 0, 3, 4), 4, "minimal", false},
		{measure.GAD7, withTotal(7, 0, 3, 5), 5, "mild", false},
		{measure.GAD7, withTotal(7, 0, 3, 9), 9, "mild", false},
		{measure.GAD7, withTotal(7, 0, 3, 10), 10, "moderate", false},
		{measure.GAD7, withTotal(7, 0, 3, 14), 14, "moderate", false},
		{measure.GAD7, withTotal(7, 0, 3, 15), 15, "severe", false},
		{measure.GAD7, fill(7, 3), 21, "severe", false},
		// Usefulness: one item, 0–10, no bands.
		{measure.Usefulness, []int{0}, 0, "", false},
		{measure.Usefulness, []int{10}, 10, "", false},
	}
	for _, c := range cases {
		s, err := measure.Calculate(c.kind, c.items)
		if err != nil {
			t.Errorf("%s %v: %v", c.kind, c.items, err)
			continue
		}
		if s.Total != c.total || s.Band != c.band || s.RiskAlert != c.alert {
			t.Errorf("%s %v: total %d band %q alert %v; want %d %q %v", c.kind, c.items, s.Total, s.Band, s.RiskAlert,
				c.total, c.band, c.alert)
		}
		if !slices.Equal(s.Items, c.items) {
			t.Errorf("%s: items %v, want %v", c.kind, s.Items, c.items)
		}
	}
}

func TestInvalidItems(t *testing.T) {
	cases := []struct {
		kind   measure.Kind
		items  []int
		fields []string
	}{
		{measure.K10, fill(10, 0), []string{"items[1]", "items[10]"}}, // K10 starts at 1
		{measure.K10, append(fill(9, 1), 6), []string{"items[10]"}},
		{measure.K10, fill(9, 1), []string{"items"}},
		{measure.PHQ9, append(fill(8, 0), 4), []string{"items[9]"}},
		{measure.PHQ9, append(fill(8, 0), -1), []string{"items[9]"}},
		{measure.PHQ9, fill(10, 0), []string{"items"}},
		{measure.GAD7, []int{0, 0, 0, 0, 0, 0, 9}, []string{"items[7]"}},
		{measure.GAD7, nil, []string{"items"}},
		{measure.Usefulness, []int{11}, []string{"items[1]"}},
		{measure.Usefulness, []int{5, 5}, []string{"items"}},
		{"dass21", []int{1}, []string{"kind"}},
	}
	for _, c := range cases {
		_, err := measure.Calculate(c.kind, c.items)
		var f *fault.Error
		if !errors.As(err, &f) || f.Kind != fault.KindInvalid {
			t.Errorf("%s %v: %v, want invalid", c.kind, c.items, err)
			continue
		}
		var got []string
		for _, fe := range f.Fields {
			got = append(got, fe.Field)
		}
		for _, want := range c.fields {
			if !slices.Contains(got, want) {
				t.Errorf("%s %v: fields %v, want %s among them", c.kind, c.items, got, want)
			}
		}
	}
}
