package endpoint

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
)

// State is an endpoint's state (synapse-semantics §1.1).
type State int32

// States, numbered as Synapse's EndpointContext.
const (
	Active    State = 1
	Timeout   State = 2
	Suspended State = 3
	Off       State = 4
)

func (s State) String() string {
	switch s {
	case Active:
		return "ACTIVE"
	case Timeout:
		return "TIMEOUT"
	case Suspended:
		return "SUSPENDED"
	case Off:
		return "OFF"
	}
	return "UNKNOWN"
}

// defaultSuspendMS is what a negative initial duration means (MI's
// DEFAULT_ENDPOINT_SUSPEND_TIME: 30 s, whatever its comment says).
const defaultSuspendMS = 30000

// Policy is the part of an endpoint definition the state machine uses.
type Policy struct {
	MarkCodes       []int
	Retries         int
	RetryDelay      time.Duration
	SuspendCodes    []int
	InitialDuration int64 // ms; negative means 30 s
	Factor          float64
	MaxDuration     int64 // ms; 0 or negative means no cap
}

func (d *Definition) policy() Policy {
	return Policy{MarkCodes: d.MarkCodes, Retries: d.Retries, RetryDelay: d.RetryDelay, SuspendCodes: d.SuspendCodes,
		InitialDuration: d.InitialDuration, Factor: d.Factor, MaxDuration: d.MaxDuration}
}

// Transition is one recorded change of state, kept for the management API.
type Transition struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Code   string    `json:"code,omitempty"`
	Reason string    `json:"reason"`
}

// historySize bounds the transitions kept per endpoint.
const historySize = 20

// Tracker is one endpoint's state machine (synapse-semantics §1.3-§1.8,
// with OFF sticky as DESIGN §3.4 says). It is safe for concurrent use:
// every message through the endpoint reports to the same tracker.
type Tracker struct {
	name   string
	policy Policy
	now    func() time.Time

	// fast mirrors state so that the common case (an ACTIVE endpoint
	// answering) takes no lock; it is written only under mu.
	fast atomic.Int32

	mu          sync.Mutex
	state       State
	remaining   int // -1: not initialised yet
	nextRetry   time.Time
	lastSuspend int64 // ms; -1: not suspended since the last recovery
	history     []Transition
}

func newTracker(name string, p Policy, now func() time.Time) *Tracker {
	t := &Tracker{name: name, policy: p, now: now, state: Active, remaining: -1, lastSuspend: -1}
	t.fast.Store(int32(Active))
	return t
}

// Ready reports whether the endpoint may be sent to now (§1.6): ACTIVE
// always, OFF never, TIMEOUT and SUSPENDED once their retry time has come.
// It changes nothing.
func (t *Tracker) Ready() (bool, State) {
	if State(t.fast.Load()) == Active {
		return true, Active
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch t.state {
	case Active:
		return true, Active
	case Off:
		return false, Off
	}
	return !t.now().Before(t.nextRetry), t.state
}

// Outcome is what a fault did to the state.
type Outcome uint8

// Outcomes of OnFault.
const (
	Ignored     Outcome = iota // neither a timeout-class nor a suspending error
	TimedOut                   // moved to (or stayed in) TIMEOUT
	SuspendedBy                // moved to SUSPENDED
	Sticky                     // the endpoint is OFF and stays OFF
)

// OnFault classifies a failure and moves the state (§1.3, §1.4): a
// timeout-class code (the markForSuspension list, or 101504/101505 when it
// is empty) goes through TIMEOUT, a suspending code (the suspendOnFailure
// list, or any code when it is empty) suspends, anything else is ignored.
// A code that is not an integer counts as no code.
func (t *Tracker) OnFault(code fault.Code) Outcome {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == Off {
		return Sticky
	}
	n, numeric := code.Int()
	switch {
	case t.isTimeoutCode(n):
		return t.onTimeout(code)
	case numeric && t.isSuspendCode(n):
		t.suspend(code, "suspending error")
		return SuspendedBy
	}
	return Ignored
}

func (t *Tracker) isTimeoutCode(n int) bool {
	if len(t.policy.MarkCodes) == 0 {
		return n == fault.ConnectionTimeout || n == fault.ConnectionClosed
	}
	return slices.Contains(t.policy.MarkCodes, n)
}

func (t *Tracker) isSuspendCode(n int) bool {
	return len(t.policy.SuspendCodes) == 0 || slices.Contains(t.policy.SuspendCodes, n)
}

// onTimeout: with retries left the endpoint goes to TIMEOUT and waits
// retryDelay; with none left it is suspended.
func (t *Tracker) onTimeout(code fault.Code) Outcome {
	remaining := t.remaining
	if remaining < 0 {
		remaining = t.policy.Retries
	}
	if remaining <= 0 {
		t.suspend(code, "timeout-class error with no retries left")
		return SuspendedBy
	}
	t.remaining = remaining - 1
	t.nextRetry = t.now().Add(t.policy.RetryDelay)
	t.move(Timeout, code, fmt.Sprintf("timeout-class error; %d retries left before suspension", t.remaining))
	return TimedOut
}

// suspend computes the next suspension (§1.5): the initial duration first,
// then the previous one times the progression factor, capped at the
// maximum; a negative result means 30 s. A suspension of 0 keeps counting
// as the first one.
func (t *Tracker) suspend(code fault.Code, why string) {
	d := t.policy.InitialDuration
	if t.lastSuspend > 0 {
		d = int64(float64(t.lastSuspend) * t.policy.Factor)
	}
	if t.policy.MaxDuration > 0 && d > t.policy.MaxDuration {
		d = t.policy.MaxDuration
	} else if d < 0 {
		d = defaultSuspendMS
	}
	t.lastSuspend = d
	t.nextRetry = t.now().Add(time.Duration(d) * time.Millisecond)
	t.move(Suspended, code, fmt.Sprintf("%s; suspended for %d ms", why, d))
}

// OnSuccess records a response (any HTTP status counts): TIMEOUT or
// SUSPENDED endpoints recover to ACTIVE (§1.7); OFF stays OFF.
func (t *Tracker) OnSuccess() {
	if State(t.fast.Load()) == Active {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == Timeout || t.state == Suspended {
		t.reset()
		t.move(Active, fault.Code{}, "response received")
	}
}

// SwitchOn sets ACTIVE with counters reset (management API "active").
func (t *Tracker) SwitchOn() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reset()
	if t.state != Active {
		t.move(Active, fault.Code{}, "switched on")
	}
}

// SwitchOff sets OFF (management API "inactive"); only SwitchOn leaves it.
func (t *Tracker) SwitchOff() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reset()
	if t.state != Off {
		t.move(Off, fault.Code{}, "switched off")
	}
}

func (t *Tracker) reset() {
	t.remaining = t.policy.Retries
	t.lastSuspend = -1
	t.nextRetry = time.Time{}
}

func (t *Tracker) move(to State, code fault.Code, reason string) {
	tr := Transition{At: t.now(), From: t.state.String(), To: to.String(), Code: code.String(), Reason: reason}
	t.state = to
	t.fast.Store(int32(to))
	if len(t.history) == historySize {
		copy(t.history, t.history[1:])
		t.history = t.history[:historySize-1]
	}
	t.history = append(t.history, tr)
}

// Status is a snapshot of a tracker for the management API and logs.
type Status struct {
	Name                string       `json:"name"`
	State               string       `json:"state"`
	RemainingRetries    int          `json:"remainingRetries"`
	NextRetryTime       *time.Time   `json:"nextRetryTime,omitempty"`
	LastSuspendDuration int64        `json:"lastSuspendDuration"`
	Transitions         []Transition `json:"transitions"`
}

// Status returns a snapshot.
func (t *Tracker) Status() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := Status{Name: t.name, State: t.state.String(), RemainingRetries: t.remaining, LastSuspendDuration: t.lastSuspend,
		Transitions: slices.Clone(t.history)}
	if s.RemainingRetries < 0 {
		s.RemainingRetries = t.policy.Retries
	}
	if !t.nextRetry.IsZero() && (t.state == Timeout || t.state == Suspended) {
		nr := t.nextRetry
		s.NextRetryTime = &nr
	}
	return s
}

// State returns the current state.
func (t *Tracker) State() State { return State(t.fast.Load()) }

// Table holds every endpoint's tracker by key (the endpoint's name, or the
// configuration path of an anonymous one). It lives in the Runtime, so a
// reload keeps an endpoint's state unless its definition changed.
type Table struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]*tableEntry
}

type tableEntry struct {
	fingerprint string
	tracker     *Tracker
}

// States returns the runtime's endpoint state table.
func States(rt *engine.Runtime) *Table {
	// Read the runtime's clock on every use, so tests may replace it.
	now := func() time.Time { return rt.Now() }
	return rt.Value("endpoint.states", func() any { return &Table{now: now, m: map[string]*tableEntry{}} }).(*Table)
}

// Tracker returns the tracker for key, reusing the existing one when the
// definition (fingerprint) is unchanged and starting a fresh ACTIVE one
// otherwise.
func (tb *Table) Tracker(key, fingerprint string, p Policy) *Tracker {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if e, ok := tb.m[key]; ok && e.fingerprint == fingerprint {
		return e.tracker
	}
	t := newTracker(key, p, tb.now)
	tb.m[key] = &tableEntry{fingerprint: fingerprint, tracker: t}
	return t
}

// Lookup returns the tracker for key, or nil.
func (tb *Table) Lookup(key string) *Tracker {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if e, ok := tb.m[key]; ok {
		return e.tracker
	}
	return nil
}
