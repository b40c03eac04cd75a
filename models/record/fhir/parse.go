package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// Resource is any typed resource this package knows.
type Resource interface {
	Kind() string
}

// Kind names the resource, as resourceType does.
func (Patient) Kind() string           { return "Patient" }
func (Organization) Kind() string      { return "Organization" }
func (Practitioner) Kind() string      { return "Practitioner" }
func (Encounter) Kind() string         { return "Encounter" }
func (Observation) Kind() string       { return "Observation" }
func (Composition) Kind() string       { return "Composition" }
func (Communication) Kind() string     { return "Communication" }
func (DocumentReference) Kind() string { return "DocumentReference" }

// ParsedEntry is one bundle entry decoded into its typed resource.
type ParsedEntry struct {
	FullURL  string
	Resource Resource
}

// ParsedBundle is a bundle whose entries are typed resources.
type ParsedBundle struct {
	Type      string
	Timestamp string
	Entries   []ParsedEntry
}

// ParseBundle decodes a Bundle strictly: an element this package does not
// declare, or a resource type it does not know, is an error rather than being
// dropped, so a misspelt element name cannot pass unnoticed.
func ParseBundle(data []byte) (*ParsedBundle, error) {
	var raw struct {
		ResourceType string      `json:"resourceType"`
		ID           string      `json:"id,omitempty"`
		Identifier   *Identifier `json:"identifier,omitempty"`
		Type         string      `json:"type"`
		Timestamp    string      `json:"timestamp,omitempty"`
		Entry        []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry,omitempty"`
	}
	if err := strict(data, &raw); err != nil {
		return nil, fmt.Errorf("fhir.ParseBundle: %w", err)
	}
	if raw.ResourceType != "Bundle" {
		return nil, fmt.Errorf("fhir.ParseBundle: resourceType %q, want Bundle", raw.ResourceType)
	}
	out := &ParsedBundle{Type: raw.Type, Timestamp: raw.Timestamp}
	for i, e := range raw.Entry {
		res, err := parseResource(e.Resource)
		if err != nil {
			return nil, fmt.Errorf("fhir.ParseBundle: entry %d: %w", i, err)
		}
		out.Entries = append(out.Entries, ParsedEntry{FullURL: e.FullURL, Resource: res})
	}
	return out, nil
}

func parseResource(data json.RawMessage) (Resource, error) {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, err
	}
	var r Resource
	switch head.ResourceType {
	case "Patient":
		r = &Patient{}
	case "Organization":
		r = &Organization{}
	case "Practitioner":
		r = &Practitioner{}
	case "Encounter":
		r = &Encounter{}
	case "Observation":
		r = &Observation{}
	case "Composition":
		r = &Composition{}
	case "Communication":
		r = &Communication{}
	case "DocumentReference":
		r = &DocumentReference{}
	default:
		return nil, fmt.Errorf("unknown resourceType %q", head.ResourceType)
	}
	if err := strict(data, r); err != nil {
		return nil, fmt.Errorf("%s: %w", head.ResourceType, err)
	}
	return r, nil
}

// strict decodes data into v and then checks that v encodes back to the same
// JSON. encoding/json matches names case-insensitively and drops empty
// values, while FHIR names are case-sensitive and forbid empty elements; the
// round trip catches both.
func strict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	again, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var in, out any
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	if err := json.Unmarshal(again, &out); err != nil {
		return err
	}
	if !reflect.DeepEqual(in, out) {
		return fmt.Errorf("elements not in FHIR R4 as declared (wrong case, empty or unknown): %s", difference(in, out))
	}
	return nil
}

// difference gives the path of the first element that did not survive the
// round trip.
func difference(in, out any) string {
	switch a := in.(type) {
	case map[string]any:
		b, _ := out.(map[string]any)
		for k, v := range a {
			if !reflect.DeepEqual(v, b[k]) {
				if sub := difference(v, b[k]); sub != "" {
					return k + "." + sub
				}
				return k
			}
		}
	case []any:
		b, _ := out.([]any)
		for i, v := range a {
			if i >= len(b) || !reflect.DeepEqual(v, b[i]) {
				var o any
				if i < len(b) {
					o = b[i]
				}
				return fmt.Sprintf("[%d]", i) + prefixDot(difference(v, o))
			}
		}
	}
	return ""
}

func prefixDot(s string) string {
	if s == "" {
		return ""
	}
	return "." + s
}
