// Package fault defines Busbar's single error type. Every failure that can
// reach a fault handler or a client carries a Synapse error code (a number,
// or the string type of a throwError), a message, a detail, the mediation
// path where it happened and the fault it replaced, so that fault sequences,
// logs, metrics and default answers all describe the same thing.
package fault

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Code is a Synapse error code: a number such as 101503, or the string type
// given to a throwError mediator. The zero Code means "no code".
type Code struct {
	num int
	str string
	set bool
}

// Num returns a numeric code.
func Num(n int) Code { return Code{num: n, set: true} }

// Str returns a string code (throwError types).
func Str(s string) Code { return Code{str: s, set: true} }

// ParseCode turns a property value into a code. A value that is not an
// integer is kept as a string code; Busbar treats a non-integer ERROR_CODE as
// "no numeric code" wherever Synapse would have cast it (DESIGN §3.6).
func ParseCode(s string) Code {
	s = strings.TrimSpace(s)
	if s == "" {
		return Code{}
	}
	if n, err := strconv.Atoi(s); err == nil {
		return Num(n)
	}
	return Str(s)
}

// IsSet reports whether the code holds anything.
func (c Code) IsSet() bool { return c.set }

// Int returns the numeric value and whether the code is numeric.
func (c Code) Int() (int, bool) { return c.num, c.set && c.str == "" }

// String renders the code as Synapse properties hold it.
func (c Code) String() string {
	if !c.set {
		return ""
	}
	if c.str != "" {
		return c.str
	}
	return strconv.Itoa(c.num)
}

// Value returns the code as a property value: int for numeric codes,
// string for throwError types.
func (c Code) Value() any {
	if n, ok := c.Int(); ok {
		return n
	}
	return c.str
}

// Well-known Synapse error codes (synapse-semantics §3.1).
const (
	DefaultError               = 0
	SndIOError                 = 101500
	ConnectionFailed           = 101503
	ConnectionTimeout          = 101504
	ConnectionClosed           = 101505
	ProtocolViolation          = 101506
	ConnectCancel              = 101507
	ConnectTimeout             = 101508
	SndHTTPError               = 102510
	EndpointNoneReady          = 303000
	EndpointAddressNoneReady   = 303001
	EndpointAuthFailure        = 303003
	EndpointIndirectNotReady   = 305100
	BlockingSenderFailed       = 401002
	NonBlockingCallFailed      = 401003
	EndpointCustomError        = 500000
	MessageParsingError        = 601000
	MessageTooLarge            = 601413 // Busbar: request body over the configured limit.
	MediationRuntimeErrMessage = "Runtime error occurred while mediating the message"
)

// Error is the one error type of Busbar. The zero value is not useful; build
// one with New or Wrap.
type Error struct {
	Code    Code
	Message string
	Detail  string
	// Cause is the underlying Go error, if any (ERROR_EXCEPTION).
	Cause error
	// Path is the mediation path of the mediator or endpoint that failed,
	// e.g. "api[orders]/resource[1]/inSequence/filter[2]/then/call[1]".
	Path string
	// Base and State are the PassThrough base code and protocol state
	// (BASE_ERROR_CODE, PROTOCOL_STATE_ON_FAILURE); State is -1 when the
	// failure did not come from the transport.
	Base  int
	State int
	// Status, when non-zero, is the HTTP status Busbar answers with if no
	// fault handler responds (DESIGN §3.1).
	Status int
	// Prev is the fault this one replaced in the same message (FAIL_INFO's
	// predecessor chain).
	Prev *Error
	// Inbound says the failure was the client's (its request body could
	// not be read), not the backend's: endpoints do not count it against
	// their state and groups do not fail over.
	Inbound bool
	// SkipHandlers says no fault sequence runs for this fault: an endpoint
	// timeout with responseAction "discard". The client still gets the
	// default answer (DESIGN §3.2).
	SkipHandlers bool
	// Trail is the invocation path when the fault happened: each mediator
	// entered, how, and how it was left (FAIL_INFO).
	Trail []Step
}

// Step is one mediator of an invocation path.
type Step struct {
	Path string
	// Entered is "request", "response" or "fault" (running as a fault
	// handler); Left is "out" (continued), "stop", "fail" or "" (still
	// running when the fault happened).
	Entered string
	Left    string
}

// New returns an error with a numeric code.
func New(code int, msg string) *Error {
	return &Error{Code: Num(code), Message: msg, Detail: msg, State: -1}
}

// Newf is New with formatting.
func Newf(code int, format string, args ...any) *Error {
	return New(code, fmt.Sprintf(format, args...))
}

// Wrap converts any error into an *Error. An *Error inside err is returned
// as is; anything else becomes code 0 with the error text, as Synapse's
// FaultHandler does for a mediator exception.
func Wrap(err error) *Error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	msg := err.Error()
	if msg == "" {
		msg = MediationRuntimeErrMessage
	}
	return &Error{Code: Num(DefaultError), Message: firstLine(msg), Detail: msg, Cause: err, State: -1}
}

// WithPath sets the path if it is not set yet and returns e; the innermost
// mediator that saw the error names it.
func (e *Error) WithPath(path string) *Error {
	if e.Path == "" {
		e.Path = path
	}
	return e
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Code.IsSet() {
		b.WriteString(e.Code.String())
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Path != "" {
		b.WriteString(" (at ")
		b.WriteString(e.Path)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Exception returns the ERROR_EXCEPTION text: the cause's text if there is a
// cause, else the message.
func (e *Error) Exception() string {
	if e.Cause != nil {
		return e.Cause.Error()
	}
	return e.Message
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
