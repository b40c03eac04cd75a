package fault

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kind classifies an error for the people and programs on the other side.
type Kind int

const (
	KindInternal Kind = iota
	KindNotFound
	KindConflict
	KindForbidden
	KindInvalid
	KindUnavailable
	KindUnauthenticated
	KindTooMany
)

// Sentinels for errors.Is: fault.Is(err, fault.NotFound) and friends.
var (
	NotFound        = &Error{Kind: KindNotFound, Message: "not found"}
	Conflict        = &Error{Kind: KindConflict, Message: "conflicts with the current state"}
	Forbidden       = &Error{Kind: KindForbidden, Message: "not allowed"}
	Invalid         = &Error{Kind: KindInvalid, Message: "invalid input"}
	Unavailable     = &Error{Kind: KindUnavailable, Message: "temporarily unavailable"}
	Unauthenticated = &Error{Kind: KindUnauthenticated, Message: "sign-in required"}
	TooMany         = &Error{Kind: KindTooMany, Message: "too many attempts"}
)

// FieldError is one message about one input field, written for the person who
// typed it ("must be a valid NHI number"), never containing internal detail.
type FieldError struct {
	Field   string
	Message string
}

// Error is a classified error. Message is safe to show; Cause is kept for the
// log only.
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError
	Cause   error
	// RetryAfter tells a throttled caller when to try again (KindTooMany).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// Is makes every *Error match the sentinel of its kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && (t == NotFound || t == Conflict || t == Forbidden ||
		t == Invalid || t == Unavailable || t == Unauthenticated || t == TooMany)
}

// New returns an error of kind with a message safe to show, wrapping cause for
// the log.
func New(kind Kind, message string, cause error) *Error {
	return &Error{Kind: kind, Message: message, Cause: cause}
}

// Fields collects field messages; its Err is nil when no field is wrong, so
// validation reads: var f fault.Fields; f.Add(...); return f.Err().
type Fields []FieldError

// Add records a message for field.
func (f *Fields) Add(field, message string) { *f = append(*f, FieldError{field, message}) }

// Err returns an invalid-input error carrying every message, or nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	out := append([]FieldError(nil), f...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return &Error{Kind: KindInvalid, Message: "some fields need attention", Fields: out}
}

// InvalidField is shorthand for one bad field.
func InvalidField(field, message string) error {
	return &Error{Kind: KindInvalid, Message: "some fields need attention", Fields: []FieldError{{field, message}}}
}

// As returns the classified error in err's chain, or an internal one.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindInternal, Message: "internal error", Cause: err}
}
