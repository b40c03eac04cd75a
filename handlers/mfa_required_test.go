package handlers_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

// "MFA required" (on by default) blocks every clinical object for a person
// with a clinical role who has not enrolled, and nothing else; once MFA is
// on, the policy alone decides.
func TestMFARequiredBlocksClinicalObjects(t *testing.T) {
	w := buildWorld(t)
	f := &httpx.Frame{Policy: w.enforcer}
	hip := w.people["hip"]
	m, err := w.accounts.Member(tenants.WithTenant(context.Background(), w.A), hip.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !m.NeedsMFA() {
		t.Fatal("a HIP at a tenant with the default setting does not need MFA")
	}
	actor := tenants.Actor{UserID: hip.ID, Roles: []string{"hip"}, MFAMissing: true}
	ctx := tenants.WithActor(tenants.WithTenant(context.Background(), w.A), actor)
	for _, obj := range httpx.ClinicalObjects {
		if err := f.Authorize(ctx, httpx.Perm{Object: obj, Action: "read"}); !errors.Is(err, fault.Forbidden) {
			t.Errorf("%s read without MFA: %v, want forbidden", obj, err)
		}
	}
	if err := f.Authorize(ctx, httpx.Perm{Object: "tenant", Action: "read"}); err != nil {
		t.Errorf("non-clinical tenant read without MFA: %v", err)
	}
	actor.MFAMissing = false
	ctx = tenants.WithActor(tenants.WithTenant(context.Background(), w.A), actor)
	if err := f.Authorize(ctx, httpx.Perm{Object: "patient", Action: "read"}); err != nil {
		t.Errorf("patient read with MFA: %v", err)
	}
	// Admins have no clinical role: the requirement does not bind them.
	am, _ := w.accounts.Member(tenants.WithTenant(context.Background(), w.A), w.people["practice_admin"].ID)
	if am.NeedsMFA() {
		t.Error("a practice admin is held to the clinical MFA rule")
	}
}
