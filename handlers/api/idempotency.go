package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/models/idempotency"
	"github.com/tuhono/tuhono/tenants"
)

// Idempotent creation. An operation opts in by setting
// Metadata[MetaIdempotent] = true (or registering through idempotent(op)) and
// embedding IdempotencyHeader in its input so the OpenAPI document shows the
// header. A request that sends an Idempotency-Key then follows Stripe's rules
// (models/idempotency): the same key and request replay the first answer,
// status and body, with Idempotent-Replayed: true; the same key with another
// body is a 422; a retry while the first is running is a 409 with
// Retry-After, never a second effect; a 5xx is forgotten so a retry can
// succeed; keys last 24 hours and belong to one caller in one tenant. Without
// the header the operation runs as usual.

// MetaIdempotent is the operation Metadata key that turns the
// Idempotency-Key handling on.
const MetaIdempotent = "idempotent"

// IdempotencyHeader documents the header; embed it in a creating operation's
// input. The middleware reads the header itself.
type IdempotencyHeader struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" pattern:"^[!-~]+$" doc:"Any unique string (a UUID is best) that makes a retry safe: the same key and body within 24 hours return the first response again, with Idempotent-Replayed: true."`
}

// idempotent marks op as idempotent-capable and lists the answers a key can
// bring.
func idempotent(op huma.Operation) huma.Operation {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[MetaIdempotent] = true
	for _, s := range []int{http.StatusConflict, http.StatusUnprocessableEntity} {
		if !containsInt(op.Errors, s) {
			op.Errors = append(op.Errors, s)
		}
	}
	return op
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// idempotencyMiddleware runs after tenantMiddleware (it needs the tenant and
// the caller) on every operation that opted in.
func idempotencyMiddleware(a huma.API, d Deps) func(huma.Context, func(huma.Context)) {
	return func(hc huma.Context, next func(huma.Context)) {
		op := hc.Operation()
		key := hc.Header("Idempotency-Key")
		if op == nil || op.Metadata[MetaIdempotent] != true || key == "" {
			next(hc)
			return
		}
		ctx := hc.Context()
		actor, _ := tenants.ActorFrom(ctx)
		c := humafiber.Unwrap(hc)
		r := idempotency.Request{UserID: actor.UserID, Key: key, Operation: op.OperationID,
			Hash: idempotency.Hash(c.Method(), c.OriginalURL(), c.Body())}
		stored, replay, err := idempotency.Begin(ctx, d.DB, r)
		if err != nil {
			if f := fault.As(err); f.Kind == fault.KindConflict && f.RetryAfter > 0 {
				hc.SetHeader("Retry-After", strconv.Itoa(int(f.RetryAfter.Seconds()+0.999)))
			}
			huma.WriteErr(a, hc, httpx.Status(err), "", fail(ctx, d.Log, err))
			return
		}
		if replay {
			writeStored(hc, stored)
			return
		}
		finished := false
		defer func() {
			if !finished {
				// next panicked: forget the claim, then let the panic go on.
				settle(ctx, d, r, idempotency.Response{Status: http.StatusInternalServerError})
			}
		}()
		next(hc)
		finished = true
		res := c.Response()
		settle(ctx, d, r, idempotency.Response{Status: res.StatusCode(), ContentType: string(res.Header.ContentType()),
			Location: string(res.Header.Peek("Location")), Body: bytes.Clone(res.Body())})
	}
}

// settle stores the answer, or forgets the claim of a server failure. It
// outlives the request's deadline: a claim left in flight would block the
// key's retries for the whole lease.
func settle(ctx context.Context, d Deps, r idempotency.Request, resp idempotency.Response) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var err error
	if resp.Status >= 500 || resp.Status < 200 {
		err = idempotency.Abandon(ctx, d.DB, r)
	} else {
		err = idempotency.Finish(ctx, d.DB, r, resp)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		d.Log.ErrorContext(ctx, "idempotency key not settled", "id", httpx.RequestIDFrom(ctx), "err", db.LogSafe(err))
	}
}

func writeStored(hc huma.Context, s idempotency.Response) {
	if s.ContentType != "" {
		hc.SetHeader("Content-Type", s.ContentType)
	}
	if s.Location != "" {
		hc.SetHeader("Location", s.Location)
	}
	hc.SetHeader("Idempotent-Replayed", "true")
	hc.SetStatus(s.Status)
	_, _ = hc.BodyWriter().Write(s.Body)
}
