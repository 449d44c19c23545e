// Package httpout is Busbar's outbound HTTP transport. It sends a request
// to a backend, streams bodies both ways, reuses connections, tracks the
// PassThrough protocol state of every exchange, and classifies every failure
// exactly once into a Synapse error code (base code + protocol state) so
// that endpoints and fault sequences only ever see fault.Error values.
package httpout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/busbar/busbar/internal/fault"
)

// Request is one outbound call. Body, if not nil, is read to the end and
// closed by Do. Timeout bounds the whole exchange up to the response
// headers; zero means no limit beyond the caller's context.
type Request struct {
	Method        string
	URL           string
	Header        http.Header
	Body          io.ReadCloser
	ContentLength int64
	Timeout       time.Duration
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
	// DialTimeout bounds connection establishment (101508 when exceeded).
	DialTimeout time.Duration
	// SocketTimeout is the read timeout once the request is sent (MI's
	// http.socket.timeout); it yields 101504 + state.
	SocketTimeout time.Duration
	// MaxIdlePerHost is the keep-alive pool size per backend.
	MaxIdlePerHost int
}

// Client sends requests. It is safe for concurrent use and meant to be
// shared by every endpoint of a process.
type Client struct {
	hc   *http.Client
	opts Options
}

// New returns a client.
func New(opts Options) *Client {
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 30 * time.Second
	}
	if opts.MaxIdlePerHost == 0 {
		opts.MaxIdlePerHost = 512
	}
	d := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		MaxIdleConns:          4 * opts.MaxIdlePerHost,
		MaxIdleConnsPerHost:   opts.MaxIdlePerHost,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: opts.SocketTimeout,
		// Bodies pass through untouched: never add Accept-Encoding or
		// decompress behind the mediation's back.
		DisableCompression: true,
		ForceAttemptHTTP2:  false,
	}
	return &Client{hc: &http.Client{Transport: tr, CheckRedirect: noRedirect}, opts: opts}
}

// noRedirect hands 3xx responses to the mediation, as MI's PassThrough
// transport does.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// hopHeaders are connection-level headers that never cross a proxy.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Expect"}

// Do sends the request and returns the response or a classified fault.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, *fault.Error) {
	u, err := url.Parse(r.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, badAddress(r.URL, err)
	}
	x := &exchange{}
	ctx = httptrace.WithClientTrace(ctx, x.trace())
	// The endpoint timeout covers the exchange until the response headers
	// arrive (when MI removes its callback); the body then streams under
	// the socket timeout only.
	ctx, cancel := context.WithCancelCause(ctx)
	var timer *time.Timer
	if r.Timeout > 0 {
		timer = time.AfterFunc(r.Timeout, func() { cancel(errSendTimeout) })
	}
	req := &http.Request{Method: r.Method, URL: u, Host: u.Host, Header: outHeader(r.Header), ProtoMajor: 1, ProtoMinor: 1, Proto: "HTTP/1.1"}
	if r.Body != nil {
		req.Body = r.Body
		req.ContentLength = r.ContentLength
		if req.ContentLength == 0 {
			req.ContentLength = -1
		}
	}
	req = req.WithContext(ctx)
	resp, err := c.hc.Do(req)
	if timer != nil {
		timer.Stop()
	}
	if err != nil {
		f := classify(err, x.state(), ctx)
		cancel(nil)
		return nil, f
	}
	x.set(ResponseBody)
	body := &responseBody{rc: resp.Body, x: x, cancel: cancel, ctx: ctx}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body, ContentLength: resp.ContentLength}, nil
}

var errSendTimeout = errors.New("send timeout")

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
	f := fault.Newf(fault.ConnectionFailed, "Error connecting to the back end: invalid endpoint address %q", addr)
	if err != nil {
		f.Cause = err
		f.Detail = err.Error()
	}
	f.Base, f.State = fault.ConnectionFailed, int(RequestReady)
	return f
}

// exchange tracks the protocol state of one call; trace hooks run on the
// transport's goroutines, so the state is atomic.
type exchange struct{ st atomic.Int32 }

func (x *exchange) set(s State)  { x.st.Store(int32(s)) }
func (x *exchange) state() State { return State(x.st.Load()) }
func (x *exchange) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GotConn:              func(httptrace.GotConnInfo) { x.set(RequestHead) },
		WroteHeaders:         func() { x.set(RequestBody) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { x.set(RequestDone) },
		GotFirstResponseByte: func() { x.set(ResponseHead) },
	}
}

// responseBody tracks the RESPONSE_BODY and RESPONSE_DONE states and turns
// read errors into faults.
type responseBody struct {
	rc     io.ReadCloser
	x      *exchange
	cancel context.CancelCauseFunc
	ctx    context.Context
	done   bool
}

func (b *responseBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.x.set(ResponseDone)
		b.finish()
		return n, err
	}
	if err != nil {
		return n, classify(err, b.x.state(), b.ctx)
	}
	return n, nil
}

func (b *responseBody) Close() error {
	b.finish()
	return b.rc.Close()
}

func (b *responseBody) finish() {
	if !b.done {
		b.done = true
		b.cancel(nil)
	}
}

// classify maps a transport error in a protocol state to a Synapse fault
// (synapse-semantics §3.2).
func classify(err error, st State, ctx context.Context) *fault.Error {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe
	}
	base, msg := baseCode(err, st, ctx)
	code := base
	// Connect-phase and handler-timeout codes are reported without the
	// state; everything else is base + state.
	if base != fault.ConnectionFailed && base != fault.ConnectTimeout && !(base == fault.ConnectionTimeout && st == RequestReady) {
		code = base + int(st)
	}
	if base == fault.ConnectionTimeout && errors.Is(context.Cause(ctx), errSendTimeout) {
		code, msg = fault.ConnectionTimeout, "Send timeout"
	}
	return &fault.Error{Code: fault.Num(code), Message: msg, Detail: err.Error(), Cause: err, Base: base, State: int(st)}
}

func baseCode(err error, st State, ctx context.Context) (int, string) {
	const sender = "Error in Sender"
	var op *net.OpError
	isDial := errors.As(err, &op) && op.Op == "dial"
	switch {
	case errors.Is(context.Cause(ctx), errSendTimeout) || errors.Is(err, context.DeadlineExceeded):
		if isDial {
			return fault.ConnectTimeout, "Error connecting to the back end"
		}
		return fault.ConnectionTimeout, sender
	case isDial && isTimeout(err):
		return fault.ConnectTimeout, "Error connecting to the back end"
	case isDial:
		return fault.ConnectionFailed, "Error connecting to the back end"
	case isTimeout(err):
		return fault.ConnectionTimeout, sender
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return fault.SndIOError, sender
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "server closed"):
		return fault.ConnectionClosed, sender
	case isProtocolError(err):
		return fault.ProtocolViolation, sender
	}
	if st == RequestReady {
		return fault.ConnectionFailed, "Error connecting to the back end"
	}
	return fault.SndIOError, sender
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// isProtocolError recognises net/http's parse errors for a malformed
// response (Synapse's HttpException).
func isProtocolError(err error) bool {
	s := err.Error()
	for _, p := range []string{"malformed HTTP", "bad status", "invalid header", "unsupported transfer encoding", "too many transfer encodings", "invalid Content-Length", "missing form body", "HTTP/1.x transport connection broken: malformed"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// String describes a request for logs.
func (r *Request) String() string { return fmt.Sprintf("%s %s", r.Method, r.URL) }
