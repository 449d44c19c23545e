package engine

import (
	"sync"
	"time"
)

// Runtime holds what outlives a graph version: endpoint state tables,
// outbound clients, later message stores. One process has one Runtime,
// shared by every graph it compiles, so a reload keeps endpoint state and
// connection pools; each test builds its own, so tests do not share state.
// Components keep their own typed accessors over Value.
type Runtime struct {
	// Now is the clock for suspension windows, retry delays and
	// transition records; tests replace it with a fake one.
	Now func() time.Time

	mu     sync.Mutex
	values map[string]any
}

// NewRuntime returns a runtime on the real clock.
func NewRuntime() *Runtime { return &Runtime{Now: time.Now} }

// Value returns the shared value under key, creating it on first use.
func (r *Runtime) Value(key string, create func() any) any {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.values[key]; ok {
		return v
	}
	if r.values == nil {
		r.values = map[string]any{}
	}
	v := create()
	r.values[key] = v
	return v
}

// Set stores a shared value under key, replacing any.
func (r *Runtime) Set(key string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.values == nil {
		r.values = map[string]any{}
	}
	r.values[key] = v
}

// Lookup returns the shared value under key, if any.
func (r *Runtime) Lookup(key string) (any, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.values[key]
	return v, ok
}
