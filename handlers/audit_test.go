package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/tenants"
)

// Every event the identity issue names lands in an audit trail: sign-in
// success and failure, MFA changes, role and membership changes,
// invitations, token creation and authorisation denials.
func TestAuditRecordsIdentityEvents(t *testing.T) {
	w := buildWorld(t)
	env := dbtest.New(t)
	ctx := context.Background()
	ctxA := tenants.WithTenant(ctx, w.A)
	u := w.people["practice_admin"]
	c := account.Client{IP: "127.0.0.1"}

	w.accounts.SignIn(ctx, u.Email, "not the password at all", c)
	_, sess, err := w.accounts.SignIn(ctx, u.Email, matrixPW, c)
	if err != nil {
		t.Fatal(err)
	}
	enr, err := w.accounts.BeginMFA(ctx, sess, matrixPW)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, time.Now())
	if _, err := w.accounts.ConfirmMFA(ctx, sess, code); err != nil {
		t.Fatal(err)
	}
	if err := w.accounts.RemoveMFA(ctx, sess, matrixPW); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.accounts.Invite(ctxA, w.people["practice_admin"].ID, "invitee-"+uuid.NewString()[:6]+"@example.co.nz", "Invitee", []string{"gp"}); err != nil {
		t.Fatal(err)
	}
	if err := w.accounts.SetStatus(ctxA, w.people["practice_admin"].ID, w.target.ID, "suspended"); err != nil {
		t.Fatal(err)
	}
	// An authorisation denial: a HIP may not invite staff.
	cookie := w.session(t, "hip")
	csrf := csrfPair()
	req, _ := http.NewRequest("POST", w.base+"/t/"+w.A.Slug+"/staff/invite", strings.NewReader("_csrf="+csrf))
	req.Header.Set("Cookie", "__Host-tuhono="+cookie+"; __Host-tuhono-csrf="+csrf)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://matrix.test")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("a HIP inviting staff: %d, want 403", res.StatusCode)
	}

	var platform, tenant []string
	if err := env.DB.Platform(ctx, "test: read platform audit", func(tx *db.Tx) error {
		return tx.Raw(`SELECT action FROM platform_audit_events WHERE subject_user_id = ? OR actor_user_id = ?`, u.ID, u.ID).Scan(&platform).Error
	}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.InTenant(ctxA, func(tx *db.Tx) error {
		return tx.Raw(`SELECT action FROM audit_events`).Scan(&tenant).Error
	}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"signin.failure", "signin.success", "mfa.enrol", "mfa.remove"} {
		if !slices.Contains(platform, want) {
			t.Errorf("platform audit lacks %s: %v", want, platform)
		}
	}
	for _, want := range []string{"membership.create", "token.create", "invitation.create", "membership.suspend", "authz.deny"} {
		if !slices.Contains(tenant, want) {
			t.Errorf("tenant audit lacks %s: %v", want, tenant)
		}
	}
}
