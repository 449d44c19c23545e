package httpout

import (
	"errors"
	"io"
	"sync/atomic"

	"github.com/busbar/busbar/internal/fault"
)

// requestBody wraps a streamed request body: it records the body's own
// read errors (the source failed, not the backend) and can be aborted when
// the exchange dies while the body is being sent.
type requestBody struct {
	x       *exchange
	rc      io.ReadCloser
	length  int64 // declared length, -1 if unknown
	n       int64 // bytes delivered (read only by net/http's writer)
	aborted atomic.Bool
	closed  atomic.Bool
}

var errBodyAborted = errors.New("request body abandoned: the backend exchange failed")

func (b *requestBody) Read(p []byte) (int, error) {
	if b.aborted.Load() {
		return 0, b.abortErr()
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF {
		if b.aborted.Load() {
			return n, b.abortErr()
		}
		b.x.bodyFailed(err)
	}
	return n, err
}

// abortErr is what reads return once the body is aborted. If every
// declared byte was delivered, the request is complete on the wire and
// the read is only net/http checking for excess data: EOF, so that an
// abort racing with the end of the request does not turn a request the
// backend received whole into a failed write.
func (b *requestBody) abortErr() error {
	if b.length >= 0 && b.n >= b.length {
		return io.EOF
	}
	return errBodyAborted
}

// Close closes the underlying body once, whoever asks first (net/http when
// the body is sent, or abort).
func (b *requestBody) Close() error {
	if !b.closed.CompareAndSwap(false, true) {
		return nil
	}
	return b.rc.Close()
}

// abort makes further reads fail and closes the body to unblock a read in
// progress. Close runs on its own goroutine: it is called while net/http
// holds a connection lock, and some bodies' Close waits for a pending Read.
// Request.Body must therefore allow Close concurrently with Read, as
// net/http's own Request.Body contract requires.
func (b *requestBody) abort() {
	if b.rc == nil || !b.aborted.CompareAndSwap(false, true) {
		return
	}
	if !b.closed.Load() {
		go b.Close()
	}
}

// responseBody tracks RESPONSE_BODY and RESPONSE_DONE and turns read
// errors into classified faults.
type responseBody struct {
	x   *exchange
	rc  io.ReadCloser
	err *fault.Error
}

func (b *responseBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		b.x.advance(ResponseDone)
		b.x.finish()
		return n, io.EOF
	}
	b.err = b.x.classify(err)
	b.x.finish()
	return n, b.err
}

// Close releases the exchange; a body closed before EOF makes net/http
// discard the connection.
func (b *responseBody) Close() error {
	b.x.finish()
	return b.rc.Close()
}
