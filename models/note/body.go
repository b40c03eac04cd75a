package note

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tuhono/tuhono/models/text"

	"github.com/tuhono/tuhono/models/fault"
)

// Limits of a note's text, in runes.
const (
	MaxFieldRunes    = 10_000
	MaxFreeTextRunes = 50_000
)

// Body is what a note says: its template's fields by key, and free text.
// It exists in clear only in memory; stored, it is sealed.
type Body struct {
	Fields   map[string]string `json:"fields"`
	FreeText string            `json:"free_text"`
}

// FirstLine is a short preview for timelines: the first non-empty required
// text of the template, else the free text, cut at 120 runes.
func (b Body) FirstLine(t Template) string {
	s := b.FreeText
	for _, f := range t.Fields {
		if v := strings.TrimSpace(b.Fields[f.Key]); f.Kind == FieldText && v != "" {
			s = v
			break
		}
	}
	s = strings.TrimSpace(strings.SplitN(strings.TrimSpace(s), "\n", 2)[0])
	if utf8.RuneCountInString(s) > 120 {
		s = string([]rune(s)[:119]) + "…"
	}
	return s
}

// clean validates b against t and returns it NFC-normalised and trimmed,
// with empty fields dropped. Every bad field is reported at once.
func (b Body) clean(t Template) (Body, error) {
	var f fault.Fields
	known := map[string]Field{}
	for _, fl := range t.Fields {
		known[fl.Key] = fl
	}
	out := Body{Fields: map[string]string{}}
	for k, v := range b.Fields {
		fl, ok := known[k]
		if !ok {
			f.Add("fields."+k, "is not a field of the "+t.Name)
			continue
		}
		v, msg := text.Clean(v, MaxFieldRunes)
		if msg != "" {
			f.Add("fields."+k, msg)
			continue
		}
		switch fl.Kind {
		case FieldChoice:
			if v != "" && !slices.Contains(fl.Choices, v) {
				f.Add("fields."+k, "choose one of: "+strings.Join(fl.Choices, ", "))
			}
		case FieldFlag:
			if v != "" && v != "yes" && v != "no" {
				f.Add("fields."+k, `must be "yes" or "no"`)
			}
		}
		if v != "" {
			out.Fields[k] = v
		}
	}
	text, msg := text.Clean(b.FreeText, MaxFreeTextRunes)
	if msg != "" {
		f.Add("free_text", msg)
	}
	out.FreeText = text
	return out, f.Err()
}

// complete reports the required fields left empty, for signing.
func (b Body) complete(t Template) error {
	var f fault.Fields
	for _, fl := range t.Fields {
		if fl.Required && b.Fields[fl.Key] == "" {
			f.Add("fields."+fl.Key, fl.Label+" is needed before signing")
		}
	}
	return f.Err()
}

func (b Body) riskFlag() bool { return b.Fields[RiskFlagField] == "yes" }

func (b Body) marshal() ([]byte, error) { return json.Marshal(b) }

func unmarshalBody(p []byte) (Body, error) {
	var b Body
	if err := json.Unmarshal(p, &b); err != nil {
		return Body{}, fmt.Errorf("note body: %w", err)
	}
	if b.Fields == nil {
		b.Fields = map[string]string{}
	}
	return b, nil
}
