package sock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pair returns a wrapped client connection and the server side of it.
func pair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv := <-accepted
	if srv == nil {
		t.Fatal("accept failed")
	}
	w, ok := Wrap(c).(*Conn)
	if !ok {
		t.Fatal("a TCP connection was not wrapped")
	}
	t.Cleanup(func() { w.Close(); srv.Close() })
	return w, srv
}

func TestReadWrite(t *testing.T) {
	c, srv := pair(t)
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(srv, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("server read %q %v", buf, err)
	}
	if _, err := srv.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("client read %q %v", buf, err)
	}
	if n, err := c.Read(nil); n != 0 || err != nil {
		t.Fatalf("empty read: %d %v", n, err)
	}
	srv.Close()
	if _, err := c.Read(buf); err != io.EOF {
		t.Fatalf("read after the peer closed: %v, want io.EOF", err)
	}
}

// TestLargeWritesWait: a write bigger than the socket buffers waits for
// the reader (EAGAIN, then the poller) and arrives whole and in order,
// also as a gathered write of many buffers.
func TestLargeWritesWait(t *testing.T) {
	c, srv := pair(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	var bufs [][]byte
	for i := 0; i < len(big); i += 100_000 {
		bufs = append(bufs, big[i:min(i+100_000, len(big))])
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(srv, int64(3*len(big))))
		got <- b
	}()
	if n, err := c.Write(big); err != nil || n != len(big) {
		t.Fatalf("Write: %d %v", n, err)
	}
	if n, err := c.Writev(bufs); err != nil || n != int64(len(big)) {
		t.Fatalf("Writev: %d %v", n, err)
	}
	if n, err := c.Writev([][]byte{nil, big[:10], {}, big[10:]}); err != nil || n != int64(len(big)) {
		t.Fatalf("Writev with empty buffers: %d %v", n, err)
	}
	c.CloseWrite()
	if b := <-got; !bytes.Equal(b, bytes.Repeat(big, 3)) {
		t.Fatalf("the server read %d bytes, not the three copies written in order", len(b))
	}
}

func TestErrorsKeepNetConnShape(t *testing.T) {
	t.Run("read_deadline", func(t *testing.T) {
		c, _ := pair(t)
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read past the deadline: %v", err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "read" || oe.Net != "tcp" || oe.Addr == nil {
			t.Fatalf("error shape %#v", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		c, _ := pair(t)
		c.Close()
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read on a closed connection: %v", err)
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("write on a closed connection: %v", err)
		}
	})
	t.Run("close_unblocks_a_pending_read", func(t *testing.T) {
		c, _ := pair(t)
		done := make(chan error, 1)
		go func() {
			_, err := c.Read(make([]byte, 1))
			done <- err
		}()
		// Whether the read is parked in the poller by now or starts
		// after the close, it must end with net.ErrClosed.
		c.Close()
		select {
		case err := <-done:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("pending read ended with %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not end a pending read")
		}
	})
	t.Run("reset_by_peer", func(t *testing.T) {
		c, srv := pair(t)
		_ = srv.(*net.TCPConn).SetLinger(0)
		srv.Close()
		var err error
		for range 100 {
			if _, err = c.Write([]byte(strings.Repeat("x", 1024))); err != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("write to a reset connection: %v", err)
		}
		var se *os.SyscallError
		if !errors.As(err, &se) {
			t.Fatalf("errno not wrapped in *os.SyscallError: %#v", err)
		}
	})
}

// TestConcurrentReadsAndWrites: the two directions run at the same time,
// and concurrent writers do not interleave their buffers.
func TestConcurrentReadsAndWrites(t *testing.T) {
	c, srv := pair(t)
	go func() { _, _ = io.Copy(srv, srv) }() // echo
	const writers, each = 4, 200
	msg := func(w int) []byte { return bytes.Repeat([]byte{byte('a' + w)}, 512) }
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range each {
				if _, err := c.Write(msg(w)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	got := make([]byte, writers*each*512)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i := 0; i < len(got); i += 512 {
		block := got[i : i+512]
		if !bytes.Equal(block, bytes.Repeat(block[:1], 512)) {
			t.Fatalf("writes interleaved at byte %d", i)
		}
	}
}

func TestWrapLeavesOtherConnsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if Wrap(a) != a {
		t.Fatal("a non-TCP connection was wrapped")
	}
}

func TestNoAllocationsPerCall(t *testing.T) {
	c, srv := pair(t)
	go func() { _, _ = io.Copy(srv, srv) }()
	msg, buf := []byte("0123456789"), make([]byte, 10)
	n := testing.AllocsPerRun(200, func() {
		_, _ = c.Write(msg)
		_, _ = io.ReadFull(c, buf)
	})
	if n != 0 {
		t.Fatalf("%v allocations per write and read, want 0", n)
	}
}
