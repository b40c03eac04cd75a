package web

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
)

// APIReference mounts at path an API reference rendered on the server from
// the OpenAPI document, so integrators can read it offline and under our CSP:
// no CDN, no JavaScript. doc is called per request because huma keeps adding
// operations to the document while routes are registered.
func (s *Site) APIReference(r fiber.Router, path string, doc func() *huma.OpenAPI) {
	r.Get(path, func(c *fiber.Ctx) error {
		d := doc()
		if d == nil {
			return s.ErrorPage(c, fiber.StatusInternalServerError, requestID(c))
		}
		page := buildAPIRef(d)
		page.layout = s.page(c, "API reference", "Reference for the Tūhono JSON API v1: every operation, its parameters, bodies and responses, and the schemas they use.", c.Route().Path)
		page.BaseURL = strings.TrimRight(s.cfg.BaseURL, "/")
		return s.render(c, fiber.StatusOK, pageAPIRef, page)
	})
}

type apiRefPage struct {
	layout
	APITitle   string
	APIVersion string
	Intro      []string // paragraphs of info.description; not Description, which the layout uses for <meta>
	BaseURL    string
	Groups     []apiGroup
	Schemas    []apiSchema
}

type apiGroup struct {
	Anchor      string
	Name        string
	Description []string
	Operations  []apiOperation
}

type apiOperation struct {
	Anchor      string
	Method      string // "GET"
	MethodClass string // "get", picks the badge colour
	Path        string
	Summary     string
	Description []string
	Deprecated  bool
	Params      []apiParam
	Body        *apiBody
	Responses   []apiResponse
}

// apiType renders as Before, then Name linked to Anchor when set, then After:
// "array of " + <a>Note</a>, or "string (uuid)" + " or null".
type apiType struct {
	Before, Name, Anchor, After string
}

func (t apiType) text() string { return t.Before + t.Name + t.After }

type apiParam struct {
	Name        string
	In          string
	Required    bool
	Type        apiType
	Description string
}

type apiBody struct {
	ContentType string
	Required    bool
	Description string
	Type        apiType
}

type apiResponse struct {
	Status      string
	Description string
	ContentType string
	Type        *apiType // nil when the response has no body
}

type apiSchema struct {
	Anchor      string
	Name        string
	Description []string
	Type        apiType // shown when the schema is not an object with fields
	Fields      []apiField
}

type apiField struct {
	Name        string
	Type        apiType
	Required    bool
	Description string
	Constraints string
}

const (
	schemaRefPrefix   = "#/components/schemas/"
	paramRefPrefix    = "#/components/parameters/"
	bodyRefPrefix     = "#/components/requestBodies/"
	responseRefPrefix = "#/components/responses/"
	untaggedGroup     = "Other operations"
)

func buildAPIRef(d *huma.OpenAPI) apiRefPage {
	var p apiRefPage
	if d.Info != nil {
		p.APITitle, p.APIVersion = d.Info.Title, d.Info.Version
		p.Intro = paragraphs(d.Info.Description)
	}
	anchors := anchorSet{}
	p.Groups = buildGroups(d, anchors)
	p.Schemas = buildSchemas(d)
	return p
}

var methodOrder = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"}

func operationsOf(item *huma.PathItem) []*huma.Operation {
	return []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete, item.Head, item.Options, item.Trace}
}

func buildGroups(d *huma.OpenAPI, anchors anchorSet) []apiGroup {
	byTag := map[string][]apiOperation{}
	paths := make([]string, 0, len(d.Paths))
	for p := range d.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, path := range paths {
		item := d.Paths[path]
		if item == nil {
			continue
		}
		for i, op := range operationsOf(item) {
			if op == nil || op.Hidden {
				continue
			}
			tags := op.Tags
			if len(tags) == 0 {
				tags = []string{untaggedGroup}
			}
			for _, tag := range tags {
				byTag[tag] = append(byTag[tag], buildOperation(d, item, op, methodOrder[i], path, tag, anchors))
			}
		}
	}

	// Declared tags first, in the order the API author chose, then any
	// undeclared ones alphabetically, then the untagged.
	var groups []apiGroup
	add := func(name, description string) {
		ops, ok := byTag[name]
		if !ok {
			return
		}
		delete(byTag, name)
		groups = append(groups, apiGroup{Anchor: anchors.take("tag-" + slug(name)), Name: name, Description: paragraphs(description), Operations: ops})
	}
	for _, t := range d.Tags {
		if t != nil {
			add(t.Name, t.Description)
		}
	}
	rest := make([]string, 0, len(byTag))
	for name := range byTag {
		if name != untaggedGroup {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		add(name, "")
	}
	add(untaggedGroup, "")
	return groups
}

func buildOperation(d *huma.OpenAPI, item *huma.PathItem, op *huma.Operation, method, path, tag string, anchors anchorSet) apiOperation {
	id := op.OperationID
	if id == "" {
		id = method + " " + path
	}
	o := apiOperation{
		Anchor:      anchors.take("op-" + slug(tag) + "-" + slug(id)),
		Method:      method,
		MethodClass: strings.ToLower(method),
		Path:        path,
		Summary:     op.Summary,
		Description: paragraphs(op.Description),
		Deprecated:  op.Deprecated,
		Params:      buildParams(d, item.Parameters, op.Parameters),
	}
	if rb := resolveBody(d, op.RequestBody); rb != nil {
		ct, mt := preferredContent(rb.Content)
		b := &apiBody{ContentType: ct, Required: rb.Required, Description: rb.Description}
		if mt != nil {
			b.Type = schemaType(mt.Schema)
		}
		o.Body = b
	}
	statuses := make([]string, 0, len(op.Responses))
	for st := range op.Responses {
		statuses = append(statuses, st)
	}
	slices.SortFunc(statuses, compareStatus)
	for _, st := range statuses {
		resp := resolveResponse(d, op.Responses[st])
		if resp == nil {
			continue
		}
		r := apiResponse{Status: st, Description: resp.Description}
		if ct, mt := preferredContent(resp.Content); ct != "" {
			r.ContentType = ct
			if mt != nil {
				t := schemaType(mt.Schema)
				r.Type = &t
			}
		}
		o.Responses = append(o.Responses, r)
	}
	return o
}

var paramInOrder = map[string]int{"path": 0, "query": 1, "header": 2, "cookie": 3}

// buildParams merges path-level and operation-level parameters; OpenAPI lets
// the operation override a path-level one with the same name and location.
func buildParams(d *huma.OpenAPI, pathLevel, opLevel []*huma.Param) []apiParam {
	var merged []*huma.Param
	index := map[string]int{}
	for _, list := range [][]*huma.Param{pathLevel, opLevel} {
		for _, p := range list {
			p = resolveParam(d, p)
			if p == nil {
				continue
			}
			key := p.In + "\x00" + p.Name
			if i, ok := index[key]; ok {
				merged[i] = p
				continue
			}
			index[key] = len(merged)
			merged = append(merged, p)
		}
	}
	slices.SortStableFunc(merged, func(a, b *huma.Param) int {
		return cmp.Compare(paramInOrder[a.In], paramInOrder[b.In])
	})
	out := make([]apiParam, 0, len(merged))
	for _, p := range merged {
		out = append(out, apiParam{
			Name:        p.Name,
			In:          p.In,
			Required:    p.Required || p.In == "path", // OpenAPI: path parameters are always required
			Type:        schemaType(p.Schema),
			Description: p.Description,
		})
	}
	return out
}

// preferredContent picks the media type to document: JSON first, because
// that is what API v1 speaks; otherwise the first alphabetically, for a
// stable page.
func preferredContent(content map[string]*huma.MediaType) (string, *huma.MediaType) {
	for _, ct := range []string{"application/json", "application/problem+json"} {
		if mt, ok := content[ct]; ok {
			return ct, mt
		}
	}
	keys := make([]string, 0, len(content))
	for k := range content {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return "", nil
	}
	slices.Sort(keys)
	return keys[0], content[keys[0]]
}

// compareStatus orders "200" < "201" < "2XX" < "404" < "default".
func compareStatus(a, b string) int {
	rank := func(s string) string {
		if s == "default" {
			return "9"
		}
		return strings.ToUpper(s)
	}
	return cmp.Compare(rank(a), rank(b))
}

func resolveParam(d *huma.OpenAPI, p *huma.Param) *huma.Param {
	if p == nil || p.Ref == "" {
		return p
	}
	if d.Components == nil {
		return nil
	}
	name, _ := strings.CutPrefix(p.Ref, paramRefPrefix)
	return d.Components.Parameters[name]
}

func resolveBody(d *huma.OpenAPI, b *huma.RequestBody) *huma.RequestBody {
	if b == nil || b.Ref == "" {
		return b
	}
	if d.Components == nil {
		return nil
	}
	name, _ := strings.CutPrefix(b.Ref, bodyRefPrefix)
	return d.Components.RequestBodies[name]
}

func resolveResponse(d *huma.OpenAPI, r *huma.Response) *huma.Response {
	if r == nil || r.Ref == "" {
		return r
	}
	if d.Components == nil {
		return nil
	}
	name, _ := strings.CutPrefix(r.Ref, responseRefPrefix)
	return d.Components.Responses[name]
}

func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// slug makes an HTML id from arbitrary text. It keeps macrons: ids and
// fragments may be any Unicode, and "tūroro" is not "turoro".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// anchorSet keeps ids unique when two slugs collide (one operation listed
// under two tags, say).
type anchorSet map[string]int

func (a anchorSet) take(id string) string {
	a[id]++
	if n := a[id]; n > 1 {
		return id + "-" + strconv.Itoa(n)
	}
	return id
}
