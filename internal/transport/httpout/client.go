// Package httpout is Busbar's outbound HTTP transport. It sends a request
// to a backend, streams bodies both ways, reuses connections, tracks the
// PassThrough protocol state of every exchange, and classifies every failure
// exactly once into a Synapse error code (base code + protocol state) so
// that endpoints and fault sequences only ever see fault.Error values.
package httpout

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"syscall"
	"time"

	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/transport/sock"
)

// Request is one outbound call. Body, if not nil, is read to the end and
// closed by Do; it must allow Close concurrently with Read, and Close
// should unblock a pending Read (net/http's contract for request bodies):
// Do closes the body to stop sending it when the exchange fails. Timeout
// bounds the whole exchange up to the response headers; zero means no
// limit beyond the caller's context.
type Request struct {
	Method        string
	URL           string
	Header        http.Header
	Body          io.ReadCloser
	ContentLength int64 // -1 or 0: unknown (chunked), unless InMemory
	// InMemory says Body reads bytes already in memory (ContentLength of
	// them): it cannot stall or fail, so it goes to net/http unwrapped,
	// which then writes head and body in one go.
	InMemory bool
	Timeout  time.Duration
}

// Response is a backend's answer. Body must be read or closed by the
// caller; its read errors are classified faults too.
type Response struct {
	Status        int
	Header        http.Header
	Body          io.ReadCloser
	ContentLength int64
}

// Options tune the client.
type Options struct {
	// DialTimeout bounds connection establishment, TLS handshake included
	// (101508 when exceeded). Zero means 30 s.
	DialTimeout time.Duration
	// SocketTimeout is MI's http.socket.timeout: the longest a connection
	// may go without progress while an exchange uses it (101504 + state,
	// in every state, the response body included), and the idle time
	// after which a pooled connection is closed (as is any connection
	// idle for 90 s). Zero means MI's default, 180 s; negative means none.
	SocketTimeout time.Duration
	// MaxIdlePerHost is the keep-alive pool size per backend. Zero means
	// 512.
	MaxIdlePerHost int
	// MaxConnsPerHost bounds the exchanges in flight per backend (MI's
	// http.max.connection.per.host.port), hence the connections in use.
	// Zero means unlimited.
	MaxConnsPerHost int
	// MaxQueuedPerHost is how many requests may wait for one of those
	// connections: a request beyond it fails with 101504 "Number of queued
	// messages exceeds the limit". Zero means none may wait: a request
	// finding every connection busy fails with 101504 "No available
	// connections to serve the request". Negative means no limit. Waiting
	// is bounded by the endpoint timeout. Unused without MaxConnsPerHost.
	MaxQueuedPerHost int
}

// Client sends requests. It is safe for concurrent use and meant to be
// shared by every endpoint of a process.
type Client struct {
	tr      *http.Transport
	dialer  net.Dialer
	timeout time.Duration // socket timeout, <= 0: none
	limits  *limiter      // nil: unlimited
	hooks   *testHooks
	fast    fastPool
	targets targetCache
	noFast  bool // every exchange through net/http (tests compare the paths)
}

// testHooks let tests observe an exchange and force interleavings; nil in
// production.
type testHooks struct {
	state        func(State) // after each transition
	failed       func()      // after a connection failure is recorded
	wroteRequest func()      // before the writer reports the request sent
}

// New returns a client.
func New(opts Options) *Client {
	return newClient(opts, nil)
}

func newClient(opts Options, ctrl func(network, address string, c syscall.RawConn) error) *Client {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 30 * time.Second
	}
	if opts.SocketTimeout == 0 {
		opts.SocketTimeout = 180 * time.Second
	}
	if opts.MaxIdlePerHost <= 0 {
		opts.MaxIdlePerHost = 512
	}
	c := &Client{timeout: opts.SocketTimeout}
	c.fast.max = opts.MaxIdlePerHost
	c.fast.expiry = 90 * time.Second
	if opts.SocketTimeout > 0 && opts.SocketTimeout < c.fast.expiry {
		c.fast.expiry = opts.SocketTimeout
	}
	c.dialer = net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second, Control: ctrl}
	if opts.MaxConnsPerHost > 0 {
		c.limits = &limiter{max: opts.MaxConnsPerHost, queue: opts.MaxQueuedPerHost, hosts: map[hostKey]*hostSlots{}}
	}
	c.tr = &http.Transport{
		Proxy:               nil,
		DialContext:         c.dial,
		TLSHandshakeTimeout: opts.DialTimeout,
		MaxIdleConns:        4 * opts.MaxIdlePerHost,
		MaxIdleConnsPerHost: opts.MaxIdlePerHost,
		IdleConnTimeout:     90 * time.Second,
		// No ResponseHeaderTimeout: the socket timeout is applied on the
		// connection itself (trackedConn), in every state.
		//
		// Bodies pass through untouched: never add Accept-Encoding or
		// decompress behind the mediation's back.
		DisableCompression: true,
		ForceAttemptHTTP2:  false,
	}
	return c
}

// dial opens a backend connection wrapped for state and timeout tracking.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := c.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: sock.Wrap(conn), timeout: c.timeout, born: time.Now()}
	tc.arm()
	return tc, nil
}

// Close releases idle connections.
func (c *Client) Close() {
	c.tr.CloseIdleConnections()
	c.fast.closeIdle()
}

// hopHeaders are connection-level headers that never cross a proxy.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Expect"}

// Do sends the request and returns the response or a classified fault
// (synapse-semantics §3.2): every failure carries the Synapse code, the
// base code and the protocol state the exchange was in.
//
// Retries. MI never re-sends a request. net/http re-sends one only on a
// new connection after a reused keep-alive connection failed, and only
// when that cannot duplicate work: Do never sets Request.GetBody, so a
// request with a body is never re-sent once any byte of it was written; a
// request without a body is re-sent if nothing was written, or if its
// method is idempotent (GET, HEAD, OPTIONS, TRACE, or an Idempotency-Key
// header) and the connection died before the first response byte: the
// race of a backend closing an idle connection just as it is reused,
// which RFC 9110 §9.2.2 lets a client retry and which would otherwise be
// reported as a backend failure and count against the endpoint. Each
// attempt restarts the state tracking (exchange.newAttempt), so a fault
// describes the attempt that failed last.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, *fault.Error) {
	x := &exchange{c: c, parent: ctx}
	x.body.x, x.resp.x = x, x
	var target *fastTarget
	if !c.noFast && fastEligible(r) {
		t, err := c.targets.get(r.URL)
		if err != nil {
			if r.Body != nil {
				r.Body.Close()
			}
			return nil, badAddress(r.URL, err)
		}
		target = t
	}
	var req *http.Request
	var key hostKey
	if target != nil {
		// No context per exchange on the fast path: a send timeout
		// closes the exchange's connection itself (exchange.abortFast)
		// and the caller's context is watched per connection
		// (fastConn.watch). Only a wait in the limiter needs one.
		x.fast = true
		if c.limits != nil {
			ctx, x.cancel = context.WithCancelCause(ctx)
		}
		key = hostKey{"http", target.host}
		if r.Body != nil && r.Body != http.NoBody {
			if r.ContentLength > 0 {
				x.hasBody = true
				x.body.rc, x.body.length = r.Body, r.ContentLength
			} else {
				r.Body.Close()
			}
		}
	} else {
		ctx, x.cancel = context.WithCancelCause(httptrace.WithClientTrace(ctx, x.clientTrace()))
		var err error
		req, err = http.NewRequestWithContext(ctx, r.Method, r.URL, nil)
		if err != nil || req.URL.Host == "" || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
			x.cancel(nil)
			if r.Body != nil {
				r.Body.Close()
			}
			return nil, badAddress(r.URL, err)
		}
		key = hostKey{req.URL.Scheme, req.URL.Host}
		req.Header = outHeader(r.Header)
		if r.Body != nil && r.Body != http.NoBody {
			if r.InMemory {
				req.Body, req.ContentLength = r.Body, r.ContentLength
			} else {
				x.body.rc = r.Body
				req.Body, req.ContentLength = &x.body, r.ContentLength
				if req.ContentLength == 0 {
					req.ContentLength = -1
				}
				x.body.length = req.ContentLength
			}
			if req.ContentLength == 0 {
				r.Body.Close()
				req.Body = http.NoBody
			} else {
				x.hasBody = true
			}
		}
	}
	// The endpoint timeout covers the exchange until the response headers
	// arrive (when MI removes its callback), the wait for a connection
	// included; the body then streams under the socket timeout only.
	// The fast path without a limiter starts it on the connection it
	// gets (roundTripFast), which spares a timer per request.
	fastTimeout := time.Duration(0)
	if r.Timeout > 0 {
		if target != nil && c.limits == nil {
			fastTimeout = r.Timeout
		} else {
			x.startTimer(r.Timeout)
		}
	}
	if c.limits != nil {
		slot, f, err := c.limits.acquire(ctx, key)
		if f == nil && err != nil {
			f = x.classify(err)
		}
		if f != nil {
			x.stopTimer()
			x.finish()
			if req != nil && req.Body != nil {
				req.Body.Close()
			} else if req == nil && r.Body != nil {
				r.Body.Close()
			}
			return nil, f
		}
		x.slot = slot
	}
	var out *Response
	var err error
	if target != nil {
		// The caller's context, not the limiter's: a connection watches
		// it for as long as it lives.
		out, err = c.roundTripFast(x.parent, x, r, target, fastTimeout)
	} else {
		var resp *http.Response
		resp, err = c.tr.RoundTrip(req)
		if err == nil {
			out = &Response{Status: resp.StatusCode, Header: resp.Header, ContentLength: resp.ContentLength, Body: resp.Body}
		}
	}
	x.stopTimer()
	if err == nil && !x.gotHeaders() {
		// The send timeout fired as the head arrived: too late.
		out.Body.Close()
		err = errSendTimeout
	}
	if err != nil {
		f := x.classify(err)
		x.finish()
		return nil, f
	}
	x.advance(ResponseBody)
	if out.Body == http.NoBody {
		// The connection is back in the pool already.
		x.advance(ResponseDone)
		x.finish()
		return out, nil
	}
	x.resp.rc = out.Body
	out.Body = &x.resp
	return out, nil
}

func outHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		out[k] = v
	}
	for _, k := range hopHeaders {
		delete(out, k)
	}
	if c := h.Get("Connection"); c != "" {
		for _, f := range strings.Split(c, ",") {
			delete(out, http.CanonicalHeaderKey(strings.TrimSpace(f)))
		}
	}
	// An empty User-Agent stops Go adding its own.
	if _, ok := out["User-Agent"]; !ok {
		out["User-Agent"] = []string{""}
	}
	return out
}

func badAddress(addr string, err error) *fault.Error {
	f := &fault.Error{Code: fault.Num(fault.ConnectionFailed), Message: msgConnect,
		Detail: fmt.Sprintf("invalid endpoint address %q", addr), Base: fault.ConnectionFailed, State: int(RequestReady)}
	if err != nil {
		f.Cause = err
		f.Detail += ": " + err.Error()
	}
	return f
}

// String describes a request for logs.
func (r *Request) String() string { return fmt.Sprintf("%s %s", r.Method, r.URL) }
