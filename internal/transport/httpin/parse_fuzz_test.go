package httpin

import (
	"bufio"
	"bytes"
	"net/textproto"
	"testing"

	"github.com/busbar/busbar/internal/transport/h1"
)

// FuzzReadRequest feeds arbitrary bytes to the request parser: it must
// never panic, and what it accepts must be well formed.
func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{
		"POST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"GET / HTTP/1.0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n",
		"GET / HTTP/1.1\nHost: x\n\n",
		"PRI * HTTP/2.0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	s := New(Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &conn{s: s, br: bufio.NewReaderSize(bytes.NewReader(data), 512)}
		r := &request{}
		if err := c.readRequest(r); err != nil {
			return
		}
		if !h1.ValidToken(r.method) {
			t.Fatalf("accepted method %q", r.method)
		}
		if r.minor == '1' && len(r.header["Host"]) != 1 {
			t.Fatalf("HTTP/1.1 request accepted with Host %q", r.header["Host"])
		}
		if r.chunked && len(r.header["Content-Length"]) > 0 {
			t.Fatal("accepted both framings")
		}
		for k := range r.header {
			if k != textproto.CanonicalMIMEHeaderKey(k) {
				t.Fatalf("header name %q not canonical", k)
			}
		}
	})
}
