// Command echo is the backend of the load benchmark: an HTTP server on
// loopback that answers every request with the request's own body and
// Content-Type, optionally after a fixed delay that stands in for a slow
// service. It is deliberately lean (pooled buffers, no logging) so that the
// backend costs as little CPU per request as possible and the figures of
// the proxies in front of it are dominated by the proxies themselves.
//
//	echo -port 9000 -delay 30ms
package main

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/busbar/busbar/bench/internal/serve"
)

// maxBody bounds what one request may make the backend hold, so that a
// misbehaving client cannot exhaust the machine the benchmark runs on.
const maxBody = 16 << 20

// keepCap is the largest buffer returned to the pool: the 100 KiB payloads
// fit, a stray huge request does not stay resident forever.
const keepCap = 1 << 20

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

type echo struct{ delay time.Duration }

func (e echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= keepCap {
			bufPool.Put(buf)
		}
	}()
	if r.ContentLength > 0 && r.ContentLength <= maxBody {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, maxBody+1)); err != nil {
		http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if buf.Len() > maxBody {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if e.delay > 0 {
		time.Sleep(e.delay)
	}
	h := w.Header()
	if ct := r.Header.Get("Content-Type"); ct != "" {
		h["Content-Type"] = []string{ct}
	}
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 to listen on (0 picks one and prints it)")
	delay := flag.Duration("delay", 0, "time to wait before answering each request")
	flag.Parse()

	serve.Loopback(*port, echo{delay: *delay})
}
