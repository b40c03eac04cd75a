package web

import (
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

func buildSchemas(d *huma.OpenAPI) []apiSchema {
	if d.Components == nil || d.Components.Schemas == nil {
		return nil
	}
	all := d.Components.Schemas.Map()
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]apiSchema, 0, len(names))
	for _, n := range names {
		sc := all[n]
		if sc == nil {
			continue
		}
		s := apiSchema{Anchor: schemaAnchor(n), Name: n, Description: paragraphs(sc.Description)}
		if len(sc.Properties) == 0 {
			s.Type = schemaType(sc)
			s.Type.Before += constraintsSuffix(sc)
		}
		required := map[string]bool{}
		for _, r := range sc.Required {
			required[r] = true
		}
		fields := make([]string, 0, len(sc.Properties))
		for f := range sc.Properties {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for _, f := range fields {
			prop := sc.Properties[f]
			field := apiField{Name: f, Type: schemaType(prop), Required: required[f]}
			if prop != nil {
				field.Description = prop.Description
				field.Constraints = constraints(prop)
			}
			s.Fields = append(s.Fields, field)
		}
		out = append(out, s)
	}
	return out
}

// schemaType names a schema the way a reader needs it in a table cell:
// named components link to their table, the rest are described inline.
func schemaType(sc *huma.Schema) apiType {
	if sc == nil {
		return apiType{Before: "any"}
	}
	var t apiType
	switch {
	case sc.Ref != "":
		if name, ok := strings.CutPrefix(sc.Ref, schemaRefPrefix); ok {
			t = apiType{Name: name, Anchor: schemaAnchor(name)}
		} else {
			t = apiType{Before: sc.Ref}
		}
	case len(sc.OneOf) > 0 || len(sc.AnyOf) > 0:
		alts := make([]string, 0, len(sc.OneOf)+len(sc.AnyOf))
		for _, a := range append(slices.Clone(sc.OneOf), sc.AnyOf...) {
			alts = append(alts, schemaType(a).text())
		}
		t = apiType{Before: "one of " + strings.Join(alts, ", ")}
	case len(sc.AllOf) == 1:
		t = schemaType(sc.AllOf[0])
	case sc.Type == "array":
		t = schemaType(sc.Items)
		t.Before = "array of " + t.Before
	case sc.Type == "object":
		if ap, ok := sc.AdditionalProperties.(*huma.Schema); ok && len(sc.Properties) == 0 {
			t = schemaType(ap)
			t.Before = "map of " + t.Before
		} else {
			t = apiType{Before: "object"}
		}
	case sc.Type == "":
		t = apiType{Before: "any"}
	case sc.Format != "":
		t = apiType{Before: sc.Type + " (" + sc.Format + ")"}
	default:
		t = apiType{Before: sc.Type}
	}
	if sc.Nullable {
		t.After += " or null"
	}
	return t
}

func constraints(sc *huma.Schema) string {
	var parts []string
	if len(sc.Enum) > 0 {
		vals := make([]string, 0, len(sc.Enum))
		for _, v := range sc.Enum {
			vals = append(vals, anyString(v))
		}
		parts = append(parts, "one of: "+strings.Join(vals, ", "))
	}
	if sc.MinLength != nil {
		parts = append(parts, "min length "+strconv.Itoa(*sc.MinLength))
	}
	if sc.MaxLength != nil {
		parts = append(parts, "max length "+strconv.Itoa(*sc.MaxLength))
	}
	if sc.Minimum != nil {
		parts = append(parts, "minimum "+strconv.FormatFloat(*sc.Minimum, 'g', -1, 64))
	}
	if sc.Maximum != nil {
		parts = append(parts, "maximum "+strconv.FormatFloat(*sc.Maximum, 'g', -1, 64))
	}
	if sc.MaxItems != nil {
		parts = append(parts, "at most "+strconv.Itoa(*sc.MaxItems)+" items")
	}
	if sc.Pattern != "" {
		parts = append(parts, "pattern "+sc.Pattern)
	}
	if sc.ReadOnly {
		parts = append(parts, "read-only")
	}
	if sc.Deprecated {
		parts = append(parts, "deprecated")
	}
	return strings.Join(parts, "; ")
}

func constraintsSuffix(sc *huma.Schema) string {
	if c := constraints(sc); c != "" {
		return " — " + c
	}
	return ""
}

func anyString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	default:
		return "…"
	}
}

func schemaAnchor(name string) string { return "schema-" + slug(name) }
