package web

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/gofiber/fiber/v2"
)

type Note struct { // not "note": package web imports models/note
	ID        string `json:"id" format:"uuid" doc:"Note id (UUIDv7)."`
	Status    string `json:"status" enum:"draft,signed" doc:"Whether the note may still change."`
	Body      string `json:"body" maxLength:"20000" doc:"Note text, NFC-normalised."`
	SignedAt  string `json:"signed_at,omitempty" format:"date-time" doc:"When the note was signed."`
	Addendums []int  `json:"addenda,omitempty" doc:"Addendum numbers."`
}

// testDoc builds a small document the way handlers/api will: schemas come
// from huma's registry, so the reference sees real huma output.
func testDoc(t *testing.T) *huma.OpenAPI {
	t.Helper()
	reg := huma.NewMapRegistry(schemaRefPrefix, huma.DefaultSchemaNamer)
	noteRef := reg.Schema(reflect.TypeOf(Note{}), true, "Note")
	if noteRef.Ref == "" {
		t.Fatal("registry did not return a $ref schema")
	}
	return &huma.OpenAPI{
		OpenAPI: "3.1.0",
		Info:    &huma.Info{Title: "Tūhono API", Version: "1.0.0", Description: "JSON API v1.\n\nEvery route is tenant-scoped."},
		Tags:    []*huma.Tag{{Name: "Notes", Description: "Clinical notes."}},
		Paths: map[string]*huma.PathItem{
			"/api/v1/t/{slug}/notes/{noteID}": {
				Parameters: []*huma.Param{{Name: "slug", In: "path", Required: true, Schema: &huma.Schema{Type: "string"}, Description: "Tenant slug."}},
				Get: &huma.Operation{
					OperationID: "get-note",
					Tags:        []string{"Notes"},
					Summary:     "Read one note",
					Description: "Returns the note if the caller may read it.",
					Parameters: []*huma.Param{
						{Name: "noteID", In: "path", Required: true, Schema: &huma.Schema{Type: "string", Format: "uuid"}, Description: "The note's id."},
						{Name: "include", In: "query", Schema: &huma.Schema{Type: "string"}, Description: "Extra parts."},
					},
					Responses: map[string]*huma.Response{
						"404": {Description: "Not found", Content: map[string]*huma.MediaType{"application/problem+json": {Schema: &huma.Schema{Type: "object"}}}},
						"200": {Description: "The note", Content: map[string]*huma.MediaType{"application/json": {Schema: noteRef}}},
					},
				},
			},
			"/api/v1/health": {
				Get: &huma.Operation{OperationID: "health", Summary: "Liveness", Responses: map[string]*huma.Response{"204": {Description: "Alive"}}},
			},
		},
		Components: &huma.Components{Schemas: reg},
	}
}

func TestAPIReferenceListsOperationsAndSchemas(t *testing.T) {
	doc := testDoc(t)
	app, _ := newTestApp(t, func() *huma.OpenAPI { return doc })
	resp, body := get(t, app, referencePath)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{
		`<h2 id="tag-notes-title">Notes</h2>`,
		"Clinical notes.",
		`<span class="method method-get">GET</span> <code class="path">/api/v1/t/{slug}/notes/{noteID}</code>`,
		"Read one note",
		"Returns the note if the caller may read it.",
		// path-level and operation-level parameters, path ones required
		`<td data-label="Name"><code>slug</code></td><td data-label="In">path</td>`,
		`<td data-label="Name"><code>noteID</code></td><td data-label="In">path</td><td data-label="Type"><span class="type">string (uuid)</span></td><td data-label="Required">Yes</td>`,
		`<td data-label="Name"><code>include</code></td><td data-label="In">query</td><td data-label="Type"><span class="type">string</span></td><td data-label="Required">No</td>`,
		// responses: status, description, linked schema name
		`<td data-label="Status"><code>200</code></td><td data-label="Description">The note</td><td data-label="Body"><span class="type"><a href="#schema-note">Note</a></span>`,
		`<code>404</code>`,
		`<code>204</code></td><td data-label="Description">Alive</td><td data-label="Body">None`,
		// schema table
		`<h3 id="schema-note-title"><code>Note</code></h3>`,
		`<td data-label="Field"><code>id</code></td><td data-label="Type"><span class="type">string (uuid)</span></td><td data-label="Required">Yes</td><td data-label="Description">Note id (UUIDv7).`,
		`<td data-label="Field"><code>signed_at</code></td><td data-label="Type"><span class="type">string (date-time)</span></td><td data-label="Required">No</td>`,
		`<td data-label="Field"><code>addenda</code></td><td data-label="Type"><span class="type">array of integer (int64) or null</span></td>`,
		"one of: draft, signed",
		"max length 20000",
		// the untagged operation still appears
		`<h2 id="tag-other-operations-title">Other operations</h2>`,
		`href="/api/v1/openapi.json"`,
		"<p>Every route is tenant-scoped.</p>",
		`<meta name="description" content="Reference for the Tūhono JSON API v1`,
		"<code>http://127.0.0.1:8080</code>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
	if i, j := strings.Index(body, ">200<"), strings.Index(body, ">404<"); i < 0 || j < i {
		t.Error("responses are not in status order")
	}
	if i, j := strings.Index(body, "tag-notes-title"), strings.Index(body, "tag-other-operations-title"); j < i {
		t.Error("untagged operations are not last")
	}
}

func TestAPIReferenceNilDocument(t *testing.T) {
	app, _ := newTestApp(t, func() *huma.OpenAPI { return nil })
	if resp, _ := get(t, app, referencePath); resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
}

func TestSchemaType(t *testing.T) {
	cases := []struct {
		in   *huma.Schema
		want string
	}{
		{nil, "any"},
		{&huma.Schema{Type: "string"}, "string"},
		{&huma.Schema{Type: "string", Format: "date", Nullable: true}, "string (date) or null"},
		{&huma.Schema{Ref: "#/components/schemas/Booking"}, "Booking"},
		{&huma.Schema{Type: "array", Items: &huma.Schema{Ref: "#/components/schemas/Booking"}}, "array of Booking"},
		{&huma.Schema{Type: "object", AdditionalProperties: &huma.Schema{Type: "integer"}}, "map of integer"},
		{&huma.Schema{OneOf: []*huma.Schema{{Type: "string"}, {Type: "integer"}}}, "one of string, integer"},
	}
	for _, tc := range cases {
		if got := schemaType(tc.in).text(); got != tc.want {
			t.Errorf("schemaType(%+v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if a := schemaType(&huma.Schema{Ref: "#/components/schemas/Booking"}).Anchor; a != "schema-booking" {
		t.Errorf("anchor %q", a)
	}
}

func TestAnchorsStayUnique(t *testing.T) {
	a := anchorSet{}
	if got := []string{a.take("op-x"), a.take("op-x"), a.take("op-y")}; !reflect.DeepEqual(got, []string{"op-x", "op-x-2", "op-y"}) {
		t.Errorf("anchors %v", got)
	}
	if got := slug("  Ngā Tūroro / Patients!! "); got != "ngā-tūroro-patients" {
		t.Errorf("slug = %q", got)
	}
}

type bookingInput struct {
	Slug string `path:"slug" doc:"Tenant slug."`
	Body struct {
		PractitionerID string `json:"practitioner_id" format:"uuid" doc:"Who the session is with."`
		StartsAt       string `json:"starts_at" format:"date-time" doc:"Start, in UTC."`
		Minutes        int    `json:"minutes" minimum:"15" maximum:"120" doc:"Length of the session."`
	}
}

type bookingOutput struct {
	Body struct {
		ID string `json:"id" format:"uuid"`
	}
}

// The document handlers/api hands over is built by huma itself, with its
// $ref schemas, error model and problem+json responses; render one of those.
func TestAPIReferenceRendersHumaDocument(t *testing.T) {
	api := humafiber.New(fiber.New(), huma.DefaultConfig("Tūhono API", "1.0.0"))
	huma.Register(api, huma.Operation{
		OperationID: "create-booking",
		Method:      http.MethodPost,
		Path:        "/api/v1/t/{slug}/bookings",
		Summary:     "Book a session",
		Tags:        []string{"Bookings"},
		Errors:      []int{http.StatusConflict},
	}, func(ctx context.Context, in *bookingInput) (*bookingOutput, error) { return nil, nil })

	app, _ := newTestApp(t, api.OpenAPI)
	resp, body := get(t, app, referencePath)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<span class="method method-post">POST</span> <code class="path">/api/v1/t/{slug}/bookings</code>`,
		"Book a session",
		`<h4>Request body</h4>`,
		`<a href="#schema-bookinginputbody">BookingInputBody</a></span> as <code>application/json</code> — required.`,
		`<h3 id="schema-bookinginputbody-title"><code>BookingInputBody</code></h3>`,
		`<code>409</code>`,
		`<a href="#schema-errormodel">ErrorModel</a>`,
		`<code>practitioner_id</code>`,
		"minimum 15; maximum 120",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
}
