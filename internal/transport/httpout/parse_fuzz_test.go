package httpout

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzReadHead feeds arbitrary bytes to the response head parser: it must
// never panic, and a status it accepts is a three-digit code.
func FuzzReadHead(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\n\r\n",
		"HTTP/1.1 999\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		status, _, h, err := readHead(bufio.NewReaderSize(bytes.NewReader(data), 512))
		if err != nil {
			return
		}
		if status < 100 || status > 999 {
			t.Fatalf("accepted status %d", status)
		}
		for k, vs := range h {
			if k == "" || len(vs) == 0 {
				t.Fatalf("empty header %q %q", k, vs)
			}
		}
	})
}
