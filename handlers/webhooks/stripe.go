package webhooks

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/billing"
	"github.com/tuhono/tuhono/models/fault"
)

// StripePath is where Stripe posts events.
const StripePath = "/webhooks/stripe"

// Tolerance is how far a signature's timestamp may be from now.
const Tolerance = 5 * time.Minute

// maxBody bounds an event: Stripe's are a few kilobytes.
const maxBody = 512 << 10

// Stripe is the webhook handler.
func Stripe(svc *billing.Service, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := httpx.Context(c)
		raw := c.Body()
		if len(raw) == 0 || len(raw) > maxBody {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "an event body of 1 byte to 512 KiB is required"})
		}
		// fasthttp reuses the buffer once the handler returns.
		body := append([]byte(nil), raw...)
		sig := c.Get("Stripe-Signature")
		if sig == "" {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "missing Stripe-Signature"})
		}
		ev, err := webhook.ConstructEventWithOptions(body, sig, svc.Cfg.WebhookSecret,
			webhook.ConstructEventOptions{Tolerance: Tolerance})
		if err == nil && ahead(sig, time.Now()) {
			// stripe-go only refuses old signatures; one from the future
			// is as far outside the window.
			err = webhook.ErrTooOld
		}
		if err != nil {
			log.WarnContext(ctx, "stripe webhook refused", "reason", refusal(err))
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "the event's signature, timestamp or API version is not acceptable"})
		}
		outcome, err := svc.Apply(ctx, ev)
		if err != nil {
			var fe *fault.Error
			if errors.As(err, &fe) && fe.Kind == fault.KindInvalid {
				log.WarnContext(ctx, "stripe webhook malformed", "event", ev.ID, "type", string(ev.Type))
				return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "the event's object is not what its type says"})
			}
			// Stripe retries a 5xx with backoff: the event is not lost.
			return err
		}
		if outcome == billing.OutcomeUnknown {
			log.WarnContext(ctx, "stripe event for a customer we do not know", "event", ev.ID, "type", string(ev.Type))
		} else {
			log.InfoContext(ctx, "stripe event", "event", ev.ID, "type", string(ev.Type), "outcome", outcome)
		}
		return c.JSON(fiber.Map{"received": true, "outcome": outcome})
	}
}

// ahead reports whether a Stripe-Signature's timestamp (t=…) is more than
// Tolerance after now.
func ahead(header string, now time.Time) bool {
	for _, part := range strings.Split(header, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
			sec, err := strconv.ParseInt(v, 10, 64)
			return err != nil || time.Unix(sec, 0).Sub(now) > Tolerance
		}
	}
	return true
}

// refusal names why a payload was refused, without its content.
func refusal(err error) string {
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return "not signed"
	case errors.Is(err, webhook.ErrInvalidHeader):
		return "invalid signature header"
	case errors.Is(err, webhook.ErrTooOld):
		return "timestamp outside the 5-minute tolerance"
	case errors.Is(err, webhook.ErrNoValidSignature):
		return "no valid signature"
	}
	return "unparseable or another API version"
}
