package httpout

import (
	"net/url"
	"syscall"
)

// NewWithSendBuffer returns a client whose connections have a send buffer
// of size bytes, so that tests can block a write with little data.
func NewWithSendBuffer(opts Options, size int) *Client {
	return newClient(opts, func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, size)
		})
		if err != nil {
			return err
		}
		return serr
	})
}

func (c *Client) testHooks() *testHooks {
	if c.hooks == nil {
		c.hooks = &testHooks{}
	}
	return c.hooks
}

// OnState calls f on every state transition of every exchange. Set hooks
// before the first Do.
func (c *Client) OnState(f func(State)) { c.testHooks().state = f }

// OnFailure calls f after a connection failure is recorded.
func (c *Client) OnFailure(f func()) { c.testHooks().failed = f }

// BeforeWroteRequest calls f on the writer goroutine before it reports
// the request as written, so that a test can hold that report back.
func (c *Client) BeforeWroteRequest(f func()) { c.testHooks().wroteRequest = f }

// OnQueued calls f whenever a request starts waiting for a connection.
// Set it before the first Do.
func (c *Client) OnQueued(f func()) { c.limits.hook = f }

// Waiting reports how many requests wait for a connection to rawURL's host.
func (c *Client) Waiting(rawURL string) int {
	u, err := url.Parse(rawURL)
	if err != nil {
		return -1
	}
	return c.limits.waiting(hostKey{u.Scheme, u.Host})
}

// NewNetHTTP returns a client that sends everything through net/http, for
// tests of races that only its separate writer goroutine can produce.
func NewNetHTTP(opts Options) *Client {
	c := New(opts)
	c.noFast = true
	return c
}

// CheckIdleAlways makes the fast path check every pooled connection
// before reuse, however briefly it sat idle.
func CheckIdleAlways() { aliveCheckAfter = 0 }
