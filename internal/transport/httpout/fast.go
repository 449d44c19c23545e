package httpout

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/busbar/busbar/internal/transport/h1"
)

// The fast path is Busbar's own HTTP/1.1 exchange for the common case:
// plain http, a whole request of at most maxFastRequest bytes with its
// body already in memory (see fastEligible). It runs the whole exchange on the caller's goroutine and writes
// head and body in one write, where net/http's Transport hands every
// request to a writer goroutine and every response to a reader goroutine,
// and writes head and streamed body separately. On loopback that is the
// difference between four and six or more system calls and between zero
// and four goroutine handoffs per request. Everything else (https,
// streamed bodies of unknown or large length) goes through net/http.
//
// Both paths drive the same exchange state machine, so a failure is
// classified the same way whichever path carried it. What the fast path
// gives up is an early response read while the request is still being
// written: its request is written whole first, which for bodies of this
// size takes one write the kernel accepts at once.
const maxFastRequest = 32 << 10

// maxResponseHead bounds a response head (status line and headers).
const maxResponseHead = 1 << 20

// fastTarget is a parsed endpoint URL, cached because endpoints send to
// the same few URLs over and over.
type fastTarget struct {
	host string // host:port, the pool key and the Host header
	uri  string // request-target
	dial string // address to dial
}

type targetCache struct {
	mu sync.RWMutex
	m  map[string]*fastTarget
}

// maxCachedTargets bounds the cache: URLs built from message content
// (key expressions) could otherwise grow it without limit.
const maxCachedTargets = 1024

func (tc *targetCache) get(raw string) (*fastTarget, error) {
	tc.mu.RLock()
	t := tc.m[raw]
	tc.mu.RUnlock()
	if t != nil {
		return t, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" || u.User != nil {
		return nil, nil
	}
	t = &fastTarget{host: u.Host, uri: u.RequestURI(), dial: u.Host}
	if u.Port() == "" {
		t.dial = net.JoinHostPort(u.Hostname(), "80")
	}
	tc.mu.Lock()
	if tc.m == nil {
		tc.m = map[string]*fastTarget{}
	}
	if len(tc.m) < maxCachedTargets {
		tc.m[raw] = t
	}
	tc.mu.Unlock()
	return t, nil
}

// fastConn is a pooled backend connection with its read buffer.
type fastConn struct {
	tc     *trackedConn
	br     *bufio.Reader
	host   string
	idleAt time.Time
	reused bool
	// parent is the caller's context the connection watches: when it is
	// cancelled (shutdown, a processor stopping) the connection is
	// closed, failing an exchange in progress. One registration serves
	// every exchange with the same context (the inbound server's, as a
	// rule), instead of one per exchange.
	parent     context.Context
	stopParent func() bool
	dead       atomic.Bool // closed by its context: never reuse
	// sendTimer runs the send timeout of the exchange using the
	// connection (sending), created once and re-armed per exchange. A
	// timer that fired (or was firing) as it was disarmed spends the
	// connection: it is never reused, so a late callback can only reach
	// the exchange it was armed for.
	sendTimer *time.Timer
	sending   atomic.Pointer[exchange]
	spent     atomic.Bool
}

// armSend starts x's send timeout on the connection's timer.
func (fc *fastConn) armSend(x *exchange, d time.Duration) {
	fc.sending.Store(x)
	x.sendConn = fc
	if fc.sendTimer == nil {
		fc.sendTimer = time.AfterFunc(d, fc.sendTimeout)
	} else {
		fc.sendTimer.Reset(d)
	}
}

func (fc *fastConn) sendTimeout() {
	if x := fc.sending.Load(); x != nil {
		x.sendTimeout()
	}
}

// disarm stops the send timeout armed by armSend.
func (fc *fastConn) disarm() {
	if !fc.sendTimer.Stop() {
		fc.spent.Store(true)
	}
	fc.sending.Store(nil)
}

// watch makes the connection follow ctx.
func (fc *fastConn) watch(ctx context.Context) {
	if fc.parent == ctx {
		return
	}
	if fc.stopParent != nil {
		fc.stopParent()
		fc.stopParent = nil
	}
	fc.parent = ctx
	if ctx.Done() != nil {
		fc.stopParent = context.AfterFunc(ctx, func() {
			fc.dead.Store(true)
			fc.tc.Close()
		})
	}
}

// close closes the connection for good and drops its registration.
func (fc *fastConn) close() {
	if fc.sendTimer != nil {
		fc.sendTimer.Stop()
	}
	if fc.stopParent != nil {
		fc.stopParent()
		fc.stopParent = nil
	}
	fc.tc.Close()
}

// fastPool keeps idle connections per host, most recently used last:
// taking the warmest connection first lets the coldest ones expire.
type fastPool struct {
	mu     sync.Mutex
	idle   map[string][]*fastConn
	max    int
	expiry time.Duration
	closed bool
}

// get takes an idle connection for host, and the time it read to check
// the connection's idleness (the exchange's start on it).
func (p *fastPool) get(host string) (*fastConn, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		list := p.idle[host]
		if len(list) == 0 {
			return nil, time.Time{}
		}
		fc := list[len(list)-1]
		list[len(list)-1] = nil
		p.idle[host] = list[:len(list)-1]
		now := time.Now()
		idle := now.Sub(fc.idleAt)
		if fc.dead.Load() || fc.parent != nil && fc.parent.Err() != nil || idle > p.expiry || idle >= aliveCheckAfter && !alive(fc) {
			fc.close()
			continue
		}
		fc.reused = true
		return fc, now
	}
}

func (p *fastPool) put(fc *fastConn) {
	now := time.Now()
	fc.idleAt = now
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		fc.close()
		return
	}
	if p.idle == nil {
		p.idle = map[string][]*fastConn{}
	}
	list := p.idle[fc.host]
	// Expire the coldest connection if it is past its time, so that an
	// idle pool shrinks as it is used.
	var expired *fastConn
	if len(list) > 0 && now.Sub(list[0].idleAt) > p.expiry {
		expired = list[0]
		list = append(list[:0], list[1:]...)
	}
	if len(list) >= p.max {
		p.idle[fc.host] = list
		p.mu.Unlock()
		fc.close()
		if expired != nil {
			expired.close()
		}
		return
	}
	p.idle[fc.host] = append(list, fc)
	p.mu.Unlock()
	if expired != nil {
		expired.close()
	}
}

func (p *fastPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, list := range idle {
		for _, fc := range list {
			fc.close()
		}
	}
}

// aliveCheckAfter is how long a connection must have been idle before
// it is checked: a backend's keep-alive timeout is seconds, and the check
// is a system call that would otherwise be paid on every request.
var aliveCheckAfter = 500 * time.Millisecond

// alive peeks at an idle connection without blocking: a backend that
// closed it (its keep-alive timeout) has left an EOF, one that reset it
// an error, and neither may be handed to a request with a body, which
// could not be re-sent. Unexpected bytes make it unusable too.
func alive(fc *fastConn) bool {
	if fc.br.Buffered() > 0 {
		return false
	}
	sc, ok := fc.tc.Conn.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = false
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		ok = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true
	})
	return err == nil && ok
}

var headBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// Peeker is a request body that may already hold all its bytes in memory,
// such as an inbound body that arrived with its head: PeekAll returns
// them without blocking, or false if some are still to come.
type Peeker interface {
	PeekAll() ([]byte, bool)
}

// fastEligible reports whether r can take the fast path: plain http (the
// caller checks the URL), a request small enough for the kernel to take
// in one write without the backend reading it, and a body already in
// memory. A request written whole before the response is read cannot
// notice a backend that stops reading and closes mid-request, nor stream
// a body that is still arriving; those go through net/http, whose writer
// and reader run side by side.
func fastEligible(r *Request) bool {
	size := len(r.URL) + 64
	for k, vs := range r.Header {
		for _, v := range vs {
			size += len(k) + len(v) + 4
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return size <= maxFastRequest
	}
	if r.ContentLength <= 0 || int64(size)+r.ContentLength > maxFastRequest {
		return false
	}
	if r.InMemory {
		return true
	}
	p, ok := r.Body.(Peeker)
	if !ok {
		return false
	}
	data, all := p.PeekAll()
	return all && int64(len(data)) == r.ContentLength
}

// roundTripFast runs one exchange on the fast path. It returns the
// response head and a body, or the error that ended the exchange (which
// the caller classifies through x).
//
// timeout is the send timeout when the caller has not started one
// (x.timer); it is armed on a pooled connection's own timer, or on an
// exchange timer before a dial or a re-send.
func (c *Client) roundTripFast(ctx context.Context, x *exchange, r *Request, t *fastTarget, timeout time.Duration) (*Response, error) {
	bufp := headBufs.Get().(*[]byte)
	var buf []byte
	defer func() {
		// Keep the grown buffer for the next request of this size.
		if cap(buf) <= 64<<10 {
			*bufp = buf[:0]
			headBufs.Put(bufp)
		}
	}()
	buf, err := appendHead((*bufp)[:0], r, t)
	if err != nil {
		buf = (*bufp)[:0]
		// Refused before any connection was looked for: SND_HTTP_ERROR.
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	hasBody := x.hasBody
	headLen := len(buf)
	bodyRead := false
	idempotent := r.Body == nil || r.Body == http.NoBody
	if idempotent {
		switch r.Method {
		case "GET", "HEAD", "OPTIONS", "TRACE":
		default:
			_, idempotent = r.Header["Idempotency-Key"]
			if !idempotent {
				_, idempotent = r.Header["X-Idempotency-Key"]
			}
		}
	}
	for attempt := 0; ; attempt++ {
		x.newAttempt()
		fc, now := c.fast.get(t.host)
		if timeout > 0 && x.timer == nil {
			if attempt == 0 && fc != nil {
				x.sendStart = now
				fc.armSend(x, timeout)
			} else {
				// A dial, or a re-send: the rest of the timeout on a
				// timer of the exchange's own.
				rest := timeout
				if fc := x.sendConn; fc != nil {
					x.sendConn = nil
					fc.disarm()
					rest -= time.Since(x.sendStart)
				}
				x.startTimer(max(rest, 0))
			}
		}
		if fc == nil {
			dctx, cancel := context.WithCancelCause(ctx)
			x.mu.Lock()
			x.dialCancel = cancel
			x.mu.Unlock()
			if cause := x.aborted(); cause != nil {
				cancel(cause)
			}
			conn, err := c.dial(dctx, "tcp", t.dial)
			x.mu.Lock()
			x.dialCancel = nil
			x.mu.Unlock()
			cancel(nil)
			if err != nil {
				if hasBody && !bodyRead {
					r.Body.Close()
				}
				if cause := x.aborted(); cause != nil {
					return nil, cause
				}
				return nil, err
			}
			tc := conn.(*trackedConn)
			// A backend connection reads with a 32 KiB buffer: there are
			// few of them, and a response that fits arrives in one read.
			fc = &fastConn{tc: tc, br: bufio.NewReaderSize(tc, 32<<10), host: t.host}
		}
		fc.watch(ctx)
		x.gotConn(fc.tc)
		if cause := x.aborted(); cause != nil {
			// The send timeout fired while the connection was found.
			fc.close()
			return nil, cause
		}
		if hasBody && !bodyRead {
			x.advance(RequestBody)
			buf = growFor(buf, int(r.ContentLength))
			n, err := io.ReadFull(&x.body, buf[headLen:headLen+int(r.ContentLength)])
			x.body.Close()
			bodyRead = true
			if err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					err = errShortBody(n, r.ContentLength)
					x.bodyFailed(err)
				}
				fc.close()
				return nil, err
			}
			buf = buf[:headLen+int(r.ContentLength)]
		}
		n, werr := fc.tc.Write(buf)
		if werr == nil {
			if h := c.hooks; h != nil && h.wroteRequest != nil {
				h.wroteRequest()
			}
			x.wrote.Store(true)
			x.advance(RequestDone)
		}
		var resp *Response
		err := werr
		if err == nil {
			resp, err = c.readResponse(x, fc, r.Method)
		}
		if err == nil {
			return resp, nil
		}
		fc.close()
		// Cancelled (send timeout, the caller gave up): the I/O error is
		// only the consequence of closing the connection.
		if cause := x.aborted(); cause != nil {
			return nil, cause
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		// A reused connection the backend closed just as it was taken
		// (the keep-alive race): re-send what cannot duplicate work, as
		// net/http does (see Do).
		if fc.reused && attempt == 0 && x.state() < ResponseHead && ctx.Err() == nil &&
			(werr != nil && n == 0 || idempotent && isConnLoss(err)) {
			continue
		}
		return nil, err
	}
}

func isConnLoss(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func errShortBody(n int, want int64) error {
	return errors.New("request body ended after " + strconv.Itoa(n) + " of " + strconv.FormatInt(want, 10) + " declared bytes")
}

func growFor(buf []byte, n int) []byte {
	if cap(buf)-len(buf) >= n {
		return buf
	}
	nb := make([]byte, len(buf), len(buf)+n)
	copy(nb, buf)
	return nb
}

// appendHead writes the request head: request line, Host, the message's
// headers without hop-by-hop ones, and the framing.
func appendHead(buf []byte, r *Request, t *fastTarget) ([]byte, error) {
	if !h1.ValidToken(r.Method) {
		return nil, errors.New("net/http: invalid method " + strconv.Quote(r.Method))
	}
	buf = append(buf, r.Method...)
	buf = append(buf, ' ')
	buf = append(buf, t.uri...)
	buf = append(buf, " HTTP/1.1\r\nHost: "...)
	buf = append(buf, t.host...)
	buf = append(buf, "\r\n"...)
	conn := r.Header["Connection"]
	for k, vs := range r.Header {
		if h1.Hop(k) || len(conn) > 0 && h1.ConnectionListed(conn, k) {
			continue
		}
		if !h1.ValidToken(k) {
			return nil, errors.New("net/http: invalid header field name " + strconv.Quote(k))
		}
		for _, v := range vs {
			if k == "User-Agent" && v == "" {
				continue
			}
			if !h1.ValidValue(v) {
				return nil, errors.New("net/http: invalid header field value for " + strconv.Quote(k))
			}
			buf = append(buf, k...)
			buf = append(buf, ": "...)
			buf = append(buf, v...)
			buf = append(buf, "\r\n"...)
		}
	}
	switch {
	case r.Body != nil && r.Body != http.NoBody && r.ContentLength > 0:
		buf = append(buf, "Content-Length: "...)
		buf = strconv.AppendInt(buf, r.ContentLength, 10)
		buf = append(buf, "\r\n"...)
	case r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH":
		buf = append(buf, "Content-Length: 0\r\n"...)
	}
	return append(buf, "\r\n"...), nil
}

// readResponse reads the response head from fc and returns the response
// with a body reader that returns the connection to the pool at its end.
func (c *Client) readResponse(x *exchange, fc *fastConn, method string) (*Response, error) {
	br := fc.br
	for informational := 0; ; informational++ {
		if _, err := br.Peek(1); err != nil {
			return nil, err
		}
		x.advance(ResponseHead)
		status, keep, h, err := readHead(br)
		if err != nil {
			return nil, err
		}
		if status >= 100 && status < 200 && status != 101 {
			if informational >= 5 {
				return nil, textproto.ProtocolError("too many 1xx informational responses")
			}
			continue
		}
		// The response and its body reader live in the exchange: no
		// allocation of their own.
		resp, fb := &x.fastResp, &x.fastBody
		*resp = Response{Status: status, Header: h, ContentLength: -1}
		*fb = fastBody{c: c, fc: fc, keep: keep}
		te := h["Transfer-Encoding"]
		switch {
		case method == "HEAD" || status == 204 || status == 304 || status == 101:
			resp.ContentLength = 0
			if cl, ok := h["Content-Length"]; ok && method == "HEAD" {
				resp.ContentLength, _ = strconv.ParseInt(cl[0], 10, 64)
			}
			fb.release()
			resp.Body = http.NoBody
			return resp, nil
		case len(te) > 0:
			if len(te) != 1 || !h1.EqualFold(te[0], "chunked") {
				return nil, textproto.ProtocolError("unsupported transfer encoding: " + strconv.Quote(te[0]))
			}
			delete(h, "Transfer-Encoding")
			delete(h, "Content-Length")
			fb.chunked = true
			fb.r = httputil.NewChunkedReader(br)
		default:
			cls := h["Content-Length"]
			if len(cls) == 0 {
				// Delimited by the close of the connection.
				fb.keep = false
				fb.r = br
				break
			}
			for _, v := range cls[1:] {
				if v != cls[0] {
					return nil, textproto.ProtocolError("multiple Content-Length headers")
				}
			}
			n, err := strconv.ParseInt(h1.Trim(cls[0]), 10, 64)
			if err != nil || n < 0 {
				return nil, textproto.ProtocolError("bad Content-Length " + strconv.Quote(cls[0]))
			}
			resp.ContentLength = n
			if n == 0 {
				fb.release()
				resp.Body = http.NoBody
				return resp, nil
			}
			fb.remaining = n
			fb.r = br
		}
		resp.Body = fb
		return resp, nil
	}
}

// readHead parses a status line and headers. keep reports whether the
// connection may carry another exchange.
func readHead(br *bufio.Reader) (status int, keep bool, h http.Header, err error) {
	total := 0
	line, err := readLine(br, &total)
	if err != nil {
		return 0, false, nil, err
	}
	// HTTP/1.x SP 3DIGIT [SP reason]
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return 0, false, nil, textproto.ProtocolError("malformed HTTP response " + strconv.Quote(string(line)))
	}
	minor := line[7]
	d0, d1, d2 := line[9]-'0', line[10]-'0', line[11]-'0'
	if d0 < 1 || d0 > 9 || d1 > 9 || d2 > 9 {
		return 0, false, nil, textproto.ProtocolError("malformed HTTP status code " + strconv.Quote(string(line[9:12])))
	}
	status = int(d0)*100 + int(d1)*10 + int(d2)
	keep = minor == '1'
	h = make(http.Header, 8)
	// The values become substrings of one string (see h1.Fields).
	var arenaBuf [512]byte
	var fieldBuf [16]h1.Field
	fields := h1.NewFields(arenaBuf[:], fieldBuf[:])
	for {
		line, err := readLine(br, &total)
		if err != nil {
			return 0, false, nil, err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			// obs-fold: a continuation of the previous value.
			var ok bool
			if fields, ok = fields.Fold(h1.Trim(line)); !ok {
				return 0, false, nil, textproto.ProtocolError("malformed MIME header initial line: " + strconv.Quote(string(line)))
			}
			continue
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return 0, false, nil, textproto.ProtocolError("malformed MIME header line: " + strconv.Quote(string(line)))
		}
		k := h1.HeaderKey(line[:i])
		if k == "" {
			return 0, false, nil, textproto.ProtocolError("malformed MIME header line: " + strconv.Quote(string(line)))
		}
		fields = fields.Add(k, h1.Trim(line[i+1:]))
	}
	fields.Build(h)
	for _, v := range h["Connection"] {
		if h1.HasToken(v, "close") {
			keep = false
		} else if h1.HasToken(v, "keep-alive") {
			keep = true
		}
	}
	return status, keep, h, nil
}

// fastBody reads a response body and gives the connection back to the
// pool once the body has been read to its end.
type fastBody struct {
	c         *Client
	fc        *fastConn
	r         io.Reader
	remaining int64 // Content-Length bodies: bytes still to read
	chunked   bool
	keep      bool
	done      bool
}

func (b *fastBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.remaining > 0 && int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.r.Read(p)
	if b.remaining > 0 {
		b.remaining -= int64(n)
		if b.remaining == 0 {
			b.release()
			return n, io.EOF
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	}
	if err == io.EOF {
		if b.chunked {
			if terr := skipTrailer(b.fc.br); terr != nil {
				b.keep = false
			}
		} else {
			b.keep = false
		}
		b.release()
	}
	return n, err
}

// skipTrailer consumes the trailer section after the last chunk.
func skipTrailer(br *bufio.Reader) error {
	total := 0
	for {
		line, err := readLine(br, &total)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
	}
}

// release ends the exchange's use of the connection: back to the pool if
// it can carry another exchange and its context was not cancelled,
// closed otherwise.
func (b *fastBody) release() {
	if b.done {
		return
	}
	b.done = true
	fc := b.fc
	if b.keep && !fc.dead.Load() && !fc.spent.Load() {
		b.c.fast.put(fc)
		return
	}
	fc.close()
}

func (b *fastBody) Close() error {
	if !b.done {
		b.done = true
		b.fc.close()
	}
	return nil
}

// readLine reads a head line; an oversize head is a protocol violation.
func readLine(br *bufio.Reader, total *int) ([]byte, error) {
	line, err := h1.ReadLine(br, total, maxResponseHead)
	if err == h1.ErrLineTooLong {
		return nil, textproto.ProtocolError("server response headers exceeded the limit (header line too long)")
	}
	return line, err
}
