package httpout_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/testkit"
	"github.com/busbar/busbar/internal/transport/httpout"
)

func init() {
	// Tests close idle connections right after a response; production
	// checks only connections idle for a while.
	httpout.CheckIdleAlways()
}

// scriptedServer answers the requests of each connection with the
// responses of answer, in turn, and counts connections; it records every
// request head it reads.
type scriptedServer struct {
	url    string
	conns  atomic.Int32
	closed atomic.Int32
	mu     sync.Mutex
	heads  []*http.Request
}

func scripted(t *testing.T, answer func(conn, i int) (raw string, closeAfter bool)) *scriptedServer {
	s := &scriptedServer{}
	s.url = rawServer(t, func(c net.Conn) {
		n := int(s.conns.Add(1))
		br := bufio.NewReader(c)
		for i := 0; ; i++ {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			s.mu.Lock()
			s.heads = append(s.heads, req)
			s.mu.Unlock()
			raw, closeAfter := answer(n, i)
			if _, err := io.WriteString(c, raw); err != nil || closeAfter {
				c.Close()
				s.closed.Add(1)
				return
			}
		}
	})
	return s
}

func (s *scriptedServer) head(i int) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heads[i]
}

func roundTrip(t *testing.T, c *httpout.Client, req *httpout.Request) (*httpout.Response, string) {
	t.Helper()
	resp, f := c.Do(context.Background(), req)
	if f != nil {
		t.Fatalf("%s: %v (%s)", req, f, f.Detail)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	resp.Body.Close()
	return resp, string(body)
}

func TestFastPathFraming(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		raw       string
		method    string
		body      string
		conns     int32 // connections used by three exchanges
		chunked   bool
		wantClose bool
	}{
		{"content_length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "POST", "ok", 1, false, false},
		{"chunked_with_trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\no\r\n1;x=y\r\nk\r\n0\r\nX-T: 1\r\n\r\n", "POST", "ok", 1, true, false},
		{"informational_responses_skipped", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "POST", "ok", 1, false, false},
		{"head_response_has_no_body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", "HEAD", "", 1, false, false},
		{"no_content", "HTTP/1.1 204 No Content\r\n\r\n", "POST", "", 1, false, false},
		{"connection_close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", "POST", "ok", 3, false, true},
		{"http10_without_keep_alive", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "POST", "ok", 3, false, true},
		{"http10_keep_alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", "POST", "ok", 1, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := scripted(t, func(int, int) (string, bool) { return tc.raw, tc.wantClose })
			c := client(t, httpout.Options{})
			for range 3 {
				req := hello(srv.url)
				if tc.method == "HEAD" {
					req = &httpout.Request{Method: "HEAD", URL: srv.url}
				}
				resp, body := roundTrip(t, c, req)
				if body != tc.body {
					t.Fatalf("body %q, want %q", body, tc.body)
				}
				if _, ok := resp.Header["Transfer-Encoding"]; ok {
					t.Fatal("Transfer-Encoding left in the response headers")
				}
				if tc.chunked && resp.ContentLength != -1 {
					t.Fatalf("chunked ContentLength %d", resp.ContentLength)
				}
			}
			if got := srv.conns.Load(); got != tc.conns {
				t.Fatalf("%d connections for 3 exchanges, want %d", got, tc.conns)
			}
		})
	}

	t.Run("close_delimited_body", func(t *testing.T) {
		t.Parallel()
		srv := scripted(t, func(int, int) (string, bool) { return "HTTP/1.1 200 OK\r\n\r\nuntil the end", true })
		c := client(t, httpout.Options{})
		for range 2 {
			if _, body := roundTrip(t, c, hello(srv.url)); body != "until the end" {
				t.Fatalf("body %q", body)
			}
		}
		if srv.conns.Load() != 2 {
			t.Fatalf("%d connections, want 2 (a close-delimited body ends its connection)", srv.conns.Load())
		}
	})
}

func TestFastPathStaleConnection(t *testing.T) {
	t.Parallel()
	// The backend answers once per connection and then closes it, without
	// saying so, as a keep-alive timeout would: a POST, which may not be
	// re-sent, must not be handed the dead connection.
	srv := scripted(t, func(int, int) (string, bool) { return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true })
	c := client(t, httpout.Options{})
	for i := range 3 {
		resp, f := c.Do(context.Background(), hello(srv.url))
		if f != nil {
			t.Fatalf("request %d: %v", i, f)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// Wait until the backend has closed, as after a keep-alive
		// timeout; on loopback its FIN is then in our socket.
		waitClosed(t, srv, int32(i+1))
	}
}

// waitClosed waits until the server has closed n connections.
func waitClosed(t *testing.T, srv *scriptedServer, n int32) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, func() bool { return srv.closed.Load() >= n }, "the backend to close its connection")
}
func TestFastPathRequestHead(t *testing.T) {
	t.Parallel()
	srv := scripted(t, func(int, int) (string, bool) { return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false })
	c := client(t, httpout.Options{})
	req := hello(srv.url + "/a/b?q=1")
	req.Header = http.Header{
		"Content-Type": {"text/plain"}, "Connection": {"X-Hop, keep-alive"}, "X-Hop": {"secret"},
		"Keep-Alive": {"timeout=5"}, "Transfer-Encoding": {"chunked"}, "Host": {"spoofed"},
		"X-Multi": {"1", "2"}, "User-Agent": {""},
	}
	roundTrip(t, c, req)
	roundTrip(t, c, &httpout.Request{Method: "PUT", URL: srv.url})
	h := srv.head(0)
	if h.RequestURI != "/a/b?q=1" || h.Method != "POST" || h.ContentLength != 5 || !strings.HasPrefix(h.Host, "127.0.0.1:") {
		t.Fatalf("request line/Host/length: %s %s host %q length %d", h.Method, h.RequestURI, h.Host, h.ContentLength)
	}
	for _, k := range []string{"X-Hop", "Keep-Alive", "Transfer-Encoding", "Connection", "User-Agent"} {
		if v, ok := h.Header[k]; ok {
			t.Errorf("%s sent to the backend: %q", k, v)
		}
	}
	if got := h.Header["X-Multi"]; len(got) != 2 {
		t.Errorf("X-Multi %q", got)
	}
	if put := srv.head(1); put.ContentLength != 0 || put.Header.Get("Content-Length") != "0" {
		t.Errorf("bodiless PUT without Content-Length: 0: %v", put.Header)
	}
}

func TestFastPathReuseWithLimiter(t *testing.T) {
	t.Parallel()
	// With MaxConnsPerHost the exchange has a context of its own for the
	// wait; ending it must not take the pooled connection down with it.
	srv := scripted(t, func(int, int) (string, bool) { return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false })
	c := client(t, httpout.Options{MaxConnsPerHost: 4})
	for range 3 {
		if _, body := roundTrip(t, c, hello(srv.url)); body != "ok" {
			t.Fatalf("body %q", body)
		}
	}
	if n := srv.conns.Load(); n != 1 {
		t.Fatalf("%d connections for 3 sequential exchanges, want 1", n)
	}
}

func TestFastPathCallerContext(t *testing.T) {
	t.Parallel()
	// A connection pooled under one context is closed when that context
	// ends, and is not handed to the next exchange.
	srv := scripted(t, func(int, int) (string, bool) { return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false })
	c := client(t, httpout.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	resp, f := c.Do(ctx, hello(srv.url))
	if f != nil {
		t.Fatal(f)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	cancel()
	if _, body := roundTrip(t, c, hello(srv.url)); body != "ok" {
		t.Fatalf("body %q", body)
	}
	if n := srv.conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2: the first died with its context", n)
	}
}

// TestFastPathResponseHeaders: repeated headers keep their order, a
// folded line continues its value, and every value survives the next
// exchange on the same connection (they share one string per head, not
// the connection's read buffer).
func TestFastPathResponseHeaders(t *testing.T) {
	t.Parallel()
	srv := scripted(t, func(_, i int) (string, bool) {
		return "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nx-trace:  t" + strings.Repeat("x", i) + " \r\nSet-Cookie: b=2\r\nX-Long: one\r\n  two\r\nContent-Length: 2\r\n\r\nok", false
	})
	c := client(t, httpout.Options{})
	var first http.Header
	for i := range 3 {
		resp, body := roundTrip(t, c, hello(srv.url))
		if body != "ok" {
			t.Fatalf("body %q", body)
		}
		if got := resp.Header["Set-Cookie"]; len(got) != 2 || got[0] != "a=1" || got[1] != "b=2" {
			t.Fatalf("Set-Cookie %q", got)
		}
		if got := resp.Header.Get("X-Long"); got != "one two" {
			t.Fatalf("folded X-Long %q", got)
		}
		if got, want := resp.Header.Get("X-Trace"), "t"+strings.Repeat("x", i); got != want {
			t.Fatalf("X-Trace %q, want %q", got, want)
		}
		if i == 0 {
			first = resp.Header
		}
	}
	if got := first.Get("X-Trace"); got != "t" || first.Get("X-Long") != "one two" {
		t.Fatalf("the first response's headers changed under later exchanges: %v", first)
	}
	if got := srv.conns.Load(); got != 1 {
		t.Fatalf("%d connections, want 1", got)
	}
}

// TestFastPathSendTimeoutOnPooledConnection: the send timeout of an
// exchange on a pooled connection runs on that connection's reusable
// timer. It fires for the exchange it was armed for (101504 in
// REQUEST_DONE), the connection it fired on is not reused, and it is
// re-armed for every exchange: a series of exchanges that together take
// longer than the timeout, each well within it, all succeed.
func TestFastPathSendTimeoutOnPooledConnection(t *testing.T) {
	t.Parallel()
	stop := stopped(t)
	const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	srv := scripted(t, func(conn, i int) (string, bool) {
		switch {
		case conn == 1 && i == 1:
			<-stop // the second exchange on the first connection never gets an answer
		case conn == 2:
			time.Sleep(40 * time.Millisecond) // a backend that takes its time
		}
		return ok, false
	})
	c := client(t, httpout.Options{})
	timed := func() *httpout.Request {
		req := hello(srv.url)
		req.Timeout = 150 * time.Millisecond
		return req
	}
	roundTrip(t, c, timed())
	check(t, doFault(t, c, timed()), want{101504, 101504, 3, "Send timeout"})
	for i := range 6 {
		if _, body := roundTrip(t, c, timed()); body != "ok" {
			t.Fatalf("exchange %d: body %q", i, body)
		}
	}
	if got := srv.conns.Load(); got != 2 {
		t.Fatalf("%d connections, want 2 (the timed-out one closed, the next reused)", got)
	}
}
