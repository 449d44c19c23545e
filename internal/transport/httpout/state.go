package httpout

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// State is the PassThrough protocol state of an outbound exchange
// (synapse-semantics §3.2). Transport failures are reported as a base code
// plus the state the exchange was in, so the state must be tracked as the
// exchange progresses rather than guessed afterwards.
type State int32

// Protocol states, numbered as Synapse's ProtocolState ordinals.
const (
	RequestReady State = iota
	RequestHead
	RequestBody
	RequestDone
	ResponseHead
	ResponseBody
	ResponseDone
	Closing
	Closed
)

var stateNames = [...]string{"REQUEST_READY", "REQUEST_HEAD", "REQUEST_BODY", "REQUEST_DONE", "RESPONSE_HEAD", "RESPONSE_BODY", "RESPONSE_DONE", "CLOSING", "CLOSED"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "UNKNOWN"
}

// How each state is entered (the transitions are driven by what really
// happened on the wire, never inferred after a failure):
//
//	REQUEST_READY  GetConn hook: an attempt starts and waits for a
//	               connection (from the pool, the limiter queue or a dial).
//	REQUEST_HEAD   GotConn hook: a connection is ours; the head is written.
//	REQUEST_BODY   WroteHeaders hook, for requests with a body: the head is
//	               in the connection's buffer (or, for a streamed body, on
//	               the wire) and the body is being copied. A slow or stalled
//	               body therefore stays observable in this state.
//	REQUEST_DONE   WroteRequest hook without error: the whole request was
//	               handed to the connection. The last few bytes may still
//	               sit in net/http's 4 KB write buffer, flushed right after
//	               the hook, as in MI, whose state changes when the encoder
//	               completes, before the I/O reactor flushes. A write that
//	               fails after it is attributed to the state before, since
//	               the request did not go out (exchange.connFailed).
//	RESPONSE_HEAD  GotFirstResponseByte hook.
//	RESPONSE_BODY  Do has parsed the head and returns the response.
//	RESPONSE_DONE  the response body reached EOF (at once without a body).
//
// The state only moves forward within an attempt, so that an early
// response (a backend answering before it read the whole request) is not
// pulled back to REQUEST_DONE by the writer finishing later.

// failKind says where a recorded failure came from.
type failKind uint8

const (
	failNone failKind = iota
	// failConn is an I/O error seen on the exchange's connection.
	failConn
	// failBody is an error reading the request body we were sending.
	failBody
	// failSendTimeout is the endpoint deadline (Request.Timeout).
	failSendTimeout
)

// failure is the first failure of an attempt and the state it happened in.
type failure struct {
	kind  failKind
	err   error
	st    State
	write bool // seen by a Write (else by a Read)
}

// exchange is one call to Do. Trace hooks run on the transport's
// goroutines and connection events on the reader and writer goroutines, so
// the state is atomic and the recorded failure is guarded by mu. The
// request and response body wrappers are embedded to save allocations.
type exchange struct {
	c      *Client
	st     atomic.Int32
	conn   atomic.Pointer[trackedConn] // the connection of the current attempt
	wrote  atomic.Bool                 // the current attempt's request was fully written
	wfail  atomic.Bool                 // a write on the current attempt's connection failed
	done   atomic.Bool                 // finish ran
	parent context.Context
	cancel context.CancelCauseFunc // nil on the fast path without a limiter
	fast   bool                    // the exchange runs on the fast path
	// On the fast path, abort is the cause that ended the exchange from
	// outside (the send timeout) and dialCancel cuts a dial short.
	abort      error
	dialCancel context.CancelCauseFunc
	slot       *hostSlots // limiter slot, nil when the limiter is off
	// The send timer is either the exchange's own (timer: with the
	// limiter, a dial, a re-send, net/http) or, for the usual fast-path
	// exchange on a pooled connection, that connection's reusable one
	// (sendConn, armed at sendStart): no timer allocated per request.
	timer     *time.Timer
	sendConn  *fastConn
	sendStart time.Time

	mu        sync.Mutex
	fail      failure
	reset     error // a connection reset seen by the reader or the writer
	attempted bool  // GetConn ran: the request reached the connection pool
	headers   bool  // the response head arrived; the send timer no longer applies
	hasBody   bool

	body  requestBody
	resp  responseBody
	trace httptrace.ClientTrace
	// The fast path's response and its body reader.
	fastResp Response
	fastBody fastBody
}

func (x *exchange) state() State { return State(x.st.Load()) }

// advance moves the state forward to s (never back).
func (x *exchange) advance(s State) {
	for {
		cur := x.st.Load()
		if cur >= int32(s) {
			return
		}
		if x.st.CompareAndSwap(cur, int32(s)) {
			break
		}
	}
	if h := x.c.hooks; h != nil && h.state != nil {
		h.state(s)
	}
}

func (x *exchange) clientTrace() *httptrace.ClientTrace {
	x.trace = httptrace.ClientTrace{
		GetConn: func(string) { x.newAttempt() },
		GotConn: func(i httptrace.GotConnInfo) { x.gotConn(i.Conn) },
		WroteHeaders: func() {
			if x.hasBody {
				x.advance(RequestBody)
			}
		},
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if h := x.c.hooks; h != nil && h.wroteRequest != nil {
				h.wroteRequest()
			}
			if i.Err == nil {
				x.wrote.Store(true)
				x.advance(RequestDone)
			}
		},
		GotFirstResponseByte: func() { x.advance(ResponseHead) },
	}
	return &x.trace
}

// newAttempt starts (or restarts) the exchange. net/http retries a request
// on a new connection when a reused one turns out to be dead (see Do), and
// calls GetConn again for that attempt: the previous attempt's connection
// and failure are forgotten, so that what is finally reported is the state
// and failure of the attempt that failed last. A send timeout is kept: it
// ends the whole exchange, not one attempt.
func (x *exchange) newAttempt() {
	x.mu.Lock()
	x.attempted = true
	if old := x.conn.Swap(nil); old != nil {
		old.x.CompareAndSwap(x, nil)
	}
	if x.fail.kind != failSendTimeout {
		x.fail = failure{}
	}
	x.reset = nil
	x.wrote.Store(false)
	x.wfail.Store(false)
	x.st.Store(int32(RequestReady))
	x.mu.Unlock()
	if h := x.c.hooks; h != nil && h.state != nil {
		h.state(RequestReady)
	}
}

// gotConn binds the attempt to its connection so that I/O errors on it are
// attributed to this exchange.
func (x *exchange) gotConn(c net.Conn) {
	x.advance(RequestHead)
	tc := asTracked(c)
	if tc == nil {
		return
	}
	x.conn.Store(tc)
	tc.x.Store(x)
	// The connection may have sat idle with its read deadline running;
	// the exchange gets (at least three quarters of) a socket timeout.
	if tc.timeout > 0 {
		tc.push(true)
	}
}

// connFailed records an I/O error seen on c, if c is the current attempt's
// connection and nothing failed before.
func (x *exchange) connFailed(c *trackedConn, err error, write bool) {
	x.mu.Lock()
	if x.conn.Load() == c {
		if x.fail.kind == failNone {
			st := x.state()
			if write && st == RequestDone {
				// The final flush failed: the request did not go out.
				st = RequestHead
				if x.hasBody {
					st = RequestBody
				}
			}
			x.fail = failure{kind: failConn, err: err, st: st, write: write}
		}
		if x.reset == nil && errors.Is(err, syscall.ECONNRESET) {
			x.reset = err
		}
	}
	x.mu.Unlock()
	if h := x.c.hooks; h != nil && h.failed != nil {
		h.failed()
	}
}

// connClosing is called when the current attempt's connection is closed
// (by a failure, a cancellation or the send timeout). If the request is
// still being written, the writer may be blocked reading a stalled request
// body, and net/http waits for the writer before it returns: closing the
// body unblocks it, so Do returns instead of hanging with the body.
func (x *exchange) connClosing(c *trackedConn) {
	if x.conn.Load() == c && x.state() < RequestDone {
		x.body.abort()
	}
}

// bodyFailed records an error reading the request body.
func (x *exchange) bodyFailed(err error) {
	x.mu.Lock()
	if x.fail.kind == failNone {
		x.fail = failure{kind: failBody, err: err, st: x.state()}
	}
	x.mu.Unlock()
}

// sendTimeout runs when Request.Timeout expires: the exchange fails with
// the raw 101504 "Send timeout" unless the response head already arrived
// (then the deadline no longer applies) or a failure was seen first.
func (x *exchange) sendTimeout() {
	x.mu.Lock()
	if x.headers {
		x.mu.Unlock()
		return
	}
	if x.fail.kind == failNone {
		x.fail = failure{kind: failSendTimeout, st: x.state()}
	}
	x.mu.Unlock()
	if x.cancel != nil {
		x.cancel(errSendTimeout)
	}
	if x.fast {
		x.abortFast(errSendTimeout)
	}
	// A request waiting in the limiter queue has no connection to close;
	// one on a connection is cancelled by net/http, which closes it.
	x.body.abort()
}

// abortFast ends a fast-path exchange from outside: the connection it
// uses is closed, which fails the I/O pending on it, or the dial under
// way is cancelled. An exchange that gets its connection after this sees
// the cause (aborted) and stops.
func (x *exchange) abortFast(cause error) {
	x.mu.Lock()
	if x.abort == nil {
		x.abort = cause
	}
	dc := x.dialCancel
	x.mu.Unlock()
	if dc != nil {
		dc(cause)
	}
	if tc := x.conn.Load(); tc != nil {
		tc.Close()
	}
}

// aborted returns the cause abortFast recorded, if any.
func (x *exchange) aborted() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.abort
}

// gotHeaders marks the response head as received. It reports false if the
// send timeout fired first, in which case the late response is dropped as
// MI's callback would drop it. Failures recorded while the request was
// sent (a write error after an early response, say) no longer matter and
// are forgotten, so that body failures are classified on their own.
func (x *exchange) gotHeaders() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.fail.kind == failSendTimeout {
		return false
	}
	x.headers = true
	x.fail = failure{}
	return true
}

// recorded returns the first failure of the current attempt.
//
// A reset arriving while net/http both reads and writes the connection is
// reported as ECONNRESET to whichever of the two takes the socket error
// first; the other then only sees the connection shut: EOF for the reader.
// The reader's EOF must not pass for an orderly close then: if the writer
// got ECONNRESET, the reset came while the connection was established, so
// no FIN preceded it (after a FIN the kernel reports a later reset as
// EPIPE), and the failure is the reset.
func (x *exchange) recorded() (failure, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	f := x.fail
	if f.kind == failConn && x.reset != nil && errors.Is(f.err, io.EOF) {
		f.err = x.reset
	}
	return f, x.attempted
}

// startTimer runs the send timeout on the exchange's own timer.
func (x *exchange) startTimer(d time.Duration) {
	x.timer = time.AfterFunc(d, x.sendTimeout)
}

// stopTimer stops the send timeout, whichever timer runs it.
func (x *exchange) stopTimer() {
	if x.timer != nil {
		x.timer.Stop()
	}
	if fc := x.sendConn; fc != nil {
		x.sendConn = nil
		fc.disarm()
	}
}

// finish releases what the exchange holds, once: the connection binding,
// the limiter slot and the context.
func (x *exchange) finish() {
	if !x.done.CompareAndSwap(false, true) {
		return
	}
	if tc := x.conn.Swap(nil); tc != nil {
		tc.x.CompareAndSwap(x, nil)
	}
	if x.slot != nil {
		x.c.limits.release(x.slot)
	}
	if x.cancel != nil {
		x.cancel(nil)
	}
}
