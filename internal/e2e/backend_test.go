package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// recorded is what a backend saw of one request.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   string
}

// backend is an httptest server that records requests and answers with a
// handler.
type backend struct {
	*httptest.Server
	mu   sync.Mutex
	seen []recorded
}

func newBackend(t *testing.T, h func(w http.ResponseWriter, r *http.Request, body []byte)) *backend {
	t.Helper()
	b := &backend{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.seen = append(b.seen, recorded{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: string(body)})
		b.mu.Unlock()
		h(w, r, body)
	}))
	t.Cleanup(b.Close)
	return b
}

// echo answers with the request's body and content type.
func echo(w http.ResponseWriter, r *http.Request, body []byte) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("X-Backend", "echo")
	_, _ = w.Write(body)
}

func (b *backend) last(t *testing.T) recorded {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.seen) == 0 {
		t.Fatal("the backend received no request")
	}
	return b.seen[len(b.seen)-1]
}

// newBackendTB starts a plain handler for benchmarks and returns its URL.
func newBackendTB(tb testing.TB, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}
