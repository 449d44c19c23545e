package httpout_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/transport/httpout"
)

// BenchmarkDo measures the happy path: a small POST to a keep-alive
// backend, the response read to EOF. The backend runs in the same process,
// so the figures include its allocations; compare them between versions.
func BenchmarkDo(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	h := http.Header{"Content-Type": {"text/plain"}}
	for _, bc := range []struct {
		name     string
		body     func() io.ReadCloser
		timeout  time.Duration
		inMemory bool
	}{
		{"in_memory", func() io.ReadCloser { return io.NopCloser(strings.NewReader("hello")) }, 0, true},
		{"in_memory_timeout", func() io.ReadCloser { return io.NopCloser(strings.NewReader("hello")) }, time.Minute, true},
		{"stream_timeout", func() io.ReadCloser { return streamBody{strings.NewReader("hello")} }, time.Minute, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := httpout.New(httpout.Options{})
			defer c.Close()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				resp, f := c.Do(ctx, &httpout.Request{Method: "POST", URL: srv.URL + "/x", Header: h,
					Body: bc.body(), ContentLength: 5, Timeout: bc.timeout, InMemory: bc.inMemory})
				if f != nil {
					b.Fatal(f)
				}
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}
