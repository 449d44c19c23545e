// Package httpin is Busbar's inbound HTTP transport: it accepts requests,
// turns each into a message whose body is an unread stream, hands it to the
// current graph (read through an atomic pointer, so a reload swaps graphs
// between requests without touching the listener), and writes the answer
// the engine decides on, streaming untouched bodies straight through.
package httpin

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/message"
)

// Options configure a server.
type Options struct {
	// MaxBodyBytes caps request bodies (413 when exceeded); 0 means the
	// graph's setting.
	MaxBodyBytes int64
	// ReadHeaderTimeout bounds how long a client may take to send headers.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout time.Duration
	// BodyTimeout is how long a client may pause while sending a request
	// body (each read has this deadline); zero means 180 s, MI's socket
	// timeout. Without it a client that stalls mid-upload would hold a
	// message, and the backend connection it streams to, forever.
	BodyTimeout time.Duration
	Log         *slog.Logger
}

// Server serves the current graph over HTTP.
type Server struct {
	graph atomic.Pointer[engine.Graph]
	opts  Options
	log   *slog.Logger
	srv   *http.Server
	// base is the context of every message; it is cancelled only when
	// the server stops for good, never when a client goes away.
	base   context.Context
	cancel context.CancelFunc
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
	s := &Server{opts: opts, log: opts.Log}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(opts.Log.Handler(), slog.LevelWarn),
	}
	return s
}

// Swap installs a graph and returns the previous one (nil at first), which
// the caller drains and closes.
func (s *Server) Swap(g *engine.Graph) *engine.Graph { return s.graph.Swap(g) }

// Graph returns the graph being served.
func (s *Server) Graph() *engine.Graph { return s.graph.Load() }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting, waits for in-flight messages (bounded by ctx),
// then cancels whatever is still running.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.cancel()
	return err
}

// ServeHTTP turns a request into a message and runs it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := s.graph.Load()
	if g == nil {
		http.Error(w, "Busbar is starting", http.StatusServiceUnavailable)
		return
	}
	g.Acquire()
	defer g.Release()
	limit := s.opts.MaxBodyBytes
	if limit == 0 {
		limit = g.Options.MaxBodyBytes
	}
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		r.Body = &deadlineBody{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: s.opts.BodyTimeout}
	}
	m := newMessage(r, limit)
	rs := &responder{w: w, head: r.Method == http.MethodHead}
	if limit > 0 && r.ContentLength > limit {
		// Refuse before reading a byte: the client learns at once.
		f := message.TooLarge(limit)
		data, ct := engine.DefaultAnswer(f, m.Body.Format(), r.Header.Get("Accept"))
		m.Body.SetBytes(data, ct)
		m.Header = http.Header{"Connection": {"close"}}
		_ = rs.Respond(m, f.Status)
		return
	}
	g.Serve(s.base, m, rs, s.log)
	m.Body.Close()
}

func newMessage(r *http.Request, limit int64) *message.Message {
	m := &message.Message{ID: message.NewID(), Method: r.Method, RequestURI: r.RequestURI, To: r.RequestURI, Header: r.Header, Created: time.Now()}
	if r.Host != "" {
		r.Header["Host"] = []string{r.Host}
	}
	m.Body.ResetStream(r.Body, r.Header.Get("Content-Type"), r.ContentLength, limit)
	return m
}

// responder writes the engine's answer.
type responder struct {
	w    http.ResponseWriter
	head bool
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
	"Upgrade-Insecure-Requests": true, "Soapaction": true,
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// Respond writes status, headers and body.
func (rs *responder) Respond(m *message.Message, status int) error {
	h := rs.w.Header()
	for k, v := range m.Header {
		if !skipOut[k] {
			h[k] = v
		}
	}
	if m.Header.Get("Connection") == "close" {
		h.Set("Connection", "close")
	}
	if rs.head || status == http.StatusNoContent || status == http.StatusNotModified || m.Flag(message.ScopeAxis2, message.PropNoEntityBody) || status == 202 && bodyEmpty(m) {
		m.Body.Close()
		if !rs.head {
			h.Del("Content-Type")
			h.Set("Content-Length", "0")
		}
		rs.w.WriteHeader(status)
		return nil
	}
	wire, err := m.WireBody()
	if err != nil {
		h.Set("Content-Type", "text/plain; charset=UTF-8")
		rs.w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(rs.w, "Busbar could not serialise the response: "+err.Error()+"\n")
		return err
	}
	defer wire.Body.Close()
	if wire.ContentType != "" {
		h.Set("Content-Type", wire.ContentType)
	}
	if wire.Size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(wire.Size, 10))
	}
	rs.w.WriteHeader(status)
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	_, err = io.CopyBuffer(writerOnly{rs.w}, wire.Body, *buf)
	return err
}

func bodyEmpty(m *message.Message) bool {
	if m.Body.IsStream() {
		return m.Body.StreamSize() == 0
	}
	raw, err := m.Body.Raw()
	return err == nil && len(raw) == 0
}

// writerOnly hides ReadFrom so CopyBuffer uses the pooled buffer.
type writerOnly struct{ io.Writer }

// ServeTLS accepts TLS connections on ln with the given certificate files.
func (s *Server) ServeTLS(ln net.Listener, certFile, keyFile string) error {
	err := s.srv.ServeTLS(ln, certFile, keyFile)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// deadlineBody gives every read of a request body a deadline, so a client
// that stops sending mid-body fails the read instead of blocking forever.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (d *deadlineBody) Read(p []byte) (int, error) {
	_ = d.rc.SetReadDeadline(time.Now().Add(d.idle))
	return d.ReadCloser.Read(p)
}
