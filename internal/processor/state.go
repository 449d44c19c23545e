package processor

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/busbar/busbar/internal/engine"
)

// state is what a processor keeps across graph versions: whether it is
// active and its counters. It lives in the Runtime, keyed by processor
// name, and is reused while the processor's definition (fingerprint) is
// unchanged, so a hot reload neither reactivates a processor an operator
// (or an exhausted delivery) deactivated nor resets its statistics; a
// changed definition starts again from is.active, as a new deployment does
// in MI.
type state struct {
	fingerprint string
	active      atomic.Bool

	delivered   atomic.Int64
	failures    atomic.Int64
	dropped     atomic.Int64
	moved       atomic.Int64
	recorded    atomic.Int64
	lost        atomic.Int64
	injected    atomic.Int64
	deactivated atomic.Int64

	mu sync.Mutex
	// changed is closed and replaced on every activation change, to wake
	// workers waiting for activation or sleeping between retries.
	changed   chan struct{}
	lastError string
	lastAt    time.Time
	reason    string
}

// stateTable holds every processor's state by name.
type stateTable struct {
	mu sync.Mutex
	m  map[string]*state
}

const statesKey = "processor.states"

func statesOf(rt *engine.Runtime) *stateTable {
	return rt.Value(statesKey, func() any { return &stateTable{m: map[string]*state{}} }).(*stateTable)
}

// get returns the state for a processor: the one a running version left
// when the definition is unchanged, otherwise a fresh one (active as the
// definition says) that only adopt makes current, so a version that never
// runs (its compile failed elsewhere) does not reset the running one's.
func (t *stateTable) get(name, fingerprint string, active bool) *state {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.m[name]; ok && s.fingerprint == fingerprint {
		return s
	}
	s := &state{fingerprint: fingerprint, changed: make(chan struct{})}
	s.active.Store(active)
	return s
}

// adopt makes s the current state of a processor that starts.
func (t *stateTable) adopt(name string, s *state) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[name] = s
}

// setActive changes the activation and reports whether it changed.
func (s *state) setActive(v bool, reason string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active.Load() == v {
		return false
	}
	s.active.Store(v)
	s.reason = reason
	close(s.changed)
	s.changed = make(chan struct{})
	return true
}

// changes returns a channel closed at the next activation change.
func (s *state) changes() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *state) noteError(msg string, at time.Time) {
	s.mu.Lock()
	s.lastError, s.lastAt = msg, at
	s.mu.Unlock()
}

func (s *state) snapshot() (lastError string, lastAt time.Time, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastError, s.lastAt, s.reason
}

// loggerKey is where a process may put the *slog.Logger processors log
// through (SetLogger); without one they use slog.Default().
const loggerKey = "processor.logger"

// SetLogger makes l the logger of the runtime's message processors (each
// line carries the processor's name). The CLI passes its configured
// logger; tests pass one writing to the test log.
func SetLogger(rt *engine.Runtime, l *slog.Logger) { rt.Set(loggerKey, l) }

func loggerOf(rt *engine.Runtime) *slog.Logger {
	if v, ok := rt.Lookup(loggerKey); ok {
		if l, ok := v.(*slog.Logger); ok && l != nil {
			return l
		}
	}
	return slog.Default()
}
