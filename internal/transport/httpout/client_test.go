package httpout_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/testkit"
	"github.com/busbar/busbar/internal/transport/httpout"
)

// Short timeouts keep the package fast; the failures they provoke are the
// point of the tests, so load cannot make them flaky, only late.
const (
	socketTimeout = 50 * time.Millisecond
	sendTimeout   = 50 * time.Millisecond
)

// rawServer accepts connections on 127.0.0.1:0 and hands each to handle,
// so that a test controls every byte and every close.
func rawServer(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	return rawServerOn(t, &net.ListenConfig{}, handle)
}

func rawServerOn(t *testing.T, lc *net.ListenConfig, handle func(c net.Conn)) string {
	t.Helper()
	return "http://" + testkit.RawServer(t, lc, handle)
}

// smallReceiveBuffer makes accepted connections take little data before
// the sender blocks.
var smallReceiveBuffer = &net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
	})
	if err != nil {
		return err
	}
	return serr
}}

// stopped returns a channel closed when the test ends: hanging servers
// block on it instead of sleeping.
func stopped(t *testing.T) <-chan struct{} {
	ch := make(chan struct{})
	t.Cleanup(func() { close(ch) })
	return ch
}

// readHead consumes a request head and returns the request, whose body
// can be read on.
func readHead(c net.Conn) (*http.Request, error) {
	return http.ReadRequest(bufio.NewReader(c))
}

// readRequest consumes one whole request.
func readRequest(c net.Conn) {
	if req, err := readHead(c); err == nil {
		_, _ = io.Copy(io.Discard, req.Body)
	}
}

// reset closes c with SO_LINGER 0: the peer gets a TCP RST.
func reset(c net.Conn) {
	_ = c.(*net.TCPConn).SetLinger(0)
	_ = c.Close()
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// unacceptingListener returns the address of a socket listening with a
// backlog of 0 whose accept queue is full: the kernel drops further SYNs,
// so a connect times out on loopback.
func unacceptingListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the accept queue: connections complete until it is full, then
	// a connect times out. Nothing ever accepts.
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "http://" + addr
			}
			t.Fatalf("filling the accept queue: %v", err)
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the kernel keeps completing connections to a listener with a full backlog of 0, so a connect timeout cannot be provoked on loopback")
	return ""
}

// stalledBody is a streamed request body that sends first (if any) and
// then blocks until closed, like a client that stops sending.
func stalledBody(t *testing.T, first string) io.ReadCloser {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	if first != "" {
		go func() { _, _ = io.WriteString(pw, first) }()
	}
	return pr
}

// streamBody is a request body net/http cannot see as in memory, like the
// inbound stream Busbar passes through.
type streamBody struct{ io.Reader }

func (streamBody) Close() error { return nil }

// failingBody sends some bytes and then fails, like a client that goes
// away mid-request.
type failingBody struct {
	sent bool
	err  error
}

func (b *failingBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, "hel"), nil
	}
	return 0, b.err
}
func (b *failingBody) Close() error { return nil }

func post(url string, body io.ReadCloser, length int64) *httpout.Request {
	return &httpout.Request{Method: "POST", URL: url, Header: http.Header{"Content-Type": {"text/plain"}}, Body: body, ContentLength: length}
}

func hello(url string) *httpout.Request {
	r := post(url, io.NopCloser(strings.NewReader("hello")), 5)
	r.InMemory = true
	return r
}

// bigHead is a bodiless request whose head cannot be written to a backend
// that stops reading (with a small send buffer and a small receive
// buffer), so the exchange stays in REQUEST_HEAD.
func bigHead(url string) *httpout.Request {
	return &httpout.Request{Method: "GET", URL: url, Header: http.Header{"X-Big": {strings.Repeat("a", 1<<20)}}}
}

func client(t *testing.T, opts httpout.Options) *httpout.Client {
	c := httpout.New(opts)
	t.Cleanup(c.Close)
	return c
}

// want is the classification a test expects.
type want struct {
	code, base, state int
	msg               string
}

// check verifies every field the fault properties are built from
// (synapse-semantics §3.2): ERROR_CODE = base + state unless the code is
// raw (send timeout), ERROR_MESSAGE, BASE_ERROR_CODE,
// PROTOCOL_STATE_ON_FAILURE, and ERROR_DETAIL / ERROR_EXCEPTION from the
// Go error.
func check(t *testing.T, f *fault.Error, w want) {
	t.Helper()
	if f == nil {
		t.Fatalf("no fault, want %d", w.code)
	}
	n, _ := f.Code.Int()
	if n != w.code || f.Base != w.base || f.State != w.state || f.Message != w.msg {
		t.Fatalf("got code %d base %d state %d message %q (detail %q), want %d %d %d %q", n, f.Base, f.State, f.Message, f.Detail, w.code, w.base, w.state, w.msg)
	}
	if f.Cause != nil && f.Detail != f.Cause.Error() && !strings.HasSuffix(f.Detail, f.Cause.Error()) {
		t.Fatalf("detail %q does not carry the cause %q", f.Detail, f.Cause)
	}
	if f.Detail == "" {
		t.Fatal("empty detail")
	}
}

// doFault runs req and returns its fault; the exchange must fail before
// the response.
func doFault(t *testing.T, c *httpout.Client, req *httpout.Request) *fault.Error {
	t.Helper()
	return doFaultCtx(t, context.Background(), c, req)
}

func doFaultCtx(t *testing.T, ctx context.Context, c *httpout.Client, req *httpout.Request) *fault.Error {
	t.Helper()
	resp, f := c.Do(ctx, req)
	if f == nil {
		resp.Body.Close()
		t.Fatalf("got a %d response, want a fault", resp.Status)
	}
	return f
}

// bodyFault runs req, which must get a response, and returns the fault
// reading its body.
func bodyFault(t *testing.T, c *httpout.Client, req *httpout.Request) *fault.Error {
	t.Helper()
	resp, f := c.Do(context.Background(), req)
	if f != nil {
		t.Fatalf("Do failed: %v (%s)", f, f.Detail)
	}
	defer resp.Body.Close()
	_, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatal("the body read to the end, want a fault")
	}
	var fe *fault.Error
	if !errors.As(err, &fe) {
		t.Fatalf("body error %T %v is not a fault", err, err)
	}
	return fe
}

// exchangeFault runs req and returns the fault of Do or, if Do succeeds,
// of reading the body.
func exchangeFault(t *testing.T, c *httpout.Client, req *httpout.Request) *fault.Error {
	t.Helper()
	resp, f := c.Do(context.Background(), req)
	if f != nil {
		return f
	}
	defer resp.Body.Close()
	_, err := io.ReadAll(resp.Body)
	var fe *fault.Error
	if !errors.As(err, &fe) {
		t.Fatalf("body read: %v, want a fault", err)
	}
	return fe
}

// timesOut checks an exchange that must fail by a timeout (socket or
// endpoint) in w.state. The test timeouts are short, and on a loaded
// machine the client itself can be descheduled for longer than that
// before it reaches the state under test; the timeout then rightly fires
// in an earlier state. Such runs are retried a few times; any other
// outcome is checked as is.
func timesOut(t *testing.T, w want, run func() *fault.Error) {
	t.Helper()
	for i := 0; ; i++ {
		f := run()
		if i < 5 && f != nil && f.Base == fault.ConnectionTimeout && f.State < w.state {
			t.Logf("the timeout fired early, in state %d (loaded machine): retrying", f.State)
			continue
		}
		check(t, f, w)
		return
	}
}

const (
	connect = "Error connecting to the back end"
	sender  = "Error in Sender"
	stalled = "Error in Sender: socket timeout while receiving the response"
)

// TestClassify drives every failure over real loopback sockets and checks
// its Synapse code, base code, protocol state and message
// (synapse-semantics §3.2).
func TestClassify(t *testing.T) {
	t.Parallel()

	t.Run("connection_refused_101503", func(t *testing.T) {
		t.Parallel()
		f := doFault(t, client(t, httpout.Options{}), hello(closedPort(t)))
		check(t, f, want{101503, 101503, 0, connect})
		if !errors.Is(f.Cause, syscall.ECONNREFUSED) {
			t.Fatalf("cause %v", f.Cause)
		}
	})

	t.Run("invalid_address_101503", func(t *testing.T) {
		t.Parallel()
		check(t, doFault(t, client(t, httpout.Options{}), hello("ftp://nowhere")), want{101503, 101503, 0, connect})
	})

	t.Run("connect_timeout_101508", func(t *testing.T) {
		t.Parallel()
		url := unacceptingListener(t)
		f := doFault(t, client(t, httpout.Options{DialTimeout: 50 * time.Millisecond}), hello(url))
		check(t, f, want{101508, 101508, 0, connect})
	})

	t.Run("tls_handshake_failure_101503", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.StartTLS()
		t.Cleanup(srv.Close)
		// The client does not trust the test server's certificate.
		check(t, doFault(t, client(t, httpout.Options{}), hello(srv.URL)), want{101503, 101503, 0, connect})
	})

	t.Run("invalid_header_value_102510", func(t *testing.T) {
		t.Parallel()
		req := hello(closedPort(t))
		req.Header = http.Header{"X-Bad": {"a\x00b"}}
		check(t, doFault(t, client(t, httpout.Options{}), req), want{102510, 102510, 0, sender})
	})

	// Socket timeouts: 101504 + state.
	t.Run("socket_timeout_writing_the_head_101505", func(t *testing.T) {
		t.Parallel()
		stop := stopped(t)
		url := rawServerOn(t, smallReceiveBuffer, func(c net.Conn) {
			_, _ = io.ReadFull(c, make([]byte, 16)) // the client is writing its head
			<-stop
		})
		c := httpout.NewWithSendBuffer(httpout.Options{SocketTimeout: socketTimeout}, 4096)
		t.Cleanup(c.Close)
		timesOut(t, want{101505, 101504, 1, sender}, func() *fault.Error { return doFault(t, c, bigHead(url)) })
	})

	t.Run("socket_timeout_while_the_request_body_stalls_101506", func(t *testing.T) {
		t.Parallel()
		stop := stopped(t)
		url := rawServer(t, func(c net.Conn) { _, _ = readHead(c); <-stop })
		c := client(t, httpout.Options{SocketTimeout: socketTimeout})
		timesOut(t, want{101506, 101504, 2, sender}, func() *fault.Error { return doFault(t, c, post(url, stalledBody(t, ""), -1)) })
	})

	t.Run("socket_timeout_waiting_for_the_response_101507", func(t *testing.T) {
		t.Parallel()
		stop := stopped(t)
		url := rawServer(t, func(c net.Conn) { readRequest(c); <-stop })
		c := client(t, httpout.Options{SocketTimeout: socketTimeout})
		var f *fault.Error
		timesOut(t, want{101507, 101504, 3, sender}, func() *fault.Error { f = doFault(t, c, hello(url)); return f })
		if !strings.Contains(f.Detail, "i/o timeout") {
			t.Fatalf("detail %q", f.Detail)
		}
	})

	t.Run("socket_timeout_in_the_response_head_101508", func(t *testing.T) {
		t.Parallel()
		stop := stopped(t)
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			<-stop
		})
		c := client(t, httpout.Options{SocketTimeout: socketTimeout})
		timesOut(t, want{101508, 101504, 4, stalled}, func() *fault.Error { return doFault(t, c, hello(url)) })
	})

	t.Run("socket_timeout_in_the_response_body_101509", func(t *testing.T) {
		t.Parallel()
		stop := stopped(t)
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
			<-stop
		})
		c := client(t, httpout.Options{SocketTimeout: socketTimeout})
		timesOut(t, want{101509, 101504, 5, stalled}, func() *fault.Error { return exchangeFault(t, c, hello(url)) })
	})

	// The backend closes the connection: 101505 + state.
	t.Run("backend_closes_while_the_head_is_written_101506", func(t *testing.T) {
		t.Parallel()
		stop := stopped(t)
		url := rawServerOn(t, smallReceiveBuffer, func(c net.Conn) {
			_, _ = io.ReadFull(c, make([]byte, 16))
			_ = c.(*net.TCPConn).CloseWrite() // FIN; unread data would make Close a reset
			<-stop
		})
		c := httpout.NewWithSendBuffer(httpout.Options{}, 4096)
		t.Cleanup(c.Close)
		check(t, doFault(t, c, bigHead(url)), want{101506, 101505, 1, sender})
	})

	t.Run("backend_closes_after_headers_101507", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) { _, _ = readHead(c) })
		f := doFault(t, client(t, httpout.Options{}), post(url, stalledBody(t, ""), -1))
		check(t, f, want{101507, 101505, 2, sender})
		if !errors.Is(f.Cause, io.EOF) {
			t.Fatalf("cause %v", f.Cause)
		}
	})

	t.Run("backend_closes_mid_request_body_101507", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) {
			req, err := readHead(c)
			if err == nil {
				_, _ = io.ReadFull(req.Body, make([]byte, 4))
			}
		})
		f := doFault(t, client(t, httpout.Options{}), post(url, stalledBody(t, "part"), 100))
		check(t, f, want{101507, 101505, 2, sender})
	})

	t.Run("backend_closes_after_full_request_101508", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, readRequest)
		check(t, doFault(t, client(t, httpout.Options{}), hello(url)), want{101508, 101505, 3, sender})
	})

	t.Run("backend_closes_before_the_writer_reports_the_request_sent_101508", func(t *testing.T) {
		t.Parallel()
		// The reader sees the close while the writer, which did write
		// everything (a streamed body of known length goes straight to
		// the socket), has not yet said so: still REQUEST_DONE.
		url := rawServer(t, readRequest)
		c := client(t, httpout.Options{})
		failed := make(chan struct{})
		var once sync.Once
		c.OnFailure(func() { once.Do(func() { close(failed) }) })
		c.BeforeWroteRequest(func() {
			select {
			case <-failed:
			case <-time.After(5 * time.Second):
			}
		})
		check(t, doFault(t, c, post(url, streamBody{strings.NewReader("hello")}, 5)), want{101508, 101505, 3, sender})
	})

	t.Run("backend_closes_after_full_bodiless_request_101508", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, readRequest)
		req := &httpout.Request{Method: "GET", URL: url}
		check(t, doFault(t, client(t, httpout.Options{}), req), want{101508, 101505, 3, sender})
	})

	t.Run("backend_closes_in_the_response_head_101509", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-")
		})
		check(t, doFault(t, client(t, httpout.Options{}), hello(url)), want{101509, 101505, 4, sender})
	})

	t.Run("backend_closes_in_the_response_body_101510", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
		})
		check(t, bodyFault(t, client(t, httpout.Options{}), hello(url)), want{101510, 101505, 5, sender})
	})

	// A TCP reset is an I/O error: 101500 + state.
	t.Run("reset_while_the_head_is_written_101501", func(t *testing.T) {
		t.Parallel()
		url := rawServerOn(t, smallReceiveBuffer, func(c net.Conn) {
			_, _ = io.ReadFull(c, make([]byte, 16))
			reset(c)
		})
		c := httpout.NewWithSendBuffer(httpout.Options{}, 4096)
		t.Cleanup(c.Close)
		check(t, doFault(t, c, bigHead(url)), want{101501, 101500, 1, sender})
	})

	t.Run("reset_after_headers_101502", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) { _, _ = readHead(c); reset(c) })
		f := doFault(t, client(t, httpout.Options{}), post(url, stalledBody(t, ""), -1))
		check(t, f, want{101502, 101500, 2, sender})
		if !errors.Is(f.Cause, syscall.ECONNRESET) {
			t.Fatalf("cause %v", f.Cause)
		}
	})

	t.Run("reset_before_the_request_is_flushed_101502", func(t *testing.T) {
		t.Parallel()
		// The whole request is in the connection's write buffer (the
		// writer is about to report REQUEST_DONE) when the backend resets:
		// the flush fails, the request did not go out.
		headWritten := make(chan struct{})
		url := rawServer(t, func(c net.Conn) { <-headWritten; reset(c) })
		// Only net/http's writer has a final flush to fail: the fast path
		// writes head and body in one call.
		c := httpout.NewNetHTTP(httpout.Options{})
		t.Cleanup(c.Close)
		var once, failedOnce sync.Once
		failed := make(chan struct{})
		c.OnState(func(s httpout.State) {
			if s == httpout.RequestBody {
				once.Do(func() { close(headWritten) })
			}
		})
		c.OnFailure(func() { failedOnce.Do(func() { close(failed) }) })
		c.BeforeWroteRequest(func() {
			select {
			case <-failed:
			case <-time.After(5 * time.Second):
			}
		})
		check(t, doFault(t, c, hello(url)), want{101502, 101500, 2, sender})
	})

	t.Run("reset_after_full_request_101503", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) { readRequest(c); reset(c) })
		check(t, doFault(t, client(t, httpout.Options{}), hello(url)), want{101503, 101500, 3, sender})
	})

	t.Run("reset_in_the_response_head_101504", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			reset(c)
		})
		check(t, doFault(t, client(t, httpout.Options{}), hello(url)), want{101504, 101500, 4, sender})
	})

	t.Run("reset_in_the_response_body_101505", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
			reset(c)
		})
		check(t, bodyFault(t, client(t, httpout.Options{}), hello(url)), want{101505, 101500, 5, sender})
	})

	// Not HTTP: 101506 + state.
	t.Run("malformed_status_line_101510", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) { readRequest(c); _, _ = io.WriteString(c, "HTTP/1.1 abc\r\n\r\n") })
		check(t, doFault(t, client(t, httpout.Options{}), hello(url)), want{101510, 101506, 4, sender})
	})

	t.Run("malformed_header_101510", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n")
		})
		check(t, doFault(t, client(t, httpout.Options{}), hello(url)), want{101510, 101506, 4, sender})
	})

	t.Run("malformed_chunked_body_101511", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
		})
		check(t, bodyFault(t, client(t, httpout.Options{}), hello(url)), want{101511, 101506, 5, sender})
	})

	// The endpoint deadline: raw 101504 "Send timeout", whatever the state.
	t.Run("send_timeout_waiting_for_the_response_101504", func(t *testing.T) {
		t.Parallel()
		stop := stopped(t)
		url := rawServer(t, func(c net.Conn) { readRequest(c); <-stop })
		c := client(t, httpout.Options{})
		timesOut(t, want{101504, 101504, 3, "Send timeout"}, func() *fault.Error {
			req := hello(url)
			req.Timeout = sendTimeout
			return doFault(t, c, req)
		})
	})

	t.Run("send_timeout_while_the_request_body_stalls_101504", func(t *testing.T) {
		t.Parallel()
		stop := stopped(t)
		url := rawServer(t, func(c net.Conn) { _, _ = readHead(c); <-stop })
		c := client(t, httpout.Options{})
		// The stalled body must not keep Do waiting past the deadline.
		timesOut(t, want{101504, 101504, 2, "Send timeout"}, func() *fault.Error {
			req := post(url, stalledBody(t, ""), -1)
			req.Timeout = sendTimeout
			return doFault(t, c, req)
		})
	})

	t.Run("send_timeout_does_not_cut_the_response_body", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart1")
			<-release
			_, _ = io.WriteString(c, "part2")
		})
		// A deadline the head easily meets even on a loaded machine.
		const deadline = 250 * time.Millisecond
		req := hello(url)
		req.Timeout = deadline
		resp, f := client(t, httpout.Options{}).Do(context.Background(), req)
		if f != nil {
			t.Fatal(f)
		}
		defer resp.Body.Close()
		buf := make([]byte, 5)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			t.Fatal(err)
		}
		// Outlive the endpoint timeout while the body streams.
		time.Sleep(2 * deadline)
		close(release)
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "part2" {
			t.Fatalf("got %q %v", rest, err)
		}
	})

	// The caller gives up (its client went away).
	t.Run("caller_cancels_while_waiting_101503", func(t *testing.T) {
		t.Parallel()
		stop := stopped(t)
		got := make(chan struct{})
		url := rawServer(t, func(c net.Conn) { readRequest(c); close(got); <-stop })
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-got; cancel() }()
		f := doFaultCtx(t, ctx, client(t, httpout.Options{}), hello(url))
		check(t, f, want{101503, 101500, 3, sender})
		if !errors.Is(f.Cause, context.Canceled) {
			t.Fatalf("cause %v", f.Cause)
		}
	})

	// The request body fails: the source, not the backend.
	t.Run("request_body_read_error_101502", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, readRequest)
		f := doFault(t, client(t, httpout.Options{}), post(url, &failingBody{err: errors.New("client went away")}, -1))
		check(t, f, want{101502, 101500, 2, sender})
		if !strings.Contains(f.Detail, "reading the request body from the client: client went away") || !f.Inbound || f.Status != 400 {
			t.Fatalf("detail %q inbound %v status %d", f.Detail, f.Inbound, f.Status)
		}
	})

	t.Run("request_body_fault_is_kept", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, readRequest)
		tooBig := fault.New(fault.MessageTooLarge, "request body too large")
		f := doFault(t, client(t, httpout.Options{}), post(url, &failingBody{err: tooBig}, -1))
		if f != tooBig {
			t.Fatalf("got %v, want the body's own fault", f)
		}
	})
}

// TestPool: the per-host limiter fails requests at REQUEST_READY with
// 101504 and MI's messages instead of making them wait without bound.
func TestPool(t *testing.T) {
	t.Parallel()

	// holdingServer answers each request once release is closed, and
	// reports each request it got.
	holdingServer := func(t *testing.T) (url string, got chan struct{}, release chan struct{}) {
		stop := stopped(t)
		got, release = make(chan struct{}, 8), make(chan struct{})
		url = rawServer(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				got <- struct{}{}
				select {
				case <-release:
				case <-stop:
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		})
		return url, got, release
	}
	// async runs a request and reports its outcome.
	async := func(c *httpout.Client, req *httpout.Request) <-chan error {
		done := make(chan error, 1)
		go func() {
			resp, f := c.Do(context.Background(), req)
			if f != nil {
				done <- f
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && string(body) != "ok" {
				err = fmt.Errorf("body %q", body)
			}
			done <- err
		}()
		return done
	}

	t.Run("no_available_connections_101504", func(t *testing.T) {
		t.Parallel()
		url, got, release := holdingServer(t)
		c := client(t, httpout.Options{MaxConnsPerHost: 1})
		first := async(c, hello(url))
		<-got
		check(t, doFault(t, c, hello(url)), want{101504, 101504, 0, "No available connections to serve the request"})
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		// The slot is back: the next request goes through.
		if err := <-async(c, hello(url)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("queue_full_101504_and_queued_request_proceeds", func(t *testing.T) {
		t.Parallel()
		url, got, release := holdingServer(t)
		c := client(t, httpout.Options{MaxConnsPerHost: 1, MaxQueuedPerHost: 1})
		queued := make(chan struct{}, 8)
		c.OnQueued(func() { queued <- struct{}{} })
		first := async(c, hello(url))
		<-got
		second := async(c, hello(url))
		<-queued
		check(t, doFault(t, c, hello(url)), want{101504, 101504, 0, "Number of queued messages exceeds the limit"})
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if err := <-second; err != nil {
			t.Fatalf("queued request: %v", err)
		}
	})

	t.Run("caller_cancels_while_queued_101507", func(t *testing.T) {
		t.Parallel()
		url, got, release := holdingServer(t)
		c := client(t, httpout.Options{MaxConnsPerHost: 1, MaxQueuedPerHost: -1})
		ctx, cancel := context.WithCancel(context.Background())
		c.OnQueued(cancel)
		first := async(c, hello(url))
		<-got
		// No connection yet: MI's CONNECT_CANCEL.
		check(t, doFaultCtx(t, ctx, c, hello(url)), want{101507, 101507, 0, connect})
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("send_timeout_while_queued_101504", func(t *testing.T) {
		t.Parallel()
		url, got, release := holdingServer(t)
		c := client(t, httpout.Options{MaxConnsPerHost: 1, MaxQueuedPerHost: -1})
		first := async(c, hello(url))
		<-got
		req := hello(url)
		req.Timeout = sendTimeout
		check(t, doFault(t, c, req), want{101504, 101504, 0, "Send timeout"})
		if n := c.Waiting(url); n != 0 {
			t.Fatalf("%d requests still wait", n)
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
	})
}

// TestRetry: net/http re-sends a request only when that cannot duplicate
// work, and a fault describes the attempt that failed last.
func TestRetry(t *testing.T) {
	t.Parallel()

	// server answers the first request of its first connection, reads the
	// second and closes without answering (a keep-alive race), and answers
	// everything on later connections. onDrop runs before that close.
	server := func(t *testing.T, onDrop func()) string {
		var conns atomic.Int32
		return rawServer(t, func(c net.Conn) {
			n := conns.Add(1)
			br := bufio.NewReader(c)
			for i := 0; ; i++ {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				if n == 1 && i == 1 {
					if onDrop != nil {
						onDrop()
					}
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		})
	}
	// prime sends a first request so that the next one reuses its
	// connection.
	prime := func(t *testing.T, c *httpout.Client, url string) {
		resp, f := c.Do(context.Background(), &httpout.Request{Method: "GET", URL: url})
		if f != nil {
			t.Fatal(f)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	t.Run("idempotent_request_is_resent_after_reused_connection_closes", func(t *testing.T) {
		t.Parallel()
		url := server(t, nil)
		c := client(t, httpout.Options{})
		prime(t, c, url)
		resp, f := c.Do(context.Background(), &httpout.Request{Method: "GET", URL: url})
		if f != nil {
			t.Fatalf("GET was not retried: %v", f)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "ok" {
			t.Fatalf("body %q", body)
		}
	})

	t.Run("request_with_body_is_not_resent_101508", func(t *testing.T) {
		t.Parallel()
		url := server(t, nil)
		c := client(t, httpout.Options{})
		prime(t, c, url)
		// A retry would have succeeded on a new connection.
		check(t, doFault(t, c, hello(url)), want{101508, 101505, 3, sender})
	})

	t.Run("fault_describes_the_last_attempt_101503", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		url := "http://" + ln.Addr().String()
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for i := 0; ; i++ {
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				if i == 1 {
					// The retry will find the port closed.
					ln.Close()
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		}()
		c := client(t, httpout.Options{})
		prime(t, c, url)
		// First attempt: closed in REQUEST_DONE (101508); the retry is
		// refused: that is what is reported.
		check(t, doFault(t, c, &httpout.Request{Method: "GET", URL: url}), want{101503, 101503, 0, connect})
	})
}

// TestStates checks the transitions of whole exchanges through the trace
// hooks: each state is entered when it really begins.
func TestStates(t *testing.T) {
	t.Parallel()
	all := []httpout.State{httpout.RequestReady, httpout.RequestHead, httpout.RequestBody, httpout.RequestDone, httpout.ResponseHead, httpout.ResponseBody, httpout.ResponseDone}
	noBody := []httpout.State{httpout.RequestReady, httpout.RequestHead, httpout.RequestDone, httpout.ResponseHead, httpout.ResponseBody, httpout.ResponseDone}

	// recorder collects the transitions; sent is closed when the request
	// is fully written, so that the server answers only then (otherwise
	// the first response byte can overtake the writer's hook).
	type recorder struct {
		mu   sync.Mutex
		seen []httpout.State
		sent chan struct{}
	}
	record := func(c *httpout.Client) *recorder {
		r := &recorder{sent: make(chan struct{})}
		c.OnState(func(s httpout.State) {
			r.mu.Lock()
			r.seen = append(r.seen, s)
			r.mu.Unlock()
			if s == httpout.RequestDone {
				close(r.sent)
			}
		})
		return r
	}
	last := func(r *recorder) httpout.State {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.seen[len(r.seen)-1]
	}
	answer := func(t *testing.T, r **recorder, response string) string {
		return rawServer(t, func(c net.Conn) {
			readRequest(c)
			select {
			case <-(*r).sent:
			case <-time.After(5 * time.Second):
			}
			_, _ = io.WriteString(c, response)
		})
	}
	run := func(t *testing.T, response string, req func(url string) *httpout.Request, wantSeen []httpout.State) {
		var r *recorder
		url := answer(t, &r, response)
		c := client(t, httpout.Options{})
		r = record(c)
		resp, f := c.Do(context.Background(), req(url))
		if f != nil {
			t.Fatal(f)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		if fmt.Sprint(r.seen) != fmt.Sprint(wantSeen) {
			t.Fatalf("transitions %v, want %v", r.seen, wantSeen)
		}
	}
	const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

	t.Run("streamed_body", func(t *testing.T) {
		t.Parallel()
		run(t, ok, func(url string) *httpout.Request { return post(url, streamBody{strings.NewReader("hello")}, -1) }, all)
	})
	t.Run("in_memory_body", func(t *testing.T) {
		t.Parallel()
		run(t, ok, hello, all)
	})
	t.Run("no_request_body", func(t *testing.T) {
		t.Parallel()
		run(t, ok, func(url string) *httpout.Request { return &httpout.Request{Method: "GET", URL: url} }, noBody)
	})
	t.Run("empty_response", func(t *testing.T) {
		t.Parallel()
		run(t, "HTTP/1.1 204 No Content\r\n\r\n", hello, all)
	})

	t.Run("large_body_is_sent_in_REQUEST_BODY", func(t *testing.T) {
		t.Parallel()
		half := make(chan struct{})
		resume := make(chan struct{})
		// Small socket buffers: the body cannot hide in them.
		url := rawServerOn(t, smallReceiveBuffer, func(c net.Conn) {
			req, err := readHead(c)
			if err != nil {
				return
			}
			_, _ = io.CopyN(io.Discard, req.Body, 64<<10)
			close(half)
			<-resume
			_, _ = io.Copy(io.Discard, req.Body)
			_, _ = io.WriteString(c, ok)
		})
		c := httpout.NewWithSendBuffer(httpout.Options{}, 4096)
		t.Cleanup(c.Close)
		r := record(c)
		done := make(chan *fault.Error, 1)
		go func() {
			resp, f := c.Do(context.Background(), post(url, streamBody{strings.NewReader(strings.Repeat("x", 1<<20))}, 1<<20))
			if f == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			done <- f
		}()
		<-half
		if s := last(r); s != httpout.RequestBody {
			t.Errorf("state %v half-way through the body", s)
		}
		close(resume)
		if f := <-done; f != nil {
			t.Fatal(f)
		}
	})
}

// TestSocketTimeout: the socket timeout measures the backend's silence,
// not the exchange's length nor the consumer's pace.
func TestSocketTimeout(t *testing.T) {
	t.Parallel()

	t.Run("progressing_upload_is_not_a_timeout", func(t *testing.T) {
		t.Parallel()
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		})
		pr, pw := io.Pipe()
		go func() {
			// Longer than the socket timeout in total, never silent
			// for a fifth of it.
			for range 7 {
				time.Sleep(100 * time.Millisecond)
				if _, err := io.WriteString(pw, "chunk"); err != nil {
					return
				}
			}
			pw.Close()
		}()
		c := client(t, httpout.Options{SocketTimeout: 500 * time.Millisecond})
		resp, f := c.Do(context.Background(), post(url, pr, -1))
		if f != nil {
			t.Fatal(f)
		}
		resp.Body.Close()
	})

	t.Run("slow_consumer_is_not_a_timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		url := rawServer(t, func(c net.Conn) {
			readRequest(c)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart1")
			<-release
			_, _ = io.WriteString(c, "part2")
		})
		// Roomy enough that load cannot make the exchange itself time
		// out; the consumer then stays away for longer than it.
		const timeout = 200 * time.Millisecond
		c := client(t, httpout.Options{SocketTimeout: timeout})
		resp, f := c.Do(context.Background(), hello(url))
		if f != nil {
			t.Fatal(f)
		}
		defer resp.Body.Close()
		time.Sleep(5 * timeout / 2) // the mediation is busy
		close(release)
		body, err := io.ReadAll(resp.Body)
		if err != nil || string(body) != "part1part2" {
			t.Fatalf("got %q %v", body, err)
		}
	})

	t.Run("idle_connection_expires_quietly", func(t *testing.T) {
		t.Parallel()
		var conns atomic.Int32
		url := rawServer(t, func(c net.Conn) {
			conns.Add(1)
			br := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		})
		const timeout = 200 * time.Millisecond
		c := client(t, httpout.Options{SocketTimeout: timeout})
		for i := range 2 {
			if i == 1 {
				time.Sleep(5 * timeout / 2) // idle in the pool
			}
			resp, f := c.Do(context.Background(), hello(url))
			if f != nil {
				t.Fatalf("request %d: %v", i, f)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if n := conns.Load(); n != 2 {
			t.Fatalf("%d connections, want the idle one replaced", n)
		}
	})
}

// TestStreaming: bodies and headers pass both ways, hop-by-hop headers do
// not, and any status is a response.
func TestStreaming(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Connection") != "" || r.Header.Get("Keep-Alive") != "" || r.Header.Get("X-Drop") != "" {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("X-Seen", r.Header.Get("X-Keep"))
		w.WriteHeader(503)
		_, _ = io.Copy(w, r.Body)
	}))
	defer srv.Close()
	c := httpout.New(httpout.Options{})
	defer c.Close()
	resp, f := c.Do(context.Background(), &httpout.Request{Method: "PUT", URL: srv.URL + "/x",
		Header: http.Header{"X-Keep": {"k"}, "Connection": {"X-Drop"}, "X-Drop": {"d"}, "Keep-Alive": {"1"}},
		Body:   io.NopCloser(strings.NewReader("payload")), ContentLength: -1})
	if f != nil {
		t.Fatal(f)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.Status != 503 || string(body) != "payload" || resp.Header.Get("X-Seen") != "k" {
		t.Fatalf("got %d %q %v %v", resp.Status, body, resp.Header, err)
	}
}
