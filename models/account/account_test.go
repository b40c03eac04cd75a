package account_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// clock is a fake clock shared by the services under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var cheap = account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const pw = "correct horse battery staple"

func newService(t *testing.T, clk *clock) (*dbtest.Env, *account.Service) {
	t.Helper()
	env := dbtest.New(t)
	key := make([]byte, 32)
	return env, account.New(env.DB, nil, account.Config{Argon2: cheap, SealKey: key, Now: clk.Now, BaseURL: "http://tuhono.test"})
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)} }

func person(t *testing.T, s *account.Service) account.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), "p-"+uuid.NewString()[:8]+"@example.co.nz", "Test Person", pw, false)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var client = account.Client{IP: "203.0.113.7", UserAgent: "test"}

func TestSignInSessionsAndExpiry(t *testing.T) {
	clk := newClock()
	_, s := newService(t, clk)
	ctx := context.Background()
	u := person(t, s)

	t1, sess, err := s.SignIn(ctx, u.Email, pw, client)
	if err != nil {
		t.Fatal(err)
	}
	// Fixation: every sign-in makes a new token; a token from before is not reused.
	t2, _, err := s.SignIn(ctx, u.Email, pw, client)
	if err != nil || t2 == t1 {
		t.Fatalf("second sign-in: same token %v, %v", t2 == t1, err)
	}
	if got, err := s.Authenticate(ctx, t1); err != nil || got.ID != sess.ID {
		t.Fatalf("Authenticate: %+v %v", got, err)
	}
	// Rotation on privilege change: the old token stops working.
	t3, err := s.Rotate(ctx, sess, false, uuid.Nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, t1); !errors.Is(err, fault.Unauthenticated) {
		t.Fatalf("token before rotation still works: %v", err)
	}
	if _, err := s.Authenticate(ctx, t3); err != nil {
		t.Fatalf("rotated token: %v", err)
	}
	// Idle timeout: 29 minutes keeps it alive (and touches it), 31 more kill it.
	clk.Add(29 * time.Minute)
	if _, err := s.Authenticate(ctx, t3); err != nil {
		t.Fatalf("after 29 idle minutes: %v", err)
	}
	clk.Add(31 * time.Minute)
	if _, err := s.Authenticate(ctx, t3); !errors.Is(err, fault.Unauthenticated) {
		t.Fatalf("after 31 idle minutes: %v", err)
	}
	// Absolute lifetime: active every 20 minutes, still over at 12 hours.
	t4, _, _ := s.SignIn(ctx, u.Email, pw, client)
	for i := 0; i < 35; i++ {
		clk.Add(20 * time.Minute)
		if _, err := s.Authenticate(ctx, t4); err != nil {
			t.Fatalf("active session died after %v: %v", time.Duration(i+1)*20*time.Minute, err)
		}
	}
	clk.Add(20 * time.Minute) // 12 h
	if _, err := s.Authenticate(ctx, t4); !errors.Is(err, fault.Unauthenticated) {
		t.Fatalf("session outlived its 12 h lifetime: %v", err)
	}
	// Sign-out replay: a signed-out token is dead.
	t5, s5, _ := s.SignIn(ctx, u.Email, pw, client)
	if err := s.SignOut(ctx, s5); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, t5); !errors.Is(err, fault.Unauthenticated) {
		t.Fatalf("replayed signed-out token: %v", err)
	}
	// Sign out everywhere.
	a, _, _ := s.SignIn(ctx, u.Email, pw, client)
	b, sb, _ := s.SignIn(ctx, u.Email, pw, client)
	if err := s.SignOutEverywhere(ctx, u.ID, sb.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, a); err == nil {
		t.Fatal("other session survived sign-out everywhere")
	}
	if _, err := s.Authenticate(ctx, b); err != nil {
		t.Fatalf("the kept session died: %v", err)
	}
}

func TestSignInFailuresAreGenericAndThrottled(t *testing.T) {
	clk := newClock()
	_, s := newService(t, clk)
	ctx := context.Background()
	u := person(t, s)
	_, _, errUnknown := s.SignIn(ctx, "nobody@example.co.nz", pw, account.Client{IP: "198.51.100.1"})
	_, _, errWrong := s.SignIn(ctx, u.Email, "wrong password entirely", account.Client{IP: "198.51.100.2"})
	if errUnknown == nil || errWrong == nil || fault.As(errUnknown).Message != fault.As(errWrong).Message {
		t.Fatalf("failures differ: %v / %v", errUnknown, errWrong)
	}
	// 50 rapid failures from many addresses (a spoofed X-Forwarded-For can
	// change the IP, never the account) pause the account, and then even the
	// right password is refused, with a time to retry.
	var throttled int
	for i := 0; i < 50; i++ {
		_, _, err := s.SignIn(ctx, u.Email, "wrong password entirely", account.Client{IP: "192.0.2." + string(rune('0'+i%10))})
		if errors.Is(err, fault.TooMany) {
			throttled++
		}
	}
	if throttled < 40 {
		t.Fatalf("only %d of 50 failures were throttled", throttled)
	}
	_, _, err := s.SignIn(ctx, u.Email, pw, account.Client{IP: "192.0.2.200"})
	if f := fault.As(err); f.Kind != fault.KindTooMany || f.RetryAfter <= 0 {
		t.Fatalf("right password while paused: %v", err)
	}
	// No permanent lockout: after the pause the right password works.
	clk.Add(6 * time.Minute)
	if _, _, err := s.SignIn(ctx, u.Email, pw, account.Client{IP: "192.0.2.201"}); err != nil {
		t.Fatalf("after the pause: %v", err)
	}
	// One address spraying many accounts is paused too.
	for i := 0; i < 35; i++ {
		s.SignIn(ctx, "spray"+uuid.NewString()[:6]+"@example.co.nz", "wrong password entirely", account.Client{IP: "198.51.100.99"})
	}
	_, _, err = s.SignIn(ctx, u.Email, pw, account.Client{IP: "198.51.100.99"})
	if !errors.Is(err, fault.TooMany) {
		t.Fatalf("spraying address not paused: %v", err)
	}
}

func TestMFARecoveryAndReset(t *testing.T) {
	clk := newClock()
	env, s := newService(t, clk)
	ctx := context.Background()
	u := person(t, s)
	_, sess, _ := s.SignIn(ctx, u.Email, pw, client)

	if _, err := s.BeginMFA(ctx, sess, "not my password at all"); !errors.Is(err, fault.Invalid) {
		t.Fatalf("enrol without the password: %v", err)
	}
	enr, err := s.BeginMFA(ctx, sess, pw)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(enr.Secret, clk.Now())
	codes, err := s.ConfirmMFA(ctx, sess, code)
	if err != nil || len(codes) != 10 {
		t.Fatalf("confirm: %d codes, %v", len(codes), err)
	}
	// Sign-in now needs the challenge.
	tok, sess2, _ := s.SignIn(ctx, u.Email, pw, client)
	if sess2.MFAVerified || !sess2.User.MFAEnabled {
		t.Fatalf("a fresh sign-in passed MFA without a code: %+v", sess2)
	}
	// The enrolment code was used: it cannot be replayed in the same step.
	if _, err := s.VerifyMFA(ctx, sess2, code, client); err == nil {
		t.Fatal("a TOTP code was accepted twice")
	}
	// A recovery code works once.
	tok2, err := s.VerifyMFA(ctx, sess2, codes[0], client)
	if err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if got, _ := s.Authenticate(ctx, tok2); !got.MFAVerified {
		t.Fatal("session not verified after the recovery code")
	}
	if _, err := s.Authenticate(ctx, tok); err == nil {
		t.Fatal("the pre-MFA token survived the challenge (no rotation)")
	}
	_, sess3, _ := s.SignIn(ctx, u.Email, pw, client)
	if _, err := s.VerifyMFA(ctx, sess3, codes[0], client); err == nil {
		t.Fatal("a recovery code worked twice")
	}
	clk.Add(time.Minute)
	next, _ := totp.GenerateCode(enr.Secret, clk.Now())
	if _, err := s.VerifyMFA(ctx, sess3, next, client); err != nil {
		t.Fatalf("a fresh TOTP code: %v", err)
	}

	// Reset ends at the MFA challenge.
	if err := s.RequestReset(ctx, u.Email, client); err != nil {
		t.Fatal(err)
	}
	var body string
	if err := env.DB.Platform(ctx, "test: read outbox", func(tx *db.Tx) error {
		return tx.Raw(`SELECT body_text FROM outbox WHERE recipient = ? ORDER BY created_at DESC LIMIT 1`, u.Email).Row().Scan(&body)
	}); err != nil {
		t.Fatal(err)
	}
	token := extract(body, "/reset/")
	const newPW = "a brand new long passphrase"
	rtok, rsess, err := s.ResetPassword(ctx, token, newPW, client)
	if err != nil {
		t.Fatal(err)
	}
	if rsess.MFAVerified {
		t.Fatal("reset bypassed MFA")
	}
	if _, _, err := s.ResetPassword(ctx, token, newPW+"x", client); err == nil {
		t.Fatal("reset link worked twice")
	}
	if got, err := s.Authenticate(ctx, rtok); err != nil || got.MFAVerified {
		t.Fatalf("reset session: %+v %v", got, err)
	}
	if _, _, err := s.SignIn(ctx, u.Email, pw, client); err == nil {
		t.Fatal("old password still works after reset")
	}
}

func extract(body, marker string) string {
	i := indexOf(body, marker)
	if i < 0 {
		return ""
	}
	rest := body[i+len(marker):]
	for j, r := range rest {
		if r == '\n' || r == ' ' {
			return rest[:j]
		}
	}
	return rest
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestMembershipEndRevokesAtOnceEverywhere(t *testing.T) {
	clk := newClock()
	env, s := newService(t, clk)
	other := account.New(env.DB, nil, account.Config{Argon2: cheap, SealKey: make([]byte, 32), Now: clk.Now})
	ctx, tn := env.Tenant(t)
	u := person(t, s)
	if err := s.AddMember(ctx, uuid.Nil, u.ID, []string{"hip", "practice_admin"}); err != nil {
		t.Fatal(err)
	}
	// Without MFA, a token may not carry the clinical role.
	if _, _, err := s.CreateToken(ctx, u.ID, "laptop", []string{"hip"}, 24*time.Hour); !errors.Is(err, fault.Invalid) {
		t.Fatalf("clinical token without MFA: %v", err)
	}
	tok, _, err := s.CreateToken(ctx, u.ID, "laptop", []string{"practice_admin"}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Member(ctx, u.ID); err != nil {
		t.Fatalf("member on the second instance: %v", err)
	}
	if a, err := other.AuthenticateToken(ctx, tok); err != nil || a.UserID != u.ID || !a.Token {
		t.Fatalf("token on the second instance: %+v %v", a, err)
	}
	// The last administrator cannot be ended; nor can anyone end themselves.
	if err := s.SetStatus(ctx, uuid.Nil, u.ID, "ended"); !errors.Is(err, fault.Conflict) {
		t.Fatalf("ending the last administrator: %v", err)
	}
	if err := s.SetStatus(ctx, u.ID, u.ID, "suspended"); !errors.Is(err, fault.Conflict) {
		t.Fatalf("suspending oneself: %v", err)
	}
	admin := person(t, s)
	if err := s.AddMember(ctx, uuid.Nil, admin.ID, []string{"practice_admin"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, admin.ID, u.ID, "ended"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Member(ctx, u.ID); !errors.Is(err, fault.NotFound) {
		t.Fatalf("ended membership still live on the second instance: %v", err)
	}
	if _, err := other.AuthenticateToken(ctx, tok); err == nil {
		t.Fatal("token of an ended membership still works")
	}
	_ = tn
}

func TestInvitations(t *testing.T) {
	clk := newClock()
	env, s := newService(t, clk)
	ctx, _ := env.Tenant(t)
	_, token, err := s.Invite(ctx, uuid.Nil, "New.Person@Example.co.nz", "New Person", []string{"hip", "health_coach"})
	if err != nil {
		t.Fatal(err)
	}
	// 20 concurrent accepts of one link: one membership, one success.
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AcceptInvitation(ctx, token, "New Person", pw); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d accepts succeeded, want exactly 1", ok)
	}
	staff, err := s.Staff(ctx)
	if err != nil || len(staff) != 1 || staff[0].User.Email != "new.person@example.co.nz" {
		t.Fatalf("staff after accept: %+v %v", staff, err)
	}
	// Reuse is refused.
	if _, err := s.AcceptInvitation(ctx, token, "New Person", pw); !errors.Is(err, fault.NotFound) {
		t.Fatalf("reused link: %v", err)
	}
	// Expiry is refused.
	_, token2, _ := s.Invite(ctx, uuid.Nil, "late@example.co.nz", "Late", []string{"gp"})
	clk.Add(7*24*time.Hour + time.Minute)
	if _, err := s.AcceptInvitation(ctx, token2, "Late", pw); !errors.Is(err, fault.NotFound) {
		t.Fatalf("expired link: %v", err)
	}
	// An existing person accepting gains the membership; their password stays.
	ctxB, _ := env.Tenant(t)
	_, token3, _ := s.Invite(ctxB, uuid.Nil, "new.person@example.co.nz", "", []string{"gp"})
	if _, err := s.AcceptInvitation(ctxB, token3, "", ""); err != nil {
		t.Fatalf("existing person accepting: %v", err)
	}
	if _, _, err := s.SignIn(context.Background(), "new.person@example.co.nz", pw, client); err != nil {
		t.Fatalf("password changed by the second invitation: %v", err)
	}
	// A suspended organisation invites no one.
	_, sus := env.Tenant(t)
	sus.Status = tenants.StatusSuspended
	if _, _, err := s.Invite(tenants.WithTenant(context.Background(), sus), uuid.Nil, "x@example.co.nz", "X", []string{"gp"}); !errors.Is(err, fault.Conflict) {
		t.Fatalf("invitation from a suspended tenant: %v", err)
	}
	// Another tenant cannot see the invitation or its membership.
	if _, err := s.InvitationByToken(ctxB, token); err == nil {
		t.Fatal("tenant B resolved tenant A's invitation")
	}
}
