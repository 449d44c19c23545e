package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/busbar/busbar/internal/testkit"
)

// BenchmarkRawPassThrough is BenchmarkHTTPPassThrough with a client and a
// backend that allocate nothing per request (pre-built bytes over plain
// TCP), so its allocs/op and B/op are Busbar's own: the figures to watch
// when cutting allocations on the pass-through path. Its ns/op includes
// the three parties and the kernel, like the load benchmark's.
func BenchmarkRawPassThrough(b *testing.B) {
	be := rawBackend(b)
	srv := testkit.Serve(b, fmt.Sprintf(`<proxy name="P"><target><endpoint><address uri="http://%s/echo"/></endpoint></target></proxy>`, be))
	addr := srv.URL[len("http://"):]
	req := []byte("POST /services/P HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: wrk\r\nContent-Type: text/xml; charset=UTF-8\r\nSOAPAction: urn:buyStocks\r\nContent-Length: " + strconv.Itoa(len(kb1Bin)) + "\r\n\r\n" + kb1Bin)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReaderSize(conn, 16<<10)
	b.SetBytes(int64(len(kb1Bin)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := conn.Write(req); err != nil {
			b.Fatal(err)
		}
		status, n, err := readRawResponse(br)
		if err != nil || status != 200 || n != len(kb1Bin) {
			b.Fatalf("status %d, %d body bytes, %v", status, n, err)
		}
	}
}

// rawBackend answers every request with a body of the request's length,
// reading heads with a bufio.Reader and writing one pre-built buffer.
func rawBackend(b *testing.B) string {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + strconv.Itoa(len(kb1Bin)) + "\r\n\r\n" + kb1Bin)
	return testkit.RawServer(b, nil, func(c net.Conn) {
		br := bufio.NewReaderSize(c, 16<<10)
		for {
			n, err := readRawHead(br)
			if err != nil {
				return
			}
			if _, err := br.Discard(n); err != nil {
				return
			}
			if _, err := c.Write(resp); err != nil {
				return
			}
		}
	})
}

var contentLength = []byte("content-length:")

// readRawHead reads a message head and returns its Content-Length.
func readRawHead(br *bufio.Reader) (int, error) {
	n := 0
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return n, nil
		}
		if len(line) > len(contentLength) && bytes.EqualFold(line[:len(contentLength)], contentLength) {
			v, err := strconv.Atoi(string(bytes.TrimSpace(line[len(contentLength):])))
			if err != nil {
				return 0, err
			}
			n = v
		}
	}
}

func readRawResponse(br *bufio.Reader) (status, n int, err error) {
	line, err := br.Peek(12)
	if err != nil {
		return 0, 0, err
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, err
	}
	if n, err = readRawHead(br); err != nil {
		return 0, 0, err
	}
	_, err = br.Discard(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return status, n, err
}
