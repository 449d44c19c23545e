package httpout

import (
	"context"
	"fmt"
	"sync"

	"github.com/busbar/busbar/internal/fault"
)

// limiter bounds the exchanges in flight per backend (MI's
// http.max.connection.per.host.port) and the requests waiting for one
// (MI's queue of messages waiting for a connection). It sits in front of
// net/http because Transport.MaxConnsPerHost only makes requests wait,
// without bound, where MI fails them with 101504 at REQUEST_READY.
//
// One exchange holds one HTTP/1.1 connection from Do until its response
// body is read or closed, so bounding exchanges bounds the connections in
// use. Waiters are served first come, first served. When the queue is full
// the newcomer is refused; older MI releases failed the oldest waiter
// instead, which only makes the wait longer for everyone.
type limiter struct {
	max   int // exchanges in flight per host, > 0
	queue int // waiters per host: 0 none, < 0 unbounded
	mu    sync.Mutex
	hosts map[hostKey]*hostSlots
	hook  func() // test hook: a request started waiting
}

type hostKey struct{ scheme, host string }

type hostSlots struct {
	key     hostKey
	inUse   int
	waiters []chan struct{}
}

const (
	msgNoConnections = "No available connections to serve the request"
	msgQueueFull     = "Number of queued messages exceeds the limit"
)

// acquire takes a slot for key, waiting in the queue if allowed. It
// returns a fault when the pool and the queue are exhausted, or ctx's
// error if the wait was cut short.
func (l *limiter) acquire(ctx context.Context, key hostKey) (*hostSlots, *fault.Error, error) {
	l.mu.Lock()
	h := l.hosts[key]
	if h == nil {
		h = &hostSlots{key: key}
		l.hosts[key] = h
	}
	if h.inUse < l.max {
		h.inUse++
		l.mu.Unlock()
		return h, nil, nil
	}
	if l.queue == 0 {
		l.mu.Unlock()
		return nil, exhausted(msgNoConnections, fmt.Sprintf("all %d connections to %s are in use and requests may not wait (MaxQueuedPerHost 0)", l.max, key.host)), nil
	}
	if l.queue > 0 && len(h.waiters) >= l.queue {
		l.mu.Unlock()
		return nil, exhausted(msgQueueFull, fmt.Sprintf("all %d connections to %s are in use and %d requests already wait for one", l.max, key.host, l.queue)), nil
	}
	w := make(chan struct{})
	h.waiters = append(h.waiters, w)
	hook := l.hook
	l.mu.Unlock()
	if hook != nil {
		hook()
	}
	select {
	case <-w:
		return h, nil, nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	for i, c := range h.waiters {
		if c == w {
			h.waiters = append(h.waiters[:i], h.waiters[i+1:]...)
			l.mu.Unlock()
			return nil, nil, ctx.Err()
		}
	}
	l.mu.Unlock()
	// The slot was handed over as the wait ended: pass it on.
	l.release(h)
	return nil, nil, ctx.Err()
}

// release returns a slot, handing it straight to the oldest waiter.
func (l *limiter) release(h *hostSlots) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(h.waiters) > 0 {
		w := h.waiters[0]
		h.waiters[0] = nil
		h.waiters = h.waiters[1:]
		close(w)
		return
	}
	h.inUse--
	if h.inUse == 0 {
		delete(l.hosts, h.key)
	}
}

// waiting reports how many requests wait for a slot to key (tests).
func (l *limiter) waiting(key hostKey) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.hosts[key]; h != nil {
		return len(h.waiters)
	}
	return 0
}

func exhausted(msg, detail string) *fault.Error {
	return &fault.Error{Code: fault.Num(fault.ConnectionTimeout), Message: msg, Detail: detail, Base: fault.ConnectionTimeout, State: int(RequestReady)}
}
