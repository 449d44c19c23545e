package httpin

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/transport/h1"
)

// responder writes the engine's answer on the connection.
type responder struct {
	c       *conn
	req     *request
	body    *reqBody
	written bool
	close   bool // the connection ends after this response
	failed  bool // writing failed: the client has a truncated answer
}

// skipOut are headers never copied from a message to the client: hop-by-hop
// headers, framing the server sets itself, and request-only headers. A flow
// that answers from the request path (respond, loopback) still holds the
// request's headers; echoing Authorization or Cookie back would leak them.
var skipOut = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Host": true, "Content-Length": true, "Expect": true,
	"Accept": true, "Accept-Encoding": true, "Accept-Language": true, "Accept-Charset": true,
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "User-Agent": true,
	"Referer": true, "Origin": true, "If-Match": true, "If-None-Match": true, "If-Modified-Since": true,
	"If-Unmodified-Since": true, "If-Range": true, "Range": true, "Max-Forwards": true,
	"Upgrade-Insecure-Requests": true, "Soapaction": true, "Content-Type": true,
}

// Respond writes status, headers and body.
func (rs *responder) Respond(m *message.Message, status int) error {
	if rs.written {
		return errors.New("response already written")
	}
	rs.written = true
	if m.Header.Get("Connection") == "close" || rs.req.close {
		rs.close = true
	}
	noBody := rs.req.method == "HEAD" || status == http.StatusNoContent || status == http.StatusNotModified || status < 200
	if noBody || m.Flag(message.ScopeAxis2, message.PropNoEntityBody) || status == 202 && bodyEmpty(m) {
		m.Body.Close()
		rs.checkUnread(nil)
		rs.head(m, status, "", 0, !noBody)
		return rs.flush()
	}
	wire, err := m.WireBody()
	if err != nil {
		rs.plain(http.StatusInternalServerError, "Busbar could not serialise the response: "+err.Error())
		return err
	}
	defer wire.Body.Close()
	ct := wire.ContentType
	if ct == "" {
		ct = m.Header.Get("Content-Type")
	}
	if wire.Size < 0 && rs.req.minor == '0' {
		// An HTTP/1.0 client knows no chunks: the close ends the body.
		rs.close = true
	}
	rs.checkUnread(wire.Body)
	w := rs.c.bw
	head := rs.appendHead(w.AvailableBuffer(), m, status, ct, wire.Size, true)
	if wire.Size > 0 && wire.Size <= maxGathered && int64(len(head))+wire.Size > int64(w.Available()) {
		// Too big for the connection's buffer: gather the body and
		// write head and body in one call rather than in buffer-sized
		// pieces.
		if err := rs.writeGathered(head, wire.Body, int(wire.Size)); err != nil {
			rs.failed, rs.close = true, true
			return err
		}
		return nil
	}
	_, _ = w.Write(head)
	if err := rs.copyBody(wire.Body, wire.Size); err != nil {
		rs.failed, rs.close = true, true
		return err
	}
	return rs.flush()
}

// checkUnread decides, before the head is written, whether the request
// body will be left unread and too long to skip, and if so says that the
// connection ends rather than leave the client guessing. A response that
// streams the request body back (respond on an untouched message) reads
// it, after owing the client its 100 Continue first.
func (rs *responder) checkUnread(out io.Reader) {
	b := rs.body
	if b == nil || b.done {
		return
	}
	if out == io.Reader(b) {
		if b.expect {
			_ = b.sendContinue()
		}
		return
	}
	if b.chunked != nil || b.expect || b.remaining > 256<<10 {
		rs.close = true
	}
}

// head writes the status line and headers. length < 0 means chunked (or
// close-delimited for HTTP/1.0); withLength false omits Content-Length
// (204, 304, 1xx).
func (rs *responder) head(m *message.Message, status int, ct string, length int64, withLength bool) {
	w := rs.c.bw
	_, _ = w.Write(rs.appendHead(w.AvailableBuffer(), m, status, ct, length, withLength))
}

// appendHead appends the head to buf.
func (rs *responder) appendHead(buf []byte, m *message.Message, status int, ct string, length int64, withLength bool) []byte {
	buf = append(buf, "HTTP/1.1 "...)
	buf = strconv.AppendInt(buf, int64(status), 10)
	buf = append(buf, ' ')
	if text := http.StatusText(status); text != "" {
		buf = append(buf, text...)
	} else {
		buf = append(buf, "status code "...)
		buf = strconv.AppendInt(buf, int64(status), 10)
	}
	buf = append(buf, "\r\n"...)
	_, hasDate := m.Header["Date"]
	for k, vs := range m.Header {
		if skipOut[k] || !h1.ValidToken(k) {
			continue
		}
		for _, v := range vs {
			buf = append(buf, k...)
			buf = append(buf, ": "...)
			buf = appendValue(buf, v)
			buf = append(buf, "\r\n"...)
		}
	}
	if !hasDate {
		buf = append(buf, "Date: "...)
		buf = append(buf, httpDate()...)
		buf = append(buf, "\r\n"...)
	}
	if ct != "" {
		buf = append(buf, "Content-Type: "...)
		buf = appendValue(buf, ct)
		buf = append(buf, "\r\n"...)
	}
	switch {
	case !withLength:
	case length >= 0:
		buf = append(buf, "Content-Length: "...)
		buf = strconv.AppendInt(buf, length, 10)
		buf = append(buf, "\r\n"...)
	case rs.req.minor == '1':
		buf = append(buf, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case rs.close:
		buf = append(buf, "Connection: close\r\n"...)
	case rs.req.minor == '0':
		buf = append(buf, "Connection: keep-alive\r\n"...)
	}
	return append(buf, "\r\n"...)
}

// appendValue writes a header value with control characters turned into
// spaces, so that a value a flow built from message content cannot split
// the response.
func appendValue(buf []byte, v string) []byte {
	if h1.ValidValue(v) {
		return append(buf, v...)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < ' ' && c != '\t' || c == 0x7f {
			c = ' '
		}
		buf = append(buf, c)
	}
	return buf
}

var errShortBody = errors.New("response body shorter than its Content-Length")

// copyBody streams the body into the connection's buffer, reading
// straight into its free space so that a small body leaves with its head
// in one write.
func (rs *responder) copyBody(r io.Reader, size int64) error {
	c := rs.c
	w := c.bw
	chunked := size < 0 && rs.req.minor == '1'
	if chunked {
		return rs.copyChunked(r)
	}
	var written int64
	for size < 0 || written < size {
		if w.Available() == 0 {
			if err := c.flush(); err != nil {
				return err
			}
		}
		buf := w.AvailableBuffer()[:w.Available()]
		if size >= 0 && int64(len(buf)) > size-written {
			buf = buf[:size-written]
		}
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = w.Write(buf[:n])
			written += int64(n)
		}
		if err == io.EOF {
			if size >= 0 && written < size {
				return errShortBody
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// maxGathered is the largest body written with its head in one call.
const maxGathered = 256 << 10

// gatherBufs pool body buffers by size class (32, 64, 128, 256 KiB).
var gatherBufs [4]sync.Pool

func gatherClass(n int) int {
	c := 0
	for size := 32 << 10; size < n; size <<= 1 {
		c++
	}
	return c
}

// writeGathered reads the whole body and writes it with the head in one
// gathered write (writev).
func (rs *responder) writeGathered(head []byte, r io.Reader, size int) error {
	class := gatherClass(size)
	bufp, _ := gatherBufs[class].Get().(*[]byte)
	if bufp == nil {
		b := make([]byte, (32<<10)<<class)
		bufp = &b
	}
	defer gatherBufs[class].Put(bufp)
	body := (*bufp)[:size]
	n, err := io.ReadFull(r, body)
	if err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = errShortBody
		}
		// Send what there is under the head: the client sees a body
		// shorter than announced, and the connection closes.
		bufs := net.Buffers{head, body[:n]}
		_ = rs.c.writeDirect(&bufs)
		return err
	}
	bufs := net.Buffers{head, body}
	return rs.c.writeDirect(&bufs)
}

var chunkBufs = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

func (rs *responder) copyChunked(r io.Reader) error {
	c := rs.c
	bufp := chunkBufs.Get().(*[]byte)
	defer chunkBufs.Put(bufp)
	buf := *bufp
	for {
		n, err := r.Read(buf)
		if n > 0 {
			var size [20]byte
			_, _ = c.bw.Write(strconv.AppendInt(size[:0], int64(n), 16))
			_, _ = c.bw.WriteString("\r\n")
			_, _ = c.bw.Write(buf[:n])
			_, _ = c.bw.WriteString("\r\n")
			if c.bw.Buffered() >= 8<<10 {
				if ferr := c.flush(); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			_, _ = c.bw.WriteString("0\r\n\r\n")
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (rs *responder) flush() error {
	if err := rs.c.flush(); err != nil {
		rs.failed, rs.close = true, true
		return err
	}
	return nil
}

// plain answers with a short text (a request the server refuses itself).
func (rs *responder) plain(status int, msg string) {
	rs.written = true
	if status >= 400 && status != http.StatusServiceUnavailable {
		rs.close = rs.close || rs.body == nil
	}
	body := msg + "\n"
	m := &message.Message{Header: http.Header{}}
	rs.head(m, status, "text/plain; charset=utf-8", int64(len(body)), true)
	_, _ = rs.c.bw.WriteString(body)
	_ = rs.flush()
}

// keep reports whether the connection can carry another request.
func (rs *responder) keep() bool {
	if rs.close || rs.failed {
		return false
	}
	return rs.body == nil || rs.body.finish()
}

func bodyEmpty(m *message.Message) bool {
	if m.Body.IsStream() {
		return m.Body.StreamSize() == 0
	}
	raw, err := m.Body.Raw()
	return err == nil && len(raw) == 0
}

// dateCache holds the Date header value of the current second.
var dateCache atomic.Pointer[dateEntry]

type dateEntry struct {
	sec int64
	val string
}

func httpDate() string {
	now := time.Now()
	sec := now.Unix()
	if d := dateCache.Load(); d != nil && d.sec == sec {
		return d.val
	}
	d := &dateEntry{sec: sec, val: now.UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.val
}
