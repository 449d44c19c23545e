// Package sock makes the reads and writes of Busbar's TCP connections
// cheaper. Go's sockets are non-blocking and its poller does the waiting,
// so a read or write system call never blocks; net.Conn still enters and
// leaves the scheduler's system-call state around each one, and a call
// caught there by the runtime's monitor (a loopback write that runs the
// receiver's network stack inline can take tens of microseconds) hands
// the processor to another thread. Conn makes the same calls as raw system
// calls inside the poller's wait loop (syscall.RawConn), which keeps the
// deadlines, the close semantics and the errors of net.Conn.
package sock

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// Conn is a TCP connection whose Read, Write and Writev are raw system
// calls. Reads may run concurrently with writes, as on any net.Conn.
type Conn struct {
	*net.TCPConn
	rc syscall.RawConn

	// The state of the call under way in each direction, guarded by
	// rmu and wmu (net.Conn allows concurrent reads, or writes).
	rmu  sync.Mutex
	rbuf []byte
	rn   int
	rerr syscall.Errno

	wmu   sync.Mutex
	wone  [1][]byte
	wbufs [][]byte
	wn    int
	werr  syscall.Errno

	readFn, writeFn func(fd uintptr) bool
}

// Wrap returns c as a Conn when it is a TCP connection, else c itself.
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	s := &Conn{TCPConn: tc, rc: rc}
	s.readFn, s.writeFn = s.read, s.write
	return s
}

func (s *Conn) read(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.rbuf))), uintptr(len(s.rbuf)))
		switch e {
		case 0:
			s.rn, s.rerr = int(n), 0
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			s.rn, s.rerr = 0, e
			return true
		}
	}
}

// Read reads like net.Conn's Read: io.EOF at the end of the stream,
// *net.OpError otherwise.
func (s *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.rmu.Lock()
	s.rbuf = p
	err := s.rc.Read(s.readFn)
	s.rbuf = nil
	n, rerr := s.rn, s.rerr
	s.rmu.Unlock()
	if n > 0 {
		acquireIO()
	}
	switch {
	case err != nil:
		return 0, s.opError("read", err)
	case rerr != 0:
		return 0, s.opError("read", os.NewSyscallError("read", rerr))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (s *Conn) write(fd uintptr) bool {
	for len(s.wbufs) > 0 {
		b := s.wbufs[0]
		if len(b) == 0 {
			s.wbufs = s.wbufs[1:]
			continue
		}
		var n uintptr
		var e syscall.Errno
		if len(s.wbufs) == 1 {
			n, _, e = syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		} else {
			var iov [8]syscall.Iovec
			k := 0
			for _, b := range s.wbufs {
				if k == len(iov) {
					break
				}
				if len(b) > 0 {
					iov[k].Base = unsafe.SliceData(b)
					iov[k].SetLen(len(b))
					k++
				}
			}
			n, _, e = syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(k))
		}
		switch e {
		case 0:
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			s.werr = e
			return true
		}
		s.wn += int(n)
		for n > 0 {
			b := s.wbufs[0]
			if int(n) < len(b) {
				s.wbufs[0] = b[n:]
				break
			}
			n -= uintptr(len(b))
			s.wbufs = s.wbufs[1:]
		}
	}
	return true
}

// Write writes all of p, like net.Conn's Write.
func (s *Conn) Write(p []byte) (int, error) {
	s.wmu.Lock()
	s.wone[0] = p
	n, err := s.writev(s.wone[:])
	s.wone[0] = nil
	s.wmu.Unlock()
	return int(n), err
}

// Writev writes the buffers in order with as few system calls as it can
// (writev), like net.Buffers.WriteTo on a TCP connection.
func (s *Conn) Writev(bufs [][]byte) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.writev(bufs)
}

// writev runs under wmu.
func (s *Conn) writev(bufs [][]byte) (int64, error) {
	s.wbufs, s.wn, s.werr = bufs, 0, 0
	releaseIO()
	err := s.rc.Write(s.writeFn)
	n, werr := s.wn, s.werr
	s.wbufs = nil
	switch {
	case err != nil:
		return int64(n), s.opError("write", err)
	case werr != 0:
		return int64(n), s.opError("write", os.NewSyscallError("write", werr))
	}
	return int64(n), nil
}

// opError gives an error the shape net.Conn gives it: the raw
// connection's own *net.OpError (op "raw-read"/"raw-write") is unwrapped.
func (s *Conn) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok {
		err = oe.Err
	}
	return &net.OpError{Op: op, Net: "tcp", Source: s.LocalAddr(), Addr: s.RemoteAddr(), Err: err}
}
