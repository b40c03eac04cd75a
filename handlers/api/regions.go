package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/bulk"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// The region API: a regional admin's (or the platform operator's) work on a
// region's PHOs and practices, their onboarding and bulk imports, with an
// organisation token (httpx.OrgAuth). Tenant API tokens are refused here
// (401), and a region the token does not reach answers 404.

const orgScheme = "orgBearer"

var (
	permTenantRead   = httpx.Perm{Object: "tenant", Action: "read"}
	permTenantCreate = httpx.Perm{Object: "tenant", Action: "create"}
	permTenantUpdate = httpx.Perm{Object: "tenant", Action: "update"}
	permStaffInvite  = httpx.Perm{Object: "staff", Action: "invite"}
	permRegionCreate = httpx.Perm{Object: "region", Action: "create"}
)

// RegionPath names a region by its slug.
type RegionPath struct {
	Region string `path:"region" pattern:"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$" maxLength:"63" doc:"The region's slug, as in /regions/{region}."`
}

// RegionTenantPath names a PHO or practice of the region.
type RegionTenantPath struct {
	RegionPath
	Slug string `path:"slug" pattern:"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$" maxLength:"63" doc:"The organisation's slug."`
}

// Region is a region with its organisations.
type Region struct {
	ID        string         `json:"id" format:"uuid"`
	Slug      string         `json:"slug"`
	Name      string         `json:"name"`
	Programme string         `json:"programme,omitempty" doc:"The programme name, such as Tū Whakaruruhau."`
	TimeZone  string         `json:"time_zone" enum:"Pacific/Auckland,Pacific/Chatham"`
	Tenants   []RegionTenant `json:"tenants,omitempty" doc:"Every PHO, each followed by its practices, then practices under no PHO of this region."`
}

// RegionTenant is a PHO or practice as its region's admins see it.
type RegionTenant struct {
	Tenant
	Address      string     `json:"address,omitempty"`
	ContactEmail string     `json:"contact_email,omitempty" format:"email"`
	ContactPhone string     `json:"contact_phone,omitempty"`
	SuspendedAt  *time.Time `json:"suspended_at,omitempty"`
	ArchivedAt   *time.Time `json:"archived_at,omitempty"`
	GoLiveAt     *time.Time `json:"go_live_at,omitempty"`
}

type regionOutput struct {
	Body Region
}

type regionTenantOutput struct {
	Body RegionTenant
}

// NewRegionInput creates a region (platform operators).
type NewRegionInput struct {
	Body struct {
		Slug      string `json:"slug" maxLength:"63" doc:"Lower-case letters, digits and inner hyphens."`
		Name      string `json:"name" maxLength:"200"`
		Programme string `json:"programme,omitempty" maxLength:"200" doc:"Such as Tū Whakaruruhau or Te Tumu Waiora."`
		TimeZone  string `json:"time_zone,omitempty" enum:"Pacific/Auckland,Pacific/Chatham" doc:"Default Pacific/Auckland."`
	}
}

type createdRegionOutput struct {
	Status int
	Body   Region
}

// NewTenantInput creates a PHO or a practice in the region.
type NewTenantInput struct {
	RegionPath
	Body struct {
		Kind         string `json:"kind" enum:"pho,practice"`
		Parent       string `json:"parent,omitempty" maxLength:"63" doc:"A practice's PHO, by slug: a PHO of this region."`
		Slug         string `json:"slug" maxLength:"63" doc:"Lower-case letters, digits and inner hyphens; it cannot change."`
		Name         string `json:"name" maxLength:"200" doc:"As the organisation writes it, macrons and all."`
		HPIOrgID     string `json:"hpi_org_id,omitempty" maxLength:"16" doc:"HPI organisation id (GXXNNN-C)."`
		HPIFacID     string `json:"hpi_facility_id,omitempty" maxLength:"16" doc:"HPI facility id (FXXNNN-C)."`
		TimeZone     string `json:"time_zone,omitempty" enum:"Pacific/Auckland,Pacific/Chatham" doc:"Default Pacific/Auckland."`
		Address      string `json:"address,omitempty" maxLength:"500"`
		ContactEmail string `json:"contact_email,omitempty" maxLength:"254"`
		ContactPhone string `json:"contact_phone,omitempty" maxLength:"40"`
	}
}

type createdTenantOutput struct {
	Status int
	Body   RegionTenant
}

// UpdateTenantInput changes the fields it names; the others keep their
// values. An empty string clears an optional field.
type UpdateTenantInput struct {
	RegionTenantPath
	Body struct {
		Name         *string `json:"name,omitempty" maxLength:"200"`
		HPIOrgID     *string `json:"hpi_org_id,omitempty" maxLength:"16"`
		HPIFacID     *string `json:"hpi_facility_id,omitempty" maxLength:"16"`
		TimeZone     *string `json:"time_zone,omitempty" enum:"Pacific/Auckland,Pacific/Chatham"`
		Address      *string `json:"address,omitempty" maxLength:"500"`
		ContactEmail *string `json:"contact_email,omitempty" maxLength:"254"`
		ContactPhone *string `json:"contact_phone,omitempty" maxLength:"40"`
	}
}

// ChecklistItem is one line of a practice's onboarding checklist.
type ChecklistItem struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	State    string `json:"state" enum:"done,todo,unavailable" doc:"unavailable: the feature it depends on does not exist yet."`
	Required bool   `json:"required" doc:"Going live waits for it."`
	Detail   string `json:"detail,omitempty"`
}

// PracticeProgress is one practice on the region's overview.
type PracticeProgress struct {
	Slug     string          `json:"slug"`
	Name     string          `json:"name"`
	Status   string          `json:"status" enum:"onboarding,active,suspended,archived"`
	GoLiveAt *time.Time      `json:"go_live_at,omitempty"`
	Ready    bool            `json:"ready" doc:"Every required item is done."`
	Done     int             `json:"done"`
	Total    int             `json:"total" doc:"Items that can be done now."`
	Items    []ChecklistItem `json:"items"`
}

type overviewOutput struct {
	Body struct {
		Practices []PracticeProgress `json:"practices" doc:"Every practice of the region that is not archived, by name."`
	}
}

// ImportInput is one CSV file.
type ImportInput struct {
	RegionPath
	ContentType string `header:"Content-Type" doc:"text/csv (a charset parameter, if any, must be utf-8)."`
	RawBody     []byte `contentType:"text/csv" doc:"The CSV file: UTF-8 with or without BOM, a header row of the template's columns."`
}

// ImportNote is about a good row left as it was on purpose.
type ImportNote struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

type importOutput struct {
	Body struct {
		Kind      string       `json:"kind" enum:"practices,staff,enrolment"`
		Rows      int          `json:"rows" doc:"Data rows read."`
		Changed   int          `json:"changed" doc:"Rows that created or altered something."`
		Unchanged int          `json:"unchanged" doc:"Rows that matched what was already there."`
		Invited   int          `json:"invited" doc:"Invitations sent (staff)."`
		Notes     []ImportNote `json:"notes,omitempty"`
	}
}

func registerRegions(a huma.API, d Deps) {
	if d.Accounts == nil {
		return
	}
	o := &httpx.OrgAuth{Accounts: d.Accounts, Allowed: d.Allowed, DB: d.DB}
	if oa := a.OpenAPI(); oa.Components != nil && oa.Components.SecuritySchemes != nil {
		oa.Components.SecuritySchemes[orgScheme] = &huma.SecurityScheme{Type: "http", Scheme: "bearer",
			Description: "An organisation API token (tuo_…) for one region or for the platform, bound to the person's " +
				"organisation role there: it stops working when the role is removed."}
	}
	security := []map[string][]string{{orgScheme: {}}}
	inRegion := func(perm httpx.Perm) huma.Middlewares {
		return huma.Middlewares{func(hc huma.Context, next func(huma.Context)) {
			ctx, err := o.InRegion(humafiber.Unwrap(hc), hc.Param("region"), perm)
			if err != nil {
				huma.WriteErr(a, hc, httpx.Status(err), "", err)
				return
			}
			next(huma.WithContext(hc, ctx))
		}}
	}
	regionErrors := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}

	huma.Register(a, huma.Operation{
		OperationID: "create-region", Method: http.MethodPost, Path: Prefix + "/regions", DefaultStatus: http.StatusCreated,
		Summary: "Create a region", Tags: []string{"Regions"},
		Description: "A platform operator's organisation token creates a regional rollout. Appointing its regional " +
			"admins is done on the platform's regions page or with the command line.",
		Errors:   []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity},
		Security: security,
		Middlewares: huma.Middlewares{func(hc huma.Context, next func(huma.Context)) {
			ctx, err := o.OnPlatform(humafiber.Unwrap(hc), permRegionCreate)
			if err != nil {
				huma.WriteErr(a, hc, httpx.Status(err), "", err)
				return
			}
			next(huma.WithContext(hc, ctx))
		}},
	}, func(ctx context.Context, in *NewRegionInput) (*createdRegionOutput, error) {
		actor, _ := tenants.ActorFrom(ctx)
		r, err := onboarding.AddRegion(ctx, d.DB, actor.UserID, onboarding.NewRegion{Slug: in.Body.Slug, Name: in.Body.Name,
			Programme: in.Body.Programme, TimeZone: in.Body.TimeZone})
		if errors.Is(err, fault.Conflict) {
			return nil, fault.New(fault.KindConflict, "another region has this slug", nil)
		}
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &createdRegionOutput{Status: http.StatusCreated, Body: regionView(r)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "get-region", Method: http.MethodGet, Path: Prefix + "/regions/{region}",
		Summary: "Get a region with its PHOs and practices", Tags: []string{"Regions"},
		Errors: regionErrors, Security: security, Middlewares: inRegion(permTenantRead),
	}, func(ctx context.Context, in *RegionPath) (*regionOutput, error) {
		r, _ := tenants.RegionFrom(ctx)
		rd, err := onboarding.RegionDetailsBySlug(ctx, d.DB, r.Slug)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		list, err := onboarding.InRegion(ctx, d.DB, r.ID)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &regionOutput{Body: regionView(rd)}
		for _, t := range list {
			out.Body.Tenants = append(out.Body.Tenants, regionTenantView(t))
		}
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "create-region-tenant", Method: http.MethodPost, Path: Prefix + "/regions/{region}/tenants",
		DefaultStatus: http.StatusCreated, Summary: "Create a PHO or a practice", Tags: []string{"Regions"},
		Description: "The organisation starts in onboarding. A practice may name its PHO, which must be a PHO of this region.",
		Errors:      append(regionErrors, http.StatusConflict, http.StatusUnprocessableEntity),
		Security:    security, Middlewares: inRegion(permTenantCreate),
	}, func(ctx context.Context, in *NewTenantInput) (*createdTenantOutput, error) {
		r, _ := tenants.RegionFrom(ctx)
		actor, _ := tenants.ActorFrom(ctx)
		b := in.Body
		n := onboarding.NewTenant{Kind: tenants.Kind(b.Kind), RegionID: r.ID, Slug: b.Slug, Name: b.Name, HPIOrgID: b.HPIOrgID,
			HPIFacID: b.HPIFacID, TimeZone: b.TimeZone, Contact: onboarding.Contact{Address: b.Address, Email: b.ContactEmail, Phone: b.ContactPhone}}
		if b.Parent != "" {
			p, err := onboarding.BySlug(d.DB)(ctx, b.Parent)
			switch {
			case n.Kind != tenants.KindPractice:
				return nil, fault.InvalidField("parent", "only a practice sits under a PHO")
			case err != nil && !errors.Is(err, tenants.ErrUnknown):
				return nil, fail(ctx, d.Log, err)
			case err != nil || p.RegionID != r.ID || p.Kind != tenants.KindPHO:
				return nil, fault.InvalidField("parent", "choose a PHO of this region")
			}
			n.ParentID = p.ID
		}
		t, err := onboarding.AddTenant(ctx, d.DB, actor.UserID, n)
		if errors.Is(err, fault.Conflict) {
			return nil, fault.New(fault.KindConflict, "another organisation has this slug", nil)
		}
		if err != nil {
			return nil, fail(ctx, d.Log, renameFields(err))
		}
		return &createdTenantOutput{Status: http.StatusCreated, Body: regionTenantView(t)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "update-region-tenant", Method: http.MethodPatch, Path: Prefix + "/regions/{region}/tenants/{slug}",
		Summary: "Change a PHO's or practice's details", Tags: []string{"Regions"},
		Description: "Fields left out keep their values; the before and after values are recorded in the organisation's audit trail. " +
			"An archived organisation is read-only (409).",
		Errors:   append(regionErrors, http.StatusConflict, http.StatusUnprocessableEntity),
		Security: security, Middlewares: inRegion(permTenantUpdate),
	}, func(ctx context.Context, in *UpdateTenantInput) (*regionTenantOutput, error) {
		cur, err := tenantOfRegion(ctx, d, in.Slug)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		actor, _ := tenants.ActorFrom(ctx)
		ch := onboarding.Change{Name: cur.Name, HPIOrgID: cur.HPIOrgID, HPIFacID: cur.HPIFacID, TimeZone: cur.TimeZone, Contact: cur.Contact}
		b := in.Body
		for _, f := range []struct {
			src *string
			dst *string
		}{{b.Name, &ch.Name}, {b.HPIOrgID, &ch.HPIOrgID}, {b.HPIFacID, &ch.HPIFacID}, {b.TimeZone, &ch.TimeZone},
			{b.Address, &ch.Address}, {b.ContactEmail, &ch.Email}, {b.ContactPhone, &ch.Phone}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		t, err := onboarding.UpdateTenant(ctx, d.DB, actor.UserID, cur.ID, ch)
		if err != nil {
			return nil, fail(ctx, d.Log, renameFields(err))
		}
		return &regionTenantOutput{Body: regionTenantView(t)}, nil
	})

	for _, s := range []struct {
		verb, summary, desc string
		change              func(ctx context.Context, d *db.DB, actor, id uuid.UUID) (onboarding.Details, error)
	}{
		{"suspend", "Suspend a PHO or practice", "Its people can still sign in and read and export its records; " +
			"new invitations and bookings are refused.", onboarding.Suspend},
		{"restore", "Lift a suspension", "The organisation goes back to onboarding or active, where it was.", onboarding.Restore},
		{"archive", "Archive a PHO or practice", "Kept read-only for the 10-year retention; nothing is deleted.", onboarding.Archive},
	} {
		change := s.change
		huma.Register(a, huma.Operation{
			OperationID: s.verb + "-region-tenant", Method: http.MethodPost,
			Path: Prefix + "/regions/{region}/tenants/{slug}/" + s.verb, Summary: s.summary, Description: s.desc,
			Tags: []string{"Regions"}, Errors: append(regionErrors, http.StatusConflict),
			Security: security, Middlewares: inRegion(permTenantUpdate),
		}, func(ctx context.Context, in *RegionTenantPath) (*regionTenantOutput, error) {
			cur, err := tenantOfRegion(ctx, d, in.Slug)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			actor, _ := tenants.ActorFrom(ctx)
			t, err := change(ctx, d.DB, actor.UserID, cur.ID)
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			return &regionTenantOutput{Body: regionTenantView(t)}, nil
		})
	}

	huma.Register(a, huma.Operation{
		OperationID: "get-region-overview", Method: http.MethodGet, Path: Prefix + "/regions/{region}/overview",
		Summary: "Every practice's onboarding checklist", Tags: []string{"Regions"},
		Description: "Computed from each practice's real state when read, never ticked by hand.",
		Errors:      regionErrors, Security: security, Middlewares: inRegion(permTenantRead),
	}, func(ctx context.Context, in *RegionPath) (*overviewOutput, error) {
		r, _ := tenants.RegionFrom(ctx)
		list, err := onboarding.RegionOverview(ctx, d.DB, r.ID, time.Now())
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &overviewOutput{}
		out.Body.Practices = make([]PracticeProgress, 0, len(list))
		for _, p := range list {
			done, total := p.Checklist.Progress()
			v := PracticeProgress{Slug: p.Tenant.Slug, Name: p.Tenant.Name, Status: string(p.Tenant.Status), GoLiveAt: timeOrNil(p.GoLiveAt),
				Ready: p.Checklist.Ready(), Done: done, Total: total, Items: make([]ChecklistItem, 0, len(p.Checklist.Items))}
			for _, it := range p.Checklist.Items {
				v.Items = append(v.Items, ChecklistItem{Key: it.Key, Label: it.Label, State: string(it.State), Required: it.Required, Detail: it.Detail})
			}
			out.Body.Practices = append(out.Body.Practices, v)
		}
		return out, nil
	})

	for _, k := range []struct {
		kind bulk.Kind
		perm httpx.Perm
		desc string
	}{
		{bulk.Practices, permTenantCreate, "Creates or updates practices under the region's PHOs, by slug."},
		{bulk.Staff, permStaffInvite, "Invites each person by e-mail to their practice, once however often the file is loaded."},
		{bulk.Enrolment, permTenantUpdate, "Enrolled population per practice per quarter."},
	} {
		kind := k.kind
		huma.Register(a, huma.Operation{
			OperationID: "import-" + string(kind), Method: http.MethodPost, Path: Prefix + "/regions/{region}/imports/" + string(kind),
			Summary: "Import " + string(kind) + " from CSV", Tags: []string{"Imports"},
			Description: k.desc + " The whole file is checked before anything is written: if any row is bad nothing is imported " +
				"and the 422 problem lists every bad row (errors[].location is body.line[N] or body.line[N].column). " +
				"Importing the same file again changes nothing. Send Content-Type: text/csv.",
			Errors:   append(regionErrors, http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType),
			Security: security, Middlewares: inRegion(k.perm),
		}, func(ctx context.Context, in *ImportInput) (*importOutput, error) {
			if mt, params, err := mime.ParseMediaType(in.ContentType); err != nil || mt != "text/csv" ||
				(params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
				return nil, &httpx.Problem{Type: "about:blank", Title: http.StatusText(http.StatusUnsupportedMediaType),
					Status: http.StatusUnsupportedMediaType, Detail: "send the CSV file as text/csv (UTF-8)"}
			}
			im := &bulk.Importer{DB: d.DB, Accounts: d.Accounts}
			res, err := im.Import(ctx, kind, bytes.NewReader(in.RawBody))
			if err != nil {
				return nil, fail(ctx, d.Log, err)
			}
			if !res.OK() {
				return nil, importProblem(res)
			}
			out := &importOutput{}
			out.Body.Kind, out.Body.Rows, out.Body.Changed, out.Body.Unchanged, out.Body.Invited =
				string(kind), res.Rows, res.Changed, res.Unchanged, res.Invited
			for _, n := range res.Notes {
				out.Body.Notes = append(out.Body.Notes, ImportNote{Line: n.Line, Column: n.Column, Reason: n.Reason})
			}
			return out, nil
		})
	}
}

// importProblem lists every bad row of a refused file.
func importProblem(res bulk.Result) *httpx.Problem {
	p := &httpx.Problem{Type: "about:blank", Title: http.StatusText(http.StatusUnprocessableEntity),
		Status: http.StatusUnprocessableEntity}
	bad := len(res.Problems) + res.MoreProblems
	p.Detail = fmt.Sprintf("nothing was imported: %d problem(s) in the file", bad)
	if res.MoreProblems > 0 {
		p.Detail += fmt.Sprintf(" (the first %d are listed)", len(res.Problems))
	}
	for _, pr := range res.Problems {
		loc := fmt.Sprintf("body.line[%d]", pr.Line)
		if pr.Column != "" {
			loc += "." + pr.Column
		}
		p.Errors = append(p.Errors, httpx.FieldProblem{Location: loc, Message: pr.Reason})
	}
	return p
}

// tenantOfRegion finds a PHO or practice of the request's region; one of
// another region is not found, whatever its slug.
func tenantOfRegion(ctx context.Context, d Deps, slug string) (onboarding.Details, error) {
	r, _ := tenants.RegionFrom(ctx)
	t, err := onboarding.BySlug(d.DB)(ctx, slug)
	if errors.Is(err, tenants.ErrUnknown) {
		return onboarding.Details{}, fault.NotFound
	}
	if err != nil {
		return onboarding.Details{}, err
	}
	if t.RegionID != r.ID {
		return onboarding.Details{}, fault.NotFound
	}
	return onboarding.DetailsByID(ctx, d.DB, t.ID)
}

// renameFields puts the model's field names into the request body's.
func renameFields(err error) error {
	fe := fault.As(err)
	if fe.Kind != fault.KindInvalid || len(fe.Fields) == 0 {
		return err
	}
	names := map[string]string{"parent_id": "parent", "hpi_fac_id": "hpi_facility_id"}
	out := &fault.Error{Kind: fe.Kind, Message: fe.Message, Cause: err}
	for _, f := range fe.Fields {
		if n, ok := names[f.Field]; ok {
			f.Field = n
		}
		out.Fields = append(out.Fields, f)
	}
	return out
}

func regionView(r onboarding.RegionDetails) Region {
	return Region{ID: r.ID.String(), Slug: r.Slug, Name: r.Name, Programme: r.Programme, TimeZone: r.TimeZone}
}

func regionTenantView(t onboarding.Details) RegionTenant {
	return RegionTenant{Tenant: tenantView(t.Tenant), Address: t.Address, ContactEmail: t.Email, ContactPhone: t.Phone,
		SuspendedAt: timeOrNil(t.SuspendedAt), ArchivedAt: timeOrNil(t.ArchivedAt), GoLiveAt: timeOrNil(t.GoLiveAt)}
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
