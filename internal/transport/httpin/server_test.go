package httpin_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/testkit"
	"github.com/busbar/busbar/internal/transport/httpin"
)

// echoAPI answers every request with the request itself (respond streams
// the untouched body back), and /e/proxy passes it through a backend.
func echoAPI(backend string) string {
	return `<api name="E" context="/e">
  <resource methods="POST GET HEAD PUT DELETE" uri-template="/echo"><inSequence><respond/></inSequence></resource>
  <resource methods="POST GET" uri-template="/proxy"><inSequence><send><endpoint><address uri="` + backend + `"/></endpoint></send></inSequence><outSequence><send/></outSequence></resource>
</api>`
}

// chunkedBackend answers with its request body, flushed early so that the
// response is chunked (no Content-Length).
func chunkedBackend(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// net/http's server stops reading the request once the response
		// starts: read first, then answer in chunks.
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func start(t *testing.T, opts httpin.Options) string {
	t.Helper()
	g := testkit.Graph(t, echoAPI(chunkedBackend(t)))
	return strings.TrimPrefix(testkit.StartServerOpts(t, g, opts).URL, "http://")
}

// dial opens a raw connection with a deadline so that a test cannot hang.
func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func send(t *testing.T, c net.Conn, raw string) {
	t.Helper()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
}

type reply struct {
	status int
	header http.Header
	body   string
	chunk  bool
	close  bool // the response said Connection: close
}

func read(t *testing.T, br *bufio.Reader, method string) reply {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	resp.Body.Close()
	return reply{resp.StatusCode, resp.Header, string(body), len(resp.TransferEncoding) > 0, resp.Close}
}

// closed reports whether the server closed the connection (an end or a
// reset) within a second; a connection kept open times the read out.
func closed(t *testing.T, c net.Conn, br *bufio.Reader) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	_, err := br.ReadByte()
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return err != nil
}

func TestRequests(t *testing.T) {
	t.Parallel()
	addr := start(t, httpin.Options{})
	for _, tc := range []struct {
		name   string
		raw    string
		method string
		status int
		body   string
		chunk  bool
		closes bool
	}{
		{"content_length_body", "POST /e/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", "POST", 200, "hello", false, false},
		{"chunked_request_body", "POST /e/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;ext=1\r\nlo\r\n0\r\nX-Trailer: 1\r\n\r\n", "POST", 200, "hello", true, false},
		{"chunked_response_from_backend", "POST /e/proxy HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", "POST", 200, "hello", true, false},
		{"http10_gets_close_delimited_body", "POST /e/proxy HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", "POST", 200, "hello", false, true},
		{"http10_keep_alive", "POST /e/echo HTTP/1.0\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi", "POST", 200, "hi", false, false},
		{"connection_close", "POST /e/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi", "POST", 200, "hi", false, true},
		{"head_has_no_body", "HEAD /e/echo HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD", 200, "", false, false},
		{"not_found", "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 404, "", false, false},
		{"missing_host", "GET /e/echo HTTP/1.1\r\n\r\n", "GET", 400, "", false, true},
		{"two_hosts", "GET /e/echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "GET", 400, "", false, true},
		{"bad_content_length", "POST /e/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", "POST", 400, "", false, true},
		{"conflicting_content_lengths", "POST /e/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "POST", 400, "", false, true},
		{"both_framings", "POST /e/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "POST", 400, "", false, true},
		{"unknown_transfer_encoding", "POST /e/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "POST", 501, "", false, true},
		{"unknown_expectation", "POST /e/echo HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 0\r\n\r\n", "POST", 417, "", false, true},
		{"http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET", 505, "", false, true},
		{"malformed_request_line", "GARBAGE\r\n\r\n", "GET", 400, "", false, true},
		{"folded_header", "GET /e/echo HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", "GET", 400, "", false, true},
		{"header_fields_too_large", "GET /e/echo HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 70<<10) + "\r\n\r\n", "GET", 431, "", false, true},
		{"request_line_too_long", "GET /e/" + strings.Repeat("a", 70<<10) + " HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 414, "", false, true},
		{"long_header_line_fits_the_limit", "POST /e/echo HTTP/1.1\r\nHost: x\r\nCookie: " + strings.Repeat("c", 20<<10) + "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", "POST", 200, "ok", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, br := dial(t, addr)
			send(t, c, tc.raw)
			r := read(t, br, tc.method)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (body %q)", r.status, tc.status, r.body)
			}
			if tc.body != "" && r.body != tc.body {
				t.Fatalf("body %q, want %q", r.body, tc.body)
			}
			if r.chunk != tc.chunk {
				t.Fatalf("chunked %v, want %v", r.chunk, tc.chunk)
			}
			if r.header.Get("Date") == "" {
				t.Fatal("no Date header")
			}
			if r.close != tc.closes {
				t.Fatalf("Connection: close %v, want %v", r.close, tc.closes)
			}
			if got := closed(t, c, br); got != tc.closes {
				t.Fatalf("connection closed %v, want %v", got, tc.closes)
			}
		})
	}
}

func TestKeepAliveAndPipelining(t *testing.T) {
	t.Parallel()
	addr := start(t, httpin.Options{})
	c, br := dial(t, addr)
	req := func(body string) string {
		return fmt.Sprintf("POST /e/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	// One after the other on one connection, then three in one write.
	for _, b := range []string{"one", "two"} {
		send(t, c, req(b))
		if r := read(t, br, "POST"); r.body != b {
			t.Fatalf("got %q, want %q", r.body, b)
		}
	}
	send(t, c, req("a")+req("bb")+req("ccc"))
	for _, b := range []string{"a", "bb", "ccc"} {
		if r := read(t, br, "POST"); r.status != 200 || r.body != b {
			t.Fatalf("pipelined: got %d %q, want %q", r.status, r.body, b)
		}
	}
}

func TestBodiesThroughTheBackend(t *testing.T) {
	t.Parallel()
	// Bodies the inbound side reads ahead (up to 32 KiB), and larger ones
	// streamed, reach the backend whole, with or without 100-continue.
	addr := start(t, httpin.Options{})
	for _, n := range []int{100, 20 << 10, 200 << 10} {
		for _, expect := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d_expect_%v", n, expect), func(t *testing.T) {
				c, br := dial(t, addr)
				body := strings.Repeat("x", n-1) + "!"
				head := fmt.Sprintf("POST /e/proxy HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n", n)
				if expect {
					send(t, c, head+"Expect: 100-continue\r\n\r\n")
					if line, _ := br.ReadString('\n'); line != "HTTP/1.1 100 Continue\r\n" {
						t.Fatalf("got %q", line)
					}
					_, _ = br.ReadString('\n')
					send(t, c, body)
				} else {
					send(t, c, head+"\r\n"+body)
				}
				if r := read(t, br, "POST"); r.status != 200 || r.body != body {
					t.Fatalf("status %d, %d bytes back of %d", r.status, len(r.body), n)
				}
			})
		}
	}
}

func TestUnreadBodyIsSkipped(t *testing.T) {
	t.Parallel()
	// The 404 flow never reads the body: the server skips it and the
	// connection carries the next request.
	addr := start(t, httpin.Options{})
	c, br := dial(t, addr)
	send(t, c, "POST /nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
	if r := read(t, br, "POST"); r.status != 404 {
		t.Fatalf("status %d", r.status)
	}
	send(t, c, "POST /e/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
	if r := read(t, br, "POST"); r.body != "ok" {
		t.Fatalf("second request: %q", r.body)
	}
}

func TestExpectContinue(t *testing.T) {
	t.Parallel()
	addr := start(t, httpin.Options{})
	c, br := dial(t, addr)
	send(t, c, "POST /e/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("got %q %v, want 100 Continue", line, err)
	}
	if blank, _ := br.ReadString('\n'); blank != "\r\n" {
		t.Fatalf("got %q after 100 Continue", blank)
	}
	send(t, c, "hello")
	if r := read(t, br, "POST"); r.status != 200 || r.body != "hello" {
		t.Fatalf("got %d %q", r.status, r.body)
	}

	// A flow that answers without reading the body sends no 100 and
	// closes: the client may never send the body.
	c2, br2 := dial(t, addr)
	send(t, c2, "POST /nothing HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
	r := read(t, br2, "POST")
	if r.status != 404 || !r.close || !closed(t, c2, br2) {
		t.Fatalf("got %d, Connection: close %v", r.status, r.close)
	}
}

func TestSlowClients(t *testing.T) {
	t.Parallel()
	addr := start(t, httpin.Options{ReadHeaderTimeout: 100 * time.Millisecond, IdleTimeout: 100 * time.Millisecond, BodyTimeout: 100 * time.Millisecond})

	t.Run("head_never_finished", func(t *testing.T) {
		c, br := dial(t, addr)
		send(t, c, "GET /e/echo HTTP/1.1\r\nHost: x\r\n")
		if !closed(t, c, br) {
			t.Fatal("connection still open")
		}
	})
	t.Run("idle_keep_alive", func(t *testing.T) {
		c, br := dial(t, addr)
		send(t, c, "GET /e/echo HTTP/1.1\r\nHost: x\r\n\r\n")
		read(t, br, "GET")
		if !closed(t, c, br) {
			t.Fatal("idle connection still open")
		}
	})
	t.Run("body_stalls", func(t *testing.T) {
		c, br := dial(t, addr)
		send(t, c, "POST /e/proxy HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhalf")
		r := read(t, br, "POST")
		// The client hears why; it is never left waiting.
		if r.status < 400 {
			t.Fatalf("status %d body %q", r.status, r.body)
		}
		if !closed(t, c, br) {
			t.Fatal("connection with a half-read body still open")
		}
	})
}

// TestSlowHeadOnKeptAliveConnection: the head timeout bounds a head from
// its first byte even on a connection whose idle timeout is long, and
// even when the head trickles in a byte at a time.
func TestSlowHeadOnKeptAliveConnection(t *testing.T) {
	t.Parallel()
	addr := start(t, httpin.Options{ReadHeaderTimeout: 150 * time.Millisecond, IdleTimeout: time.Minute})
	for _, tc := range []struct {
		name    string
		trickle bool
	}{{"stalled_head", false}, {"trickled_head", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, br := dial(t, addr)
			for range 3 {
				send(t, c, "GET /e/echo HTTP/1.1\r\nHost: x\r\n\r\n")
				read(t, br, "GET")
			}
			head := "GET /e/echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("y", 40)
			if !tc.trickle {
				send(t, c, head)
			} else {
				// One byte every 20 ms: each read is well within the head
				// timeout, the head as a whole is not.
				go func() {
					for i := range len(head) {
						if _, err := c.Write([]byte{head[i]}); err != nil {
							return
						}
						time.Sleep(20 * time.Millisecond)
					}
				}()
			}
			if !closed(t, c, br) {
				t.Fatal("a connection sending a slow head is still open after a second")
			}
		})
	}
}

func TestShutdownDrains(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var arrived atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		<-release
		_, _ = io.WriteString(w, "done")
	}))
	t.Cleanup(backend.Close)
	g := testkit.Graph(t, echoAPI(backend.URL))
	in := httpin.New(httpin.Options{Log: testkit.Logger(t)})
	in.Swap(g)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- in.Serve(ln) }()
	addr := ln.Addr().String()

	idle, idleBr := dial(t, addr)
	send(t, idle, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
	read(t, idleBr, "GET")
	busy, busyBr := dial(t, addr)
	send(t, busy, "POST /e/proxy HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi")
	testkit.Eventually(t, 5*time.Second, func() bool { return arrived.Load() == 1 }, "the request to reach the backend")

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- in.Shutdown(ctx)
	}()
	if !closed(t, idle, idleBr) {
		t.Fatal("idle connection not closed by Shutdown")
	}
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned with a request in flight: %v", err)
	default:
	}
	close(release)
	if r := read(t, busyBr, "POST"); r.status != 200 || r.body != "done" {
		t.Fatalf("in-flight request: %d %q", r.status, r.body)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
