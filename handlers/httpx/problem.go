package httpx

import (
	"errors"
	"net/http"

	"github.com/tuhono/tuhono/models/fault"
)

// ProblemType is the content type of every API error (RFC 9457).
const ProblemType = "application/problem+json"

// Problem is an RFC 9457 problem document. It also satisfies huma's
// StatusError and ContentTypeFilter, so the API's generated handlers and the
// frame's own errors answer in one shape.
type Problem struct {
	Type      string         `json:"type,omitempty" doc:"A URI naming the kind of problem; about:blank when the status says it all."`
	Title     string         `json:"title" doc:"Short summary of the kind of problem."`
	Status    int            `json:"status" doc:"HTTP status code."`
	Detail    string         `json:"detail,omitempty" doc:"What went wrong, for a person."`
	Instance  string         `json:"instance,omitempty" doc:"The path that was requested."`
	RequestID string         `json:"request_id,omitempty" doc:"Quote this to support: it finds the log line."`
	Errors    []FieldProblem `json:"errors,omitempty" doc:"One entry per invalid input field."`
}

// FieldProblem is one invalid input field.
type FieldProblem struct {
	Location string `json:"location" doc:"Where the bad value is, e.g. body.name or path.tenant."`
	Message  string `json:"message" doc:"What is wrong with it."`
}

func (p *Problem) Error() string                { return p.Title + ": " + p.Detail }
func (p *Problem) GetStatus() int               { return p.Status }
func (p *Problem) ContentType(ct string) string { return ProblemType }

// Status is the HTTP status for an error of the fault vocabulary.
func Status(err error) int {
	var p *Problem
	if errors.As(err, &p) {
		return p.Status
	}
	switch fault.As(err).Kind {
	case fault.KindNotFound:
		return http.StatusNotFound
	case fault.KindConflict:
		return http.StatusConflict
	case fault.KindForbidden:
		return http.StatusForbidden
	case fault.KindInvalid:
		return http.StatusUnprocessableEntity
	case fault.KindUnavailable:
		return http.StatusServiceUnavailable
	case fault.KindUnauthenticated:
		return http.StatusUnauthorized
	case fault.KindTooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// NewProblem builds the problem document for err. Internal errors become a
// bare 500: their text is for the log only.
func NewProblem(err error, instance, requestID string) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		q := *p
		q.Instance, q.RequestID = instance, requestID
		return &q
	}
	status := Status(err)
	q := &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Instance: instance, RequestID: requestID}
	if status == http.StatusInternalServerError {
		return q
	}
	f := fault.As(err)
	q.Detail = f.Message
	for _, fe := range f.Fields {
		q.Errors = append(q.Errors, FieldProblem{Location: "body." + fe.Field, Message: fe.Message})
	}
	return q
}
