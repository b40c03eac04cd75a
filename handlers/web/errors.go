package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tuhono/tuhono/handlers/httpx"
	"github.com/tuhono/tuhono/models/fault"
)

// errorCopy is what a person reads for one status: a heading in te reo Māori
// (where we have a well-established phrase) and English, and what to do next.
type errorCopy struct {
	Mi, En string
	Detail string
}

var errorCopies = map[int]errorCopy{
	fiber.StatusBadRequest: {
		En: "Bad request", Detail: "Something in the request was not quite right, so nothing was changed. Go back, check what you entered and try again.",
	},
	fiber.StatusUnauthorized: {
		Mi: "Me takiuru koe", En: "Sign in needed", Detail: "You need to be signed in to see this page.",
	},
	fiber.StatusForbidden: {
		Mi: "Kāore e whakaaetia", En: "Not allowed", Detail: "Your account does not have access to this page. If you think it should, ask your practice administrator.",
	},
	fiber.StatusNotFound: {
		Mi: "Kāore i kitea", En: "Page not found", Detail: "We could not find that page. It may have moved, or the address may be mistyped.",
	},
	fiber.StatusRequestEntityTooLarge: {
		En: "Too large", Detail: "What you sent is larger than we accept, so nothing was changed. Try a smaller file.",
	},
	fiber.StatusUnsupportedMediaType: {
		En: "Unsupported format", Detail: "We cannot read that kind of file or form, so nothing was changed.",
	},
	fiber.StatusTooManyRequests: {
		En: "Too many requests", Detail: "There have been too many requests in a short time. Please wait a minute and try again.",
	},
	fiber.StatusInternalServerError: {
		Mi: "He raru", En: "Something went wrong", Detail: "Something went wrong on our side. It has been logged; please try again in a little while.",
	},
	fiber.StatusServiceUnavailable: {
		En: "Unavailable", Detail: "Tūhono is briefly unavailable. Please try again in a few minutes.",
	},
}

// Any other 4xx keeps its status (a 405 is still a 405 to a client) with
// wording that does not pretend to know more.
var otherClientError = errorCopy{
	En: "Request not completed", Detail: "We could not complete that request, so nothing was changed.",
}

// maxRequestIDRunes bounds what is echoed back: the id comes from a header
// that a proxy might have passed through from a client.
const maxRequestIDRunes = 64

type errorPage struct {
	layout
	Status    int
	Heading   errorCopy
	RequestID string
}

// ErrorPage renders the friendly error page for status into the response
// with that status. The known statuses (400, 401, 403, 404, 413, 415, 429,
// 500, 503) have their own wording; any other 4xx keeps its status with
// generic wording; any other 5xx keeps its status with the 500 wording; a
// status outside 400–599 is a caller bug and becomes a 500, so an error page
// is never sent as a success. requestID is shown as the reference for
// support; internal error text never reaches this page, by construction.
func (s *Site) ErrorPage(c *fiber.Ctx, status int, requestID string) error {
	return s.errorPage(c, status, requestID, "")
}

// messagePage is the error page for a fault whose message the domain wrote
// for people ("this invitation link is not valid: it may have been used
// already or have expired"): the message replaces the generic detail. An
// internal error never gets here with its text: it is a plain 500.
func (s *Site) messagePage(c *fiber.Ctx, err error) error {
	fe := fault.As(err)
	status := httpx.Status(err)
	detail := ""
	if fe.Kind != fault.KindInternal {
		detail = sentence(fe.Message)
	}
	return s.errorPage(c, status, requestID(c), detail)
}

func (s *Site) errorPage(c *fiber.Ctx, status int, requestID, detail string) error {
	words, ok := errorCopies[status]
	switch {
	case ok:
	case status >= 400 && status < 500:
		words = otherClientError
	case status >= 500 && status < 600:
		words = errorCopies[fiber.StatusInternalServerError]
	default:
		status = fiber.StatusInternalServerError
		words = errorCopies[status]
	}
	if r := []rune(requestID); len(r) > maxRequestIDRunes {
		requestID = string(r[:maxRequestIDRunes])
	}
	// A failed download must not leave its attachment header on the page
	// that replaces it, or the browser would save the error page as a file.
	c.Response().Header.Del(fiber.HeaderContentDisposition)
	if detail != "" {
		words.Detail = detail
	}
	return s.render(c, status, pageError, errorPage{
		layout:    s.page(c, words.En, words.Detail, ""),
		Status:    status,
		Heading:   words,
		RequestID: requestID,
	})
}
