package httpx

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/models/fault"
)

const (
	slogInfo  = slog.LevelInfo
	slogError = slog.LevelError
)

// ErrorHandler is the one place an error becomes a response: the API answers
// problem+json, pages get a friendly page, nobody sees internal text, and the
// log line carries the request id and no patient details.
func (f *Frame) ErrorHandler(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		err = fromFiber(fe)
	}
	status := Status(err)
	if RequestID(c) == "" {
		f.stamp(c)
	}
	id := RequestID(c)
	if fe := fault.As(err); fe.Kind == fault.KindTooMany && fe.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(fe.RetryAfter.Seconds()+0.999)))
	}
	if status >= 500 {
		f.Log.ErrorContext(c.UserContext(), "request failed", "id", id, "status", status, "err", logSafe(err))
	}
	if strings.HasPrefix(c.Path(), "/api/") || f.Pages == nil {
		p := NewProblem(err, c.Path(), id)
		c.Status(status)
		c.Set(fiber.HeaderContentType, ProblemType)
		return c.JSON(p, ProblemType)
	}
	c.Response().ResetBody()
	return f.Pages.ErrorPage(c, status, id)
}

// fromFiber keeps Fiber's status (404, 405, 413, 415…) with its plain title.
func fromFiber(e *fiber.Error) error {
	if e.Code >= 500 {
		return fault.New(fault.KindInternal, "internal error", e)
	}
	return &Problem{Type: "about:blank", Title: statusText(e.Code), Status: e.Code, Detail: detailFor(e.Code)}
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error"
}

func detailFor(code int) string {
	switch code {
	case fiber.StatusNotFound:
		return "there is nothing at this address"
	case fiber.StatusMethodNotAllowed:
		return "this address does not accept that method"
	case fiber.StatusRequestEntityTooLarge:
		return "the request body is larger than allowed"
	case fiber.StatusUnsupportedMediaType:
		return "this content type is not accepted here"
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return "the request headers are too large"
	}
	return ""
}
