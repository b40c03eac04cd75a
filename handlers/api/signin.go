package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/account"
)

// SignInInput is a password sign-in.
type SignInInput struct {
	Body struct {
		Email    string `json:"email" maxLength:"254" doc:"The person's e-mail address."`
		Password string `json:"password" maxLength:"1024" doc:"The password (12–128 characters)."`
	}
}

// SignInOutput starts a session (cookie); MFA may still be required.
type SignInOutput struct {
	SetCookie string `header:"Set-Cookie"`
	Body      struct {
		UserID      string `json:"user_id" format:"uuid"`
		Name        string `json:"name"`
		MFARequired bool   `json:"mfa_required" doc:"When true, POST /api/v1/signin/mfa with a code before anything else."`
	}
}

// MFAInput is the second step.
type MFAInput struct {
	Cookie string `cookie:"__Host-tuhono" doc:"The session cookie from POST /api/v1/signin."`
	Body   struct {
		Code string `json:"code" maxLength:"32" doc:"A 6-digit authenticator code or a recovery code."`
	}
}

// MFAOutput carries the rotated session cookie.
type MFAOutput struct {
	SetCookie string `header:"Set-Cookie"`
}

func registerSignIn(a huma.API, d Deps) {
	if d.Accounts == nil {
		return
	}
	huma.Register(a, huma.Operation{
		OperationID: "sign-in", Method: http.MethodPost, Path: Prefix + "/signin",
		Summary: "Sign in with e-mail and password", Tags: []string{"Sign-in"},
		Description: "Starts a browser-style session (an HttpOnly __Host- cookie). Failures are one generic 401; " +
			"too many answer 429 with Retry-After. API clients that call on their own behalf should use API tokens instead.",
		Errors: []int{http.StatusUnauthorized, http.StatusTooManyRequests},
	}, func(ctx context.Context, in *SignInInput) (*SignInOutput, error) {
		token, sess, err := d.Accounts.SignIn(ctx, in.Body.Email, in.Body.Password, client(ctx))
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		out := &SignInOutput{SetCookie: d.Sessions.CookieHeader(token)}
		out.Body.UserID, out.Body.Name = sess.User.ID.String(), sess.User.Name
		out.Body.MFARequired = sess.User.MFAEnabled
		return out, nil
	})
	huma.Register(a, huma.Operation{
		OperationID: "sign-in-mfa", Method: http.MethodPost, Path: Prefix + "/signin/mfa",
		Summary: "Pass the MFA challenge", Tags: []string{"Sign-in"},
		Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity, http.StatusTooManyRequests},
	}, func(ctx context.Context, in *MFAInput) (*MFAOutput, error) {
		sess, err := d.Accounts.Authenticate(ctx, in.Cookie)
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		token, err := d.Accounts.VerifyMFA(ctx, sess, in.Body.Code, client(ctx))
		if err != nil {
			return nil, fail(ctx, d.Log, err)
		}
		return &MFAOutput{SetCookie: d.Sessions.CookieHeader(token)}, nil
	})
}

func client(ctx context.Context) account.Client {
	return account.Client{IP: httpx.ClientIPFrom(ctx), UserAgent: httpx.UserAgentFrom(ctx), RequestID: httpx.RequestIDFrom(ctx)}
}
