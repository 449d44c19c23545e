package httpout_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/transport/httpout"
)

// rawServer accepts connections on 127.0.0.1:0 and hands each to handle.
func rawServer(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readRequest consumes one request (headers and a Content-Length body).
func readRequest(c net.Conn) {
	r := bufio.NewReader(c)
	req, err := http.ReadRequest(r)
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, req.Body)
}

func do(t *testing.T, url string, timeout time.Duration) (*httpout.Response, error) {
	t.Helper()
	c := httpout.New(httpout.Options{})
	t.Cleanup(c.Close)
	resp, ferr := c.Do(context.Background(), &httpout.Request{Method: "POST", URL: url, Header: http.Header{"Content-Type": {"text/plain"}},
		Body: io.NopCloser(strings.NewReader("hello")), ContentLength: 5, Timeout: timeout})
	if ferr != nil {
		return nil, ferr
	}
	return resp, nil
}

// TestClassification drives each failure with a real socket and checks
// the Synapse code, base code and protocol state (synapse-semantics §3.2).
func TestClassification(t *testing.T) {
	t.Parallel()
	closed := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}()
	cases := []struct {
		name     string
		url      string
		timeout  time.Duration
		code     string
		base     int
		state    int
		msgStart string
	}{
		{name: "connection refused", url: closed, code: "101503", base: 101503, state: 0, msgStart: "Error connecting to the back end"},
		{name: "closed after the request", url: rawServer(t, func(c net.Conn) { readRequest(c) }), code: "101508", base: 101505, state: 3},
		{name: "malformed status line", url: rawServer(t, func(c net.Conn) { readRequest(c); io.WriteString(c, "HTTP/1.1 abc\r\n\r\n") }), code: "101510", base: 101506, state: 4},
		{name: "endpoint timeout before headers", url: rawServer(t, func(c net.Conn) { readRequest(c); time.Sleep(2 * time.Second) }), timeout: 100 * time.Millisecond, code: "101504", base: 101504, state: 3, msgStart: "Send timeout"},
		{name: "invalid address", url: "ftp://nowhere", code: "101503", base: 101503, state: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := do(t, tc.url, tc.timeout)
			fe, ok := err.(interface{ Error() string })
			if !ok || err == nil {
				t.Fatalf("expected a fault, got %v", err)
			}
			f := asFault(t, err)
			if f.Code.String() != tc.code || f.Base != tc.base || f.State != tc.state {
				t.Fatalf("got code %s base %d state %d (%v), want %s %d %d", f.Code, f.Base, f.State, fe, tc.code, tc.base, tc.state)
			}
			if tc.msgStart != "" && !strings.HasPrefix(f.Message, tc.msgStart) {
				t.Fatalf("message %q", f.Message)
			}
		})
	}
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
