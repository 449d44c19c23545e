// Command goproxy is the "what plain Go gives you" peer of the load
// benchmark: net/http/httputil's ReverseProxy in front of one backend, with
// a connection pool large enough for every benchmark connection to keep its
// own idle backend connection, and pooled copy buffers. It listens on
// loopback only.
//
//	goproxy -port 9001 -backend http://127.0.0.1:9000
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/busbar/busbar/bench/internal/serve"
)

// bufferPool gives ReverseProxy reusable 32 KiB copy buffers instead of a
// fresh allocation per response, as a tuned production proxy would.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v := b.p.Get(); v != nil {
		return *v.(*[]byte)
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 to listen on")
	backend := flag.String("backend", "", "backend base URL, e.g. http://127.0.0.1:9000")
	flag.Parse()
	target, err := url.Parse(*backend)
	if err != nil || target.Host == "" {
		log.Fatalf("-backend %q is not an absolute URL", *backend)
	}

	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	rp.BufferPool = &bufferPool{}
	rp.ErrorLog = log.New(io.Discard, "", 0)

	serve.Loopback(*port, rp)
}
