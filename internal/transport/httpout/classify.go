package httpout

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"

	"github.com/busbar/busbar/internal/fault"
)

// ERROR_MESSAGE values (synapse-semantics §3.2).
const (
	msgConnect = "Error connecting to the back end"
	msgSender  = "Error in Sender"
	// MI only logs a socket timeout once the response has started
	// (RESPONSE_HEAD, RESPONSE_BODY) and leaves the exchange hanging until
	// something else gives up. Busbar never leaves a client hanging: it
	// reports 101504 + state like the other socket timeouts, with a
	// message that says what happened, since no MI configuration can be
	// matching on a message MI never produces.
	msgResponseStalled = "Error in Sender: socket timeout while receiving the response"
	msgSendTimeout     = "Send timeout"
)

var errSendTimeout = errors.New("send timeout")

// classify turns the error that ended an exchange into its one fault.
// The first failure recorded during the attempt explains the error net/http
// returns (which is often only a consequence, such as "connection broken"
// or the request body closed by abort), so it wins; otherwise the returned
// error is classified with the state the exchange reached.
func (x *exchange) classify(err error) *fault.Error {
	f, attempted := x.recorded()
	switch f.kind {
	case failSendTimeout:
		return &fault.Error{Code: fault.Num(fault.ConnectionTimeout), Message: msgSendTimeout,
			Detail: fmt.Sprintf("no response from the backend within the endpoint timeout (%s)", f.st),
			Base:   fault.ConnectionTimeout, State: int(f.st)}
	case failConn:
		st := f.st
		// A Read sees a close or reset as soon as the backend acts, while
		// net/http's writer may not yet have reported the request written
		// (a streamed body of known length goes straight to the socket,
		// before the report). If the whole request did go out, the
		// backend acted on a complete request: REQUEST_DONE, as MI, whose
		// state is updated in the thread that writes, would have it.
		if !f.write && st < RequestDone && x.wrote.Load() && !x.wfail.Load() {
			st = RequestDone
		}
		return ioFault(f.err, st)
	case failBody:
		// The source failed (the client stopped sending, or sent too
		// much), not the backend: the fault is the client's, and
		// endpoints do not count it against their state.
		var fe *fault.Error
		if errors.As(f.err, &fe) {
			fe.Inbound = true
			return fe
		}
		fe = transportFault(fault.SndIOError, f.st, msgSender, fmt.Errorf("reading the request body from the client: %w", f.err))
		fe.Inbound, fe.Status = true, 400
		return fe
	}

	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe
	}
	st := x.state()
	if x.parent.Err() != nil {
		// The caller gave up (its client went away). MI reports a
		// cancelled connect as CONNECT_CANCEL; later, the exchange was
		// abandoned mid-I/O.
		if st == RequestReady {
			return transportFault(fault.ConnectCancel, RequestReady, msgConnect, err)
		}
		return transportFault(fault.SndIOError, st, msgSender, err)
	}
	if !attempted {
		// net/http refused the request before looking for a connection
		// (an invalid header value or method): an HTTP error while
		// sending, SND_HTTP_ERROR.
		return transportFault(fault.SndHTTPError, RequestReady, msgSender, err)
	}
	var op *net.OpError
	if st == RequestReady || errors.As(err, &op) && op.Op == "dial" {
		// No connection: refused, unreachable, DNS, TLS handshake.
		if isTimeout(err) {
			return transportFault(fault.ConnectTimeout, RequestReady, msgConnect, err)
		}
		return transportFault(fault.ConnectionFailed, RequestReady, msgConnect, err)
	}
	if isProtocolError(err) {
		return transportFault(fault.ProtocolViolation, st, msgSender, err)
	}
	return ioFault(err, st)
}

// ioFault classifies an I/O error on an established connection: socket
// timeout 101504, closed by the backend 101505, anything else (a reset, a
// broken pipe) 101500, each plus the state.
func ioFault(err error, st State) *fault.Error {
	switch {
	case isTimeout(err):
		msg := msgSender
		if st >= ResponseHead {
			msg = msgResponseStalled
		}
		return transportFault(fault.ConnectionTimeout, st, msg, err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "server closed idle connection"):
		return transportFault(fault.ConnectionClosed, st, msgSender, err)
	}
	return transportFault(fault.SndIOError, st, msgSender, err)
}

// transportFault builds a fault with MI's arithmetic: code = base + state.
// Connect-phase failures are always in REQUEST_READY, so their codes stay
// unchanged.
func transportFault(base int, st State, msg string, err error) *fault.Error {
	return &fault.Error{Code: fault.Num(base + int(st)), Message: msg, Detail: err.Error(), Cause: err, Base: base, State: int(st)}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// protocolErrors are the texts of net/http's errors for a response that is
// not valid HTTP/1.1 (Synapse's HttpException); net/http does not export
// them as values.
var protocolErrors = []string{
	"malformed HTTP", "malformed MIME header", "malformed chunked encoding",
	"invalid byte in chunk length", "chunked line ends with bare LF", "invalid CR in chunked line",
	"empty hex number for chunk length", "http chunk length too large", "chunked encoding contains too much non-data",
	"header line too long", "bad Content-Length", "invalid empty Content-Length", "multiple Content-Length",
	"unsupported transfer encoding", "too many transfer encodings", "bad trailer key", "suspiciously long trailer",
	"server response headers exceeded", "too many 1xx informational responses",
}

func isProtocolError(err error) bool {
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		return true
	}
	s := err.Error()
	for _, p := range protocolErrors {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
