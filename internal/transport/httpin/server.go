// Package httpin is Busbar's inbound HTTP transport: it accepts requests,
// turns each into a message whose body is an unread stream, hands it to the
// current graph (read through an atomic pointer, so a reload swaps graphs
// between requests without touching the listener), and writes the answer
// the engine decides on, streaming untouched bodies straight through.
//
// It speaks HTTP/1.1 itself (conn.go) rather than through net/http's
// server: a connection is served by one goroutine that reads a request,
// runs the flow and writes the answer with one write for head and body.
// net/http's server costs a background reader per connection, a context
// and several allocations per request, and two writes per response; on
// the pass-through path those are most of Busbar's own CPU time.
package httpin

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/transport/sock"
)

// Options configure a server.
type Options struct {
	// MaxBodyBytes caps request bodies (413 when exceeded); 0 means the
	// graph's setting.
	MaxBodyBytes int64
	// ReadHeaderTimeout bounds how long a client may take to send a
	// request head, from its first byte. Zero means 60 s.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle that long. Zero
	// means 180 s.
	IdleTimeout time.Duration
	// BodyTimeout is how long a client may pause while sending a request
	// body (each read has this deadline) or while reading a response
	// (each write has it); zero means 180 s, MI's socket timeout. Without
	// it a client that stalls mid-upload would hold a message, and the
	// backend connection it streams to, forever.
	BodyTimeout time.Duration
	// MaxHeaderBytes bounds a request head; zero means 64 KiB. A larger
	// head gets 431.
	MaxHeaderBytes int
	Log            *slog.Logger
}

// Server serves the current graph over HTTP/1.1.
type Server struct {
	graph atomic.Pointer[engine.Graph]
	opts  Options
	log   *slog.Logger
	// base is the context of every message; it is cancelled only when
	// the server stops for good, never when a client goes away.
	base   context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners map[*net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   atomic.Bool
	serving   sync.WaitGroup // connection goroutines
}

// New returns a server; call Swap to give it a graph before serving.
func New(opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.ReadHeaderTimeout == 0 {
		opts.ReadHeaderTimeout = 60 * time.Second
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 180 * time.Second
	}
	if opts.BodyTimeout == 0 {
		opts.BodyTimeout = 180 * time.Second
	}
	if opts.MaxHeaderBytes == 0 {
		opts.MaxHeaderBytes = 64 << 10
	}
	s := &Server{opts: opts, log: opts.Log, listeners: map[*net.Listener]struct{}{}, conns: map[*conn]struct{}{}}
	s.base, s.cancel = context.WithCancel(context.Background())
	return s
}

// Swap installs a graph and returns the previous one (nil at first), which
// the caller drains and closes.
func (s *Server) Swap(g *engine.Graph) *engine.Graph { return s.graph.Swap(g) }

// Graph returns the graph being served.
func (s *Server) Graph() *engine.Graph { return s.graph.Load() }

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("httpin: server closed")

// Serve accepts connections on ln until Shutdown, then returns nil.
func (s *Server) Serve(ln net.Listener) error {
	return s.serve(ln, nil)
}

// ServeTLS accepts TLS connections on ln with the given certificate files.
// The handshake runs on the connection's goroutine under the head
// timeout, so a client that never completes it costs one goroutine for
// that long, not the accept loop.
func (s *Server) ServeTLS(ln net.Listener, certFile, keyFile string) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	return s.serve(ln, cfg)
}

func (s *Server) serve(ln net.Listener, cfg *tls.Config) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners[&ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, &ln)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors, say: wait and try again
				// rather than spin or stop serving.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accepting a connection failed; retrying", "error", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		nc = sock.Wrap(nc)
		if cfg != nil {
			nc = tls.Server(nc, cfg)
		}
		c := newConn(s, nc)
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.serving.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.serving.Done()
}

// Shutdown stops accepting, closes idle connections, waits for in-flight
// messages (bounded by ctx), then closes what is left and cancels the
// flows still running.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for ln := range s.listeners {
		(*ln).Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.serving.Wait(); close(done) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		s.closeIdle()
		select {
		case <-done:
			break wait
		case <-ctx.Done():
			err = ctx.Err()
			break wait
		case <-tick.C:
		}
	}
	s.mu.Lock()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.cancel()
	return err
}

// closeIdle closes connections waiting for a request; one whose request
// is under way finishes it first (and is closed after its answer).
func (s *Server) closeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			c.nc.Close()
		}
	}
}
