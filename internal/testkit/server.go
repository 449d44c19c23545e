package testkit

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/transport/httpin"
)

// Server is Busbar's inbound transport serving a graph on 127.0.0.1:0.
type Server struct {
	URL string
	In  *httpin.Server
}

// StartServer serves g until the test ends.
func StartServer(t testing.TB, g *engine.Graph) *Server {
	t.Helper()
	return StartServerLog(t, g, Logger(t))
}

// StartServerLog serves g with the given logger (a test that checks log
// lines passes one writing to a LogBuffer).
func StartServerLog(t testing.TB, g *engine.Graph, log *slog.Logger) *Server {
	t.Helper()
	return StartServerOpts(t, g, httpin.Options{Log: log})
}

// StartServerOpts serves g with explicit inbound options.
func StartServerOpts(t testing.TB, g *engine.Graph, opts httpin.Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Log == nil {
		opts.Log = Logger(t)
	}
	in := httpin.New(opts)
	in.Swap(g)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = in.Serve(ln)
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = in.Shutdown(ctx)
		<-done
	})
	return &Server{URL: "http://" + ln.Addr().String(), In: in}
}

// Serve compiles artifacts and serves them.
func Serve(t testing.TB, artifacts string) *Server {
	t.Helper()
	return StartServer(t, Graph(t, artifacts))
}

// Reply is a response read in full.
type Reply struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends a request and reads the whole response; it fails the test on a
// transport error.
func Do(t testing.TB, method, url, contentType, body string, header ...string) Reply {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: string(data)}
}

// LogBuffer collects log output for tests to search; it is safe for
// concurrent use.
type LogBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Logger returns a text logger at debug level writing to the buffer.
func (l *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// RawServer accepts TCP connections on a loopback port (listening through
// lc, nil for the defaults) and runs handle on each in its own goroutine,
// closing the connection when handle returns. It returns host:port; the
// listener closes when the test ends. For backends that must misbehave
// at the byte level, or that must not allocate.
func RawServer(tb testing.TB, lc *net.ListenConfig, handle func(c net.Conn)) string {
	tb.Helper()
	if lc == nil {
		lc = &net.ListenConfig{}
	}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
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
	return ln.Addr().String()
}
