package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tuhono/tuhono/handlers"
	"github.com/tuhono/tuhono/models/account"
	"github.com/tuhono/tuhono/models/db/dbtest"
)

// 50 rapid failed sign-ins through the API, each claiming another client
// address in X-Forwarded-For (which an untrusted peer may not set): the
// account and the real address are paused, answers turn to 429 with
// Retry-After, and even the right password waits.
func TestSignInThrottleResistsSpoofedForwardedFor(t *testing.T) {
	env := dbtest.New(t)
	accounts := account.New(env.DB, nil, account.Config{
		Argon2: account.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, SealKey: make([]byte, 32)})
	email := "throttle-" + uuid.NewString()[:6] + "@example.co.nz"
	if _, err := accounts.CreateUser(context.Background(), email, "Throttle Person", matrixPW, false); err != nil {
		t.Fatal(err)
	}
	base := listen(t, newApp(t, handlers.Options{Accounts: accounts}))
	post := func(pw, xff string) *http.Response {
		req, _ := http.NewRequest("POST", base+"/api/v1/signin", strings.NewReader(`{"email":"`+email+`","password":"`+pw+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	var unauthorized, throttled int
	for i := 0; i < 50; i++ {
		res := post("wrong password entirely", "198.51.100."+string(rune('1'+i%9)))
		switch res.StatusCode {
		case 401:
			unauthorized++
		case 429:
			throttled++
			if res.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		default:
			t.Fatalf("failure %d answered %d", i, res.StatusCode)
		}
	}
	if unauthorized > 5 || throttled < 45 {
		t.Fatalf("%d answered 401 and %d 429: the spoofed addresses dodged the throttle", unauthorized, throttled)
	}
	if res := post(matrixPW, "203.0.113.1"); res.StatusCode != 429 {
		t.Fatalf("right password during the pause: %d, want 429", res.StatusCode)
	}
}
