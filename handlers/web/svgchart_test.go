package web

import (
	"encoding/xml"
	"errors"
	"html/template"
	"io"
	"strings"
	"testing"
)

// svgShape is what a chart is made of, read back with encoding/xml: if the
// markup is not well-formed XML the decoder fails.
type svgShape struct {
	rects      int
	barRects   int // data bars (the legend's swatches excluded by their y)
	texts      []string
	tips       []string
	title      string
	role       string
	labelledBy string
}

func readSVG(t *testing.T, h template.HTML) svgShape {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(h)))
	var s svgShape
	var stack []string
	var texts []*strings.Builder // the character data of each open element
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, h)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
			switch e.Name.Local {
			case "svg":
				for _, a := range e.Attr {
					switch a.Name.Local {
					case "role":
						s.role = a.Value
					case "aria-labelledby":
						s.labelledBy = a.Value
					case "style":
						t.Errorf("style attribute in a chart: the CSP forbids it")
					}
				}
			case "rect":
				s.rects++
				for _, a := range e.Attr {
					if a.Name.Local == "style" || a.Name.Local == "fill" {
						t.Errorf("rect with %s: colours come from classes", a.Name.Local)
					}
					if a.Name.Local == "y" && a.Value != "10.0" {
						s.barRects++
					}
				}
			}
			texts = append(texts, &strings.Builder{})
		case xml.CharData:
			if len(texts) > 0 {
				texts[len(texts)-1].Write(e)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			text := texts[len(texts)-1].String()
			texts = texts[:len(texts)-1]
			switch e.Name.Local {
			case "title":
				if len(stack) == 1 {
					s.title = text
				} else {
					s.tips = append(s.tips, text)
				}
			case "text":
				s.texts = append(s.texts, strings.TrimSpace(text))
			}
		}
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed elements %v", stack)
	}
	return s
}

func hasText(s svgShape, want string) bool {
	for _, x := range s.texts {
		if x == want {
			return true
		}
	}
	return false
}

func TestSVGBarsDrawsPublishedFigures(t *testing.T) {
	c := Chart{ID: "trend", Title: "Sessions by month", Suppressed: "suppressed: fewer than 6 people"}
	bars := []Bar{{"Jul", "120"}, {"Aug", "S"}, {"Sep", "1,050"}, {"Oct", ""}}
	s := readSVG(t, Bars(c, bars))
	if s.role != "img" || s.labelledBy != "trend-title trend-desc" || s.title != "Sessions by month" {
		t.Errorf("accessible name: role %q labelledby %q title %q", s.role, s.labelledBy, s.title)
	}
	// Two drawable figures: two bars. "S" and "" draw none.
	if s.barRects != 2 {
		t.Errorf("bars = %d, want 2", s.barRects)
	}
	for _, want := range []string{"S", "–", "120", "1,050", "Jul", "Oct"} {
		if !hasText(s, want) {
			t.Errorf("no label %q in %v", want, s.texts)
		}
	}
	found := false
	for _, tip := range s.tips {
		found = found || tip == "suppressed: fewer than 6 people"
	}
	if !found {
		t.Errorf("the S has no tooltip with its reason: %v", s.tips)
	}
	// The scale tops out at a round number above the largest figure (1,050).
	if !hasText(s, "2000") {
		t.Errorf("axis %v, want a top of 2000", s.texts)
	}
}

func TestSVGEscapesLabels(t *testing.T) {
	evil := `<script>alert("x")</script> & 'Ōtāhuhu'`
	c := Chart{ID: `x"><script>`, Title: evil, Suppressed: evil}
	for name, h := range map[string]template.HTML{
		"bars":   Bars(c, []Bar{{evil, "5"}, {evil, "S"}}),
		"hbars":  HBars(c, []Bar{{evil, "70%"}}, 0.8, evil),
		"paired": PairedBars(c, [2]string{evil, evil}, []Pair{{evil, "10%", "S"}}),
	} {
		if strings.Contains(string(h), "<script>") {
			t.Errorf("%s: label not escaped:\n%s", name, h)
		}
		s := readSVG(t, h)
		if s.title != evil {
			t.Errorf("%s: title %q, want the label back intact", name, s.title)
		}
	}
}

func TestSVGHBarsTargetLine(t *testing.T) {
	c := Chart{ID: "w7", Title: "Seen within 7 days", Suppressed: "suppressed"}
	h := HBars(c, []Bar{{"Practice A", "85%"}, {"Practice B", "62.5%"}, {"A practice with a very long name indeed", "S"}}, 0.8, "Target")
	s := readSVG(t, h)
	if s.barRects != 2 {
		t.Errorf("bars = %d, want 2 (the S draws none)", s.barRects)
	}
	if !strings.Contains(string(h), `class="chart-target"`) || !hasText(s, "Target 80%") {
		t.Errorf("no target line labelled 80%%: %v", s.texts)
	}
	// Below target gets a second cue besides the line.
	if strings.Count(string(h), "chart-below") != 1 {
		t.Errorf("want exactly one bar marked below target:\n%s", h)
	}
	if !hasText(s, "A practice with a very lo…") {
		t.Errorf("long label not shortened: %v", s.texts)
	}
	// The bar of 85% reaches 85% of the plot (380 units wide from x=200).
	if !strings.Contains(string(h), `x="200.0" y="32.0" width="323.0"`) {
		t.Errorf("85%% bar not at 323 units:\n%s", h)
	}
}

func TestSVGPairedBars(t *testing.T) {
	c := Chart{ID: "eth", Title: "Ethnicity", Suppressed: "suppressed"}
	pairs := []Pair{{"Māori", "30%", "20%"}, {"Pacific", "S", "8%"}, {"European", "55%", "60%"}}
	s := readSVG(t, PairedBars(c, [2]string{"People seen", "Enrolled"}, pairs))
	// Five drawable figures, plus the two legend swatches (not counted).
	if s.barRects != 5 || s.rects != 7 {
		t.Errorf("bars %d rects %d, want 5 and 7", s.barRects, s.rects)
	}
	for _, want := range []string{"People seen", "Enrolled", "S", "Māori", "30%"} {
		if !hasText(s, want) {
			t.Errorf("no %q in %v", want, s.texts)
		}
	}
}

func TestSVGNoData(t *testing.T) {
	c := Chart{ID: "none", Title: "Sessions by month"}
	for name, h := range map[string]template.HTML{
		"bars nil":    Bars(c, nil),
		"bars zeros":  Bars(c, []Bar{{"Jul", "0"}, {"Aug", ""}}),
		"hbars nil":   HBars(c, nil, 0.8, "Target"),
		"paired none": PairedBars(c, [2]string{"a", "b"}, []Pair{{"Māori", "", ""}}),
	} {
		s := readSVG(t, h)
		if s.rects != 0 || !hasText(s, "No data for this period") || s.title != "Sessions by month" {
			t.Errorf("%s: want an explicit no-data chart, got %d rects, texts %v", name, s.rects, s.texts)
		}
	}
	// A suppressed figure is data: it is shown, not hidden behind "no data".
	if s := readSVG(t, Bars(c, []Bar{{"Jul", "S"}})); !hasText(s, "S") || hasText(s, "No data for this period") {
		t.Errorf("an all-suppressed chart must show its S: %v", s.texts)
	}
}

func TestSVGDrawable(t *testing.T) {
	for in, want := range map[string]float64{"1,204": 1204, "83%": 0.83, "83.5%": 0.835, "9.2": 9.2, "-3.1": 0, "512 per FTE-year": 512} {
		if got, ok := drawable(in); !ok || got < want-1e-9 || got > want+1e-9 {
			t.Errorf("drawable(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"S", "", "–", "n/a"} {
		if _, ok := drawable(in); ok {
			t.Errorf("drawable(%q) draws a bar", in)
		}
	}
}
