package httpin

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/transport/h1"
)

// Connection states, for Shutdown: only an idle connection may be closed
// under a client's feet.
const (
	stateIdle int32 = iota
	stateActive
	stateClosed
)

// conn is one client connection, served by one goroutine.
type conn struct {
	s     *Server
	nc    net.Conn
	br    *bufio.Reader
	bw    *bufio.Writer
	state atomic.Int32
	// wdead is when the write deadline was last pushed; pushing it on
	// every flush would re-arm a timer per response.
	wdead time.Time
	// rdl is the read deadline the serving goroutine set last; rdlLost
	// says a body's Close (from another goroutine) replaced it.
	rdl     time.Time
	rdlLost atomic.Bool
}

func (c *conn) setReadDeadline(t time.Time) {
	c.rdl = t
	_ = c.nc.SetReadDeadline(t)
}

// awaitRequest arms the read deadline for the wait for a request, of d,
// unless the one in place is already between three quarters of d and d
// away: on a busy connection one timer setting then serves many requests,
// and an idle connection is closed after that long without a request.
func (c *conn) awaitRequest(d time.Duration) {
	now := time.Now()
	if left := c.rdl.Sub(now); left <= d && left >= d-d/4 && !c.rdlLost.Swap(false) {
		return
	}
	c.setReadDeadline(now.Add(d))
}

// headBuffered reports whether the buffer holds a whole request head
// (up to its empty line): parsing it then reads nothing from the socket,
// and it needs no deadline of its own.
func (c *conn) headBuffered() bool {
	buf, _ := c.br.Peek(c.br.Buffered())
	return bytes.Contains(buf, endCRLF) || bytes.Contains(buf, endLF)
}

// A head ends with an empty line, CRLF or (leniently) a bare LF.
var endCRLF, endLF = []byte("\n\r\n"), []byte("\n\n")

var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 8<<10) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8<<10) }}
)

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{s: s, nc: nc}
}

// serve runs requests until the client or the server ends the connection.
func (c *conn) serve() {
	defer c.s.forget(c)
	defer c.nc.Close()
	c.br = readers.Get().(*bufio.Reader)
	c.br.Reset(c.nc)
	c.bw = writers.Get().(*bufio.Writer)
	c.bw.Reset(c.nc)
	defer func() {
		c.br.Reset(nil)
		readers.Put(c.br)
		c.bw.Reset(nil)
		writers.Put(c.bw)
	}()
	first := true
	for {
		timeout := c.s.opts.IdleTimeout
		if first {
			timeout = c.s.opts.ReadHeaderTimeout
			first = false
		}
		if c.br.Buffered() == 0 {
			c.awaitRequest(timeout)
		}
		if _, err := c.br.Peek(1); err != nil {
			return
		}
		if !c.state.CompareAndSwap(stateIdle, stateActive) {
			return
		}
		if !c.headBuffered() {
			// The head is bounded from its first byte on.
			c.setReadDeadline(time.Now().Add(c.s.opts.ReadHeaderTimeout))
		}
		keep := c.serveOne()
		if !keep || c.s.closing.Load() {
			return
		}
		if !c.state.CompareAndSwap(stateActive, stateIdle) {
			return
		}
	}
}

// request is what the head says about a request.
type request struct {
	method, target string
	minor          byte // HTTP/1.minor
	header         http.Header
	length         int64 // -1: chunked
	chunked        bool
	expect         bool // Expect: 100-continue
	close          bool // the client asked for the connection to close
}

// inbound is one request's state in the server.
type inbound struct {
	req  request
	body reqBody
	rs   responder
	msg  message.Message
}

// headError is a request the server refuses before any flow runs.
type headError struct {
	status int
	msg    string
}

func (e *headError) Error() string { return e.msg }

func badRequest(status int, msg string) *headError { return &headError{status, msg} }

// readRequest parses a request head.
func (c *conn) readRequest(r *request) error {
	limit := c.s.opts.MaxHeaderBytes
	total := 0
	line, err := h1.ReadLine(c.br, &total, limit)
	if err != nil {
		if err == h1.ErrLineTooLong {
			return badRequest(http.StatusRequestURITooLong, "request line too long")
		}
		return err
	}
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	if sp1 <= 0 || sp2 <= sp1+1 {
		return badRequest(400, "malformed request line")
	}
	method, target, proto := line[:sp1], line[sp1+1:sp2], line[sp2+1:]
	if !h1.ValidToken(method) {
		return badRequest(400, "invalid method")
	}
	if len(proto) != 8 || string(proto[:7]) != "HTTP/1." || proto[7] != '0' && proto[7] != '1' {
		return badRequest(http.StatusHTTPVersionNotSupported, "unsupported protocol version "+strconv.Quote(string(proto)))
	}
	for _, b := range target {
		if b <= ' ' || b == 0x7f {
			return badRequest(400, "invalid request target")
		}
	}
	r.method, r.minor = methodString(method), proto[7]
	r.header = make(http.Header, 8)
	// The target and the values are gathered into one arena and become
	// substrings of one string: one allocation for all of them.
	var arenaBuf [1024]byte
	var fieldBuf [16]h1.Field
	fields := h1.NewFields(arenaBuf[:], fieldBuf[:])
	fields, targetEnd := fields.Text(target)
	for {
		line, err := h1.ReadLine(c.br, &total, limit)
		if err != nil {
			if err == h1.ErrLineTooLong {
				return badRequest(http.StatusRequestHeaderFieldsTooLarge, "request header fields too large")
			}
			return err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			// obs-fold is deprecated (RFC 9112 §5.2); a server may
			// reject it, and doing so closes a smuggling vector.
			return badRequest(400, "folded header line")
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return badRequest(400, "malformed header line")
		}
		k := h1.HeaderKey(line[:i])
		if k == "" {
			return badRequest(400, "invalid header name "+strconv.Quote(string(line[:i])))
		}
		v := h1.Trim(line[i+1:])
		for _, b := range v {
			if b < ' ' && b != '\t' || b == 0x7f {
				return badRequest(400, "invalid header value for "+k)
			}
		}
		fields = fields.Add(k, v)
	}
	r.target = fields.Build(r.header)[:targetEnd]
	return r.frame()
}

// methodString spares an allocation for the usual methods.
func methodString(b []byte) string {
	switch string(b) {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "HEAD":
		return "HEAD"
	case "PATCH":
		return "PATCH"
	case "OPTIONS":
		return "OPTIONS"
	}
	return string(b)
}

// frame works out the body's framing and the connection's fate.
func (r *request) frame() error {
	h := r.header
	if hosts := h["Host"]; len(hosts) > 1 {
		return badRequest(400, "more than one Host header")
	} else if len(hosts) == 0 && r.minor == '1' {
		return badRequest(400, "missing Host header")
	}
	for _, v := range h["Connection"] {
		if h1.HasToken(v, "close") {
			r.close = true
		}
	}
	if r.minor == '0' {
		r.close = true
		for _, v := range h["Connection"] {
			if h1.HasToken(v, "keep-alive") {
				r.close = false
			}
		}
	}
	te, cl := h["Transfer-Encoding"], h["Content-Length"]
	switch {
	case len(te) > 0:
		if len(cl) > 0 {
			// Both framings: the classic request-smuggling shape.
			r.close = true
			return badRequest(400, "both Transfer-Encoding and Content-Length")
		}
		if len(te) != 1 || !h1.EqualFold(h1.Trim(te[0]), "chunked") || r.minor == '0' {
			r.close = true
			return badRequest(http.StatusNotImplemented, "unsupported transfer encoding")
		}
		delete(h, "Transfer-Encoding")
		r.chunked, r.length = true, -1
	case len(cl) > 0:
		for _, v := range cl[1:] {
			if v != cl[0] {
				r.close = true
				return badRequest(400, "conflicting Content-Length headers")
			}
		}
		n, err := strconv.ParseInt(cl[0], 10, 64)
		if err != nil || n < 0 || cl[0][0] == '+' {
			r.close = true
			return badRequest(400, "bad Content-Length")
		}
		r.length = n
	}
	if e := h["Expect"]; len(e) > 0 {
		if len(e) != 1 || !h1.EqualFold(e[0], "100-continue") {
			return badRequest(http.StatusExpectationFailed, "unsupported expectation")
		}
		r.expect = r.minor == '1' && r.length != 0
	}
	return nil
}

// serveOne serves one request; it reports whether the connection may
// carry another.
func (c *conn) serveOne() bool {
	// One allocation for what a request needs of the server.
	x := &inbound{}
	r := &x.req
	err := c.readRequest(r)
	if err != nil {
		var he *headError
		if errors.As(err, &he) {
			c.refuse(he.status, he.msg)
		}
		// A client that goes away or times out mid-head gets nothing:
		// there is no request to answer.
		return false
	}
	g := c.s.graph.Load()
	body := &x.body
	*body = reqBody{c: c, remaining: r.length, expect: r.expect}
	if r.chunked {
		body.chunked = httputil.NewChunkedReader(c.br)
	}
	if r.length == 0 {
		body.done = true
	}
	rs := &x.rs
	*rs = responder{c: c, req: r, body: body}
	if g == nil {
		rs.plain(http.StatusServiceUnavailable, "Busbar is starting")
		return rs.keep()
	}
	g.Acquire()
	defer g.Release()
	limit := c.s.opts.MaxBodyBytes
	if limit == 0 {
		limit = g.Options.MaxBodyBytes
	}
	m := &x.msg
	*m = message.Message{ID: message.NewID(), Method: r.method, RequestURI: r.target, To: r.target, Header: r.header, Created: time.Now()}
	var stream io.ReadCloser = http.NoBody
	if !body.done {
		stream = body
	}
	m.Body.ResetStream(stream, r.header.Get("Content-Type"), r.length, limit)
	if limit > 0 && r.length > limit {
		// Refuse before reading a byte: the client learns at once.
		f := message.TooLarge(limit)
		data, ct := engine.DefaultAnswer(f, m.Body.Format(), r.header.Get("Accept"))
		m.Body.SetBytes(data, ct)
		m.Header = http.Header{"Connection": {"close"}}
		_ = rs.Respond(m, f.Status)
		return false
	}
	g.Serve(c.s.base, m, rs, c.s.log)
	m.Body.Close()
	defer body.release()
	if !rs.written {
		// The engine always answers; this is a safety net, not a path.
		rs.plain(http.StatusInternalServerError, "Busbar ended the exchange without an answer")
	}
	return rs.keep()
}

// refuse answers a request that could not be parsed. The rest of it may
// still be arriving: closing at once would make the kernel reset the
// connection, and a reset can destroy the answer before the client reads
// it. So the server stops writing, skips what still comes for a moment,
// and only then closes.
func (c *conn) refuse(status int, msg string) {
	rs := &responder{c: c, req: &request{close: true, minor: '1'}}
	rs.plain(status, msg)
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.setReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, _ = io.CopyN(io.Discard, c.br, 256<<10)
	}
}

// reqBody is a request body read straight from the connection's buffer.
type reqBody struct {
	c         *conn
	remaining int64     // Content-Length bodies: bytes still to come
	chunked   io.Reader // chunked bodies
	expect    bool      // 100 Continue still owed
	done      bool      // read to its end
	failed    bool      // a read failed: the connection cannot be reused
	closed    atomic.Bool
	reading   atomic.Bool // a Read is under way (Close must cut it short)
	// ahead holds a body PeekAll read ahead; reads are served from
	// ahead[aheadAt:] and the body is done when it is used up.
	ahead    []byte
	aheadAt  int
	aheadBuf *[]byte // ahead's pooled buffer
	err      error   // a read-ahead failure, reported by the next Read
}

var errBodyClosed = errors.New("request body closed")

func (b *reqBody) Read(p []byte) (int, error) {
	b.reading.Store(true)
	defer b.reading.Store(false)
	if b.closed.Load() {
		return 0, errBodyClosed
	}
	return b.read(p)
}

func (b *reqBody) read(p []byte) (int, error) {
	if b.ahead != nil {
		n := copy(p, b.ahead[b.aheadAt:])
		b.aheadAt += n
		if b.aheadAt == len(b.ahead) {
			return n, io.EOF
		}
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.done {
		return 0, io.EOF
	}
	if b.expect {
		if err := b.sendContinue(); err != nil {
			return 0, err
		}
	}
	if b.c.br.Buffered() == 0 {
		// Only a read that reaches the socket can stall.
		b.c.setReadDeadline(time.Now().Add(b.c.s.opts.BodyTimeout))
	}
	var n int
	var err error
	if b.chunked != nil {
		n, err = b.chunked.Read(p)
		if err == io.EOF {
			if terr := skipTrailer(b.c.br); terr != nil {
				err = terr
			} else {
				b.done = true
			}
		}
	} else {
		if int64(len(p)) > b.remaining {
			p = p[:b.remaining]
		}
		n, err = b.c.br.Read(p)
		b.remaining -= int64(n)
		if b.remaining == 0 {
			b.done = true
			err = io.EOF
		} else if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
	}
	if err != nil && err != io.EOF {
		b.failed = true
		if b.closed.Load() {
			err = errBodyClosed
		}
	}
	return n, err
}

// sendContinue tells a client waiting with Expect: 100-continue to send
// the body, the first time the body is wanted.
func (b *reqBody) sendContinue() error {
	b.expect = false
	if _, err := b.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
		b.failed = true
		return err
	}
	if err := b.c.flush(); err != nil {
		b.failed = true
		return err
	}
	return nil
}

// maxReadAhead is the largest body PeekAll reads ahead of the flow.
const maxReadAhead = 32 << 10

// PeekAll returns the rest of the body so that the outbound fast path can
// send it with its head in one write. A body already in the buffer (a
// small request arrives with its head) is returned as it is; one of up to
// maxReadAhead bytes is first read whole, under the body timeout, as
// nginx buffers request bodies before it contacts the backend. A body
// that fails to arrive keeps its error for the next Read, so the failure
// is still the client's.
func (b *reqBody) PeekAll() ([]byte, bool) {
	if b.ahead != nil {
		return b.ahead[b.aheadAt:], true
	}
	if b.done || b.chunked != nil || b.err != nil || b.closed.Load() {
		return nil, false
	}
	if !b.expect && int64(b.c.br.Buffered()) >= b.remaining {
		data, err := b.c.br.Peek(int(b.remaining))
		return data, err == nil
	}
	if b.remaining > maxReadAhead {
		return nil, false
	}
	bufp := aheadBufs.Get().(*[]byte)
	b.aheadBuf = bufp
	buf := (*bufp)[:b.remaining]
	n, err := io.ReadFull(readerOnly{b}, buf)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return nil, false
	}
	b.ahead, b.aheadAt = buf[:n], 0
	return b.ahead, true
}

// aheadBufs hold bodies read ahead, until the exchange ends (release).
var aheadBufs = sync.Pool{New: func() any { b := make([]byte, maxReadAhead); return &b }}

// release returns the read-ahead buffer: the exchange is over, and
// nothing keeps the bytes (a flow that reads the body copies them).
func (b *reqBody) release() {
	if b.aheadBuf != nil {
		b.ahead = b.ahead[len(b.ahead):]
		aheadBufs.Put(b.aheadBuf)
		b.aheadBuf = nil
	}
}

// readerOnly reads a body without its Read's closed check, for read-ahead
// (which runs on the flow's goroutine before anything can close it).
type readerOnly struct{ b *reqBody }

func (r readerOnly) Read(p []byte) (int, error) { return r.b.read(p) }

// Close may run concurrently with Read (the outbound transport aborts a
// body that way): a pending read is cut short by a deadline in the past.
// What is left of the body after Close is skipped by finish.
func (b *reqBody) Close() error {
	if b.closed.CompareAndSwap(false, true) && b.reading.Load() {
		b.c.rdlLost.Store(true)
		_ = b.c.nc.SetReadDeadline(time.Unix(1, 0))
	}
	return nil
}

// finish leaves the connection ready for the next request, reading what
// the flow left of the body if that is cheap; it reports whether the
// connection can carry another request.
func (b *reqBody) finish() bool {
	if b.done {
		return !b.failed
	}
	if b.failed || b.expect {
		// A client told to wait for 100 Continue never sent the body;
		// a failed read may have left a chunk half-read.
		return false
	}
	if b.chunked == nil && b.remaining > 256<<10 {
		return false
	}
	b.c.setReadDeadline(time.Now().Add(b.c.s.opts.BodyTimeout))
	var scratch [4 << 10]byte
	for read := 0; read < 256<<10; {
		n, err := b.read(scratch[:])
		read += n
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}

// skipTrailer consumes the trailer section after the last chunk.
func skipTrailer(br *bufio.Reader) error {
	total := 0
	for {
		line, err := h1.ReadLine(br, &total, 64<<10)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
	}
}

// flush writes out the buffered response, under the write deadline.
func (c *conn) flush() error {
	if c.bw.Buffered() == 0 {
		return nil
	}
	c.pushWriteDeadline()
	return c.bw.Flush()
}

// writeDirect writes bufs after whatever is buffered, bypassing the
// buffer, under the write deadline.
func (c *conn) writeDirect(bufs *net.Buffers) error {
	if err := c.flush(); err != nil {
		return err
	}
	c.pushWriteDeadline()
	if w, ok := c.nc.(interface{ Writev([][]byte) (int64, error) }); ok {
		_, err := w.Writev(*bufs)
		return err
	}
	_, err := bufs.WriteTo(c.nc)
	return err
}

func (c *conn) pushWriteDeadline() {
	now := time.Now()
	if t := c.s.opts.BodyTimeout; now.Sub(c.wdead) > t/4 {
		// Renewed when a quarter of it has passed: a deadline that early
		// is still a body timeout, and it saves a timer per response.
		_ = c.nc.SetWriteDeadline(now.Add(c.s.opts.BodyTimeout))
		c.wdead = now
	}
}
