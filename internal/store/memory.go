package store

import (
	"context"
	"sync"
	"time"
)

// Memory is MI's in-memory store: a FIFO queue in this process, lost on
// restart and not shared between nodes. The head message leased to a
// consumer stays first in line until acknowledged, so a processor retrying
// it blocks the queue (strict order), as in MI.
type Memory struct {
	name string

	mu     sync.Mutex
	queue  []*entry
	closed bool
	// arrived is closed and replaced whenever a message is put, to wake
	// consumers waiting in Next.
	arrived chan struct{}
}

type entry struct {
	msg    *Message
	leased bool
}

// NewMemory returns an empty in-memory store.
func NewMemory(name string) *Memory {
	return &Memory{name: name, arrived: make(chan struct{})}
}

// Name is the store's name.
func (s *Memory) Name() string { return s.name }

// Kind is "memory".
func (s *Memory) Kind() string { return "memory" }

// Put appends a message.
func (s *Memory) Put(_ context.Context, m *Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.queue = append(s.queue, &entry{msg: m})
	close(s.arrived)
	s.arrived = make(chan struct{})
	return nil
}

// Next leases the first message nobody holds.
func (s *Memory) Next(ctx context.Context, wait time.Duration) (*Delivery, error) {
	deadline := time.Now().Add(wait)
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		for _, e := range s.queue {
			if !e.leased {
				e.leased = true
				s.mu.Unlock()
				return &Delivery{Message: e.msg, Ops: &memoryLease{s: s, e: e}}, nil
			}
		}
		arrived := s.arrived
		s.mu.Unlock()
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		t := time.NewTimer(left)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-arrived:
			t.Stop()
		case <-t.C:
			return nil, nil
		}
	}
}

// Size counts the messages kept.
func (s *Memory) Size(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.queue)), nil
}

// Close drops the messages (they are in memory only).
func (s *Memory) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.arrived)
	}
	return nil
}

type memoryLease struct {
	s *Memory
	e *entry
}

func (l *memoryLease) Ack(context.Context) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	for i, e := range l.s.queue {
		if e == l.e {
			l.s.queue = append(l.s.queue[:i], l.s.queue[i+1:]...)
			break
		}
	}
	return nil
}

func (l *memoryLease) Release(_ context.Context, attempts int) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	l.e.leased = false
	l.e.msg.Attempts = attempts
	close(l.s.arrived)
	l.s.arrived = make(chan struct{})
	return nil
}

func (l *memoryLease) Touch(context.Context) error { return nil }
