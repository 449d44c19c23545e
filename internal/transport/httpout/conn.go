package httpout

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// trackedConn is a backend connection as dialled by the client. It applies
// the socket timeout and reports I/O errors to the exchange currently using
// it, with the protocol state at the moment the error was seen.
//
// The socket timeout is MI's http.socket.timeout: the longest time the
// connection may go without progress. Each Read gets a fresh read deadline,
// so a slow consumer of the response body is never mistaken for a silent
// backend; each Write pushes both deadlines, so a long upload that keeps
// moving also keeps alive the read net/http has pending for the response,
// and a request that stops moving (the backend stopped reading, or our own
// request body stalled) fails after one timeout. A connection idle in the
// pool keeps its last read deadline, so it is closed after one timeout of
// idleness, as MI expires keep-alive connections on the socket timeout.
type trackedConn struct {
	net.Conn
	timeout time.Duration // <= 0: none
	x       atomic.Pointer[exchange]
	// armedR and armedW are when the read and write deadlines were last
	// pushed (monotonic nanoseconds since the connection was dialled).
	// A deadline is pushed again only once a quarter of the timeout has
	// passed: no progress then fails after between three quarters of the
	// timeout and the whole of it, and a busy connection re-arms its
	// timers a few times per timeout instead of on every read and write.
	born           time.Time
	armedR, armedW atomic.Int64
}

// asTracked finds the trackedConn under the connection net/http reports
// (a *tls.Conn for https).
func asTracked(c net.Conn) *trackedConn {
	for range 4 {
		switch v := c.(type) {
		case *trackedConn:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// arm restarts the socket timeout for both directions.
func (c *trackedConn) arm() {
	if c.timeout > 0 {
		now := time.Now()
		_ = c.Conn.SetDeadline(now.Add(c.timeout))
		since := int64(now.Sub(c.born))
		c.armedR.Store(since)
		c.armedW.Store(since)
	}
}

// push restarts the read (and with write, the write) timeout if a
// quarter of it has passed.
func (c *trackedConn) push(write bool) {
	now := time.Now()
	since := int64(now.Sub(c.born))
	quarter := int64(c.timeout / 4)
	if since-c.armedR.Load() > quarter {
		c.armedR.Store(since)
		_ = c.Conn.SetReadDeadline(now.Add(c.timeout))
	}
	if write && since-c.armedW.Load() > quarter {
		c.armedW.Store(since)
		_ = c.Conn.SetWriteDeadline(now.Add(c.timeout))
	}
}

func (c *trackedConn) Read(p []byte) (int, error) {
	if c.timeout > 0 {
		c.push(false)
	}
	n, err := c.Conn.Read(p)
	if err != nil {
		c.failed(err, false)
	}
	return n, err
}

func (c *trackedConn) Write(p []byte) (int, error) {
	if c.timeout > 0 {
		// A write that moves keeps the pending read for the response
		// alive too (see the type's comment).
		c.push(true)
	}
	n, err := c.Conn.Write(p)
	if err != nil {
		c.failed(err, true)
	}
	return n, err
}

// Close aborts a request body still being sent before closing: see
// exchange.connClosing.
func (c *trackedConn) Close() error {
	if x := c.x.Load(); x != nil {
		x.connClosing(c)
	}
	return c.Conn.Close()
}

// failed attributes an I/O error to the exchange using the connection.
// Errors caused by closing the connection ourselves (a cancellation, the
// send timeout, net/http tearing down after another error) are not
// backend failures and are not recorded.
func (c *trackedConn) failed(err error, write bool) {
	x := c.x.Load()
	if x == nil || x.conn.Load() != c {
		return
	}
	if write {
		// Even a write cut short by our own close means the request did
		// not go out completely.
		x.wfail.Store(true)
	}
	if errors.Is(err, net.ErrClosed) {
		return
	}
	if err == io.EOF {
		// A bare io.EOF says neither who nor where; name the connection
		// as the net package does for its other errors.
		err = &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: errPeerClosed}
	}
	x.connFailed(c, err, write)
}

// errPeerClosed is a connection closed by the backend; it matches io.EOF.
var errPeerClosed = fmt.Errorf("connection closed by the backend: %w", io.EOF)
