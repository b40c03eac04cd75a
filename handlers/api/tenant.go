package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/onboarding"
	"github.com/tuhono/tuhono/tenants"
)

// TenantPath names a tenant by its slug.
type TenantPath struct {
	Tenant string `path:"tenant" pattern:"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$" maxLength:"63" doc:"The tenant's slug, as in /t/{tenant}."`
}

// Tenant is a tenant as a member of it sees it.
type Tenant struct {
	ID        string    `json:"id" format:"uuid" doc:"The tenant's id."`
	Kind      string    `json:"kind" enum:"pho,practice" doc:"A PHO or a general practice."`
	Slug      string    `json:"slug" doc:"The URL name of the tenant."`
	Name      string    `json:"name"`
	ParentID  string    `json:"parent_id,omitempty" format:"uuid" doc:"A practice's PHO."`
	RegionID  string    `json:"region_id" format:"uuid"`
	HPIOrgID  string    `json:"hpi_org_id,omitempty" doc:"HPI organisation id (GXXNNN-C)."`
	HPIFacID  string    `json:"hpi_facility_id,omitempty" doc:"HPI facility id (FXXNNN-C)."`
	TimeZone  string    `json:"time_zone" enum:"Pacific/Auckland,Pacific/Chatham" doc:"IANA zone times are shown in."`
	Status    string    `json:"status" enum:"onboarding,active,suspended,archived"`
	CreatedAt time.Time `json:"created_at"`
}

type tenantOutput struct {
	Body Tenant
}

func registerTenant(a huma.API, d Deps) {
	huma.Register(a, huma.Operation{
		OperationID: "get-tenant",
		Method:      http.MethodGet,
		Path:        Prefix + "/t/{tenant}",
		Summary:     "Get the tenant",
		Description: "The tenant named in the path, as a member of it may see it. A tenant the caller has no membership in answers 404.",
		Tags:        []string{"Tenants"},
		Errors:      []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusForbidden},
		Metadata:    map[string]any{"perm": httpx.Perm{Object: "tenant", Action: "read"}},
		Security:    []map[string][]string{{"bearer": {}}},
	}, func(ctx context.Context, in *TenantPath) (*tenantOutput, error) {
		t, err := onboarding.Current(ctx, d.DB)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &tenantOutput{Body: tenantView(t)}, nil
	})
}

func tenantView(t tenants.Tenant) Tenant {
	v := Tenant{
		ID: t.ID.String(), Kind: string(t.Kind), Slug: t.Slug, Name: t.Name, RegionID: t.RegionID.String(),
		HPIOrgID: t.HPIOrgID, HPIFacID: t.HPIFacID, TimeZone: t.TimeZone, Status: string(t.Status), CreatedAt: t.CreatedAt,
	}
	if t.ParentID != [16]byte{} {
		v.ParentID = t.ParentID.String()
	}
	return v
}
