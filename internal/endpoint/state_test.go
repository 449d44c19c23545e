package endpoint

import (
	"sync"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/fault"
)

// fakeClock is a settable clock so suspension windows are tested without
// sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }

func (f *fakeClock) Advance(d time.Duration) { f.mu.Lock(); f.t = f.t.Add(d); f.mu.Unlock() }

func newFake() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func tracker(p Policy) (*Tracker, *fakeClock) {
	if p.Factor == 0 {
		p.Factor = 1
	}
	if p.InitialDuration == 0 {
		p.InitialDuration = -1
	}
	clk := newFake()
	return newTracker("ep", p, clk.Now), clk
}

func code(n int) fault.Code { return fault.Num(n) }

func wantState(t *testing.T, tr *Tracker, want State) {
	t.Helper()
	if got := tr.State(); got != want {
		t.Fatalf("state %v, want %v", got, want)
	}
}

func wantReady(t *testing.T, tr *Tracker, want bool) {
	t.Helper()
	if ok, _ := tr.Ready(); ok != want {
		t.Fatalf("ready %v, want %v", ok, want)
	}
}

// §1.3 and §1.11: with no error configuration, connection refused
// suspends for 30 s (initialDuration -1 means 30 s, not "never").
func TestRule1_3_DefaultConfigSuspendsEveryError(t *testing.T) {
	t.Parallel()
	tr, clk := tracker(Policy{})
	if o := tr.OnFault(code(fault.ConnectionFailed)); o != SuspendedBy {
		t.Fatalf("outcome %v", o)
	}
	wantState(t, tr, Suspended)
	if st := tr.Status(); st.LastSuspendDuration != 30000 {
		t.Fatalf("suspended for %d ms", st.LastSuspendDuration)
	}
	wantReady(t, tr, false)
	clk.Advance(29999 * time.Millisecond)
	wantReady(t, tr, false)
	clk.Advance(time.Millisecond)
	wantReady(t, tr, true)
	// Readiness changes nothing: the state stays SUSPENDED until a
	// response (§1.6, §1.7).
	wantState(t, tr, Suspended)
}

// §1.3 step 2: with an empty markForSuspension list only 101504 and 101505
// are timeout-class; a read timeout under PassThrough is 101507 and takes
// the suspend path (§1.11).
func TestRule1_3_DefaultTimeoutCodes(t *testing.T) {
	t.Parallel()
	for _, c := range []int{fault.ConnectionTimeout, fault.ConnectionClosed} {
		tr, _ := tracker(Policy{Retries: 1})
		if o := tr.OnFault(code(c)); o != TimedOut {
			t.Fatalf("%d: outcome %v", c, o)
		}
	}
	tr, _ := tracker(Policy{Retries: 1})
	if o := tr.OnFault(code(101507)); o != SuspendedBy {
		t.Fatalf("101507: outcome %v", o)
	}
}

// §1.3 consequence / docs example: an error in neither list is ignored
// when suspendOnFailure has codes; the endpoint stays ACTIVE.
func TestRule1_3_ErrorInNeitherListIgnored(t *testing.T) {
	t.Parallel()
	tr, _ := tracker(Policy{MarkCodes: []int{101504, 101505}, Retries: 3, SuspendCodes: []int{101500, 101501, 101506, 101507, 101508}})
	if o := tr.OnFault(code(fault.ConnectionFailed)); o != Ignored {
		t.Fatalf("outcome %v", o)
	}
	wantState(t, tr, Active)
	if o := tr.OnFault(code(101507)); o != SuspendedBy {
		t.Fatalf("101507 should suspend immediately, got %v", o)
	}
}

// §1.3 quirk, not reproduced (DESIGN §3.6): a non-integer code is "no
// code": not timeout-class, not suspending, and no crash.
func TestRule1_3_NonIntegerCodeIsNoCode(t *testing.T) {
	t.Parallel()
	tr, _ := tracker(Policy{})
	if o := tr.OnFault(fault.Str("ORDER_INVALID")); o != Ignored {
		t.Fatalf("outcome %v", o)
	}
	wantState(t, tr, Active)
}

// §1.4 and the docs example: retriesBeforeSuspension=3 tolerates three
// more failures; the fourth consecutive one suspends.
func TestRule1_4_RetriesBeforeSuspension(t *testing.T) {
	t.Parallel()
	tr, _ := tracker(Policy{Retries: 3})
	for i, wantLeft := range []int{2, 1, 0} {
		if o := tr.OnFault(code(fault.ConnectionTimeout)); o != TimedOut {
			t.Fatalf("failure %d: outcome %v", i+1, o)
		}
		wantState(t, tr, Timeout)
		if st := tr.Status(); st.RemainingRetries != wantLeft {
			t.Fatalf("failure %d: %d retries left, want %d", i+1, st.RemainingRetries, wantLeft)
		}
	}
	if o := tr.OnFault(code(fault.ConnectionTimeout)); o != SuspendedBy {
		t.Fatalf("fourth failure: %v", o)
	}
	wantState(t, tr, Suspended)
}

// §1.6: TIMEOUT blocks traffic only while retryDelay runs; with the
// default delay 0 a TIMEOUT endpoint stays ready.
func TestRule1_6_TimeoutReadiness(t *testing.T) {
	t.Parallel()
	tr, _ := tracker(Policy{Retries: 2})
	tr.OnFault(code(fault.ConnectionTimeout))
	wantState(t, tr, Timeout)
	wantReady(t, tr, true)
	tr2, clk := tracker(Policy{Retries: 2, RetryDelay: 500 * time.Millisecond})
	tr2.OnFault(code(fault.ConnectionTimeout))
	wantReady(t, tr2, false)
	clk.Advance(500 * time.Millisecond)
	wantReady(t, tr2, true)
}

// §1.5 and the docs example: initial 1000, factor 2, max 60000 gives
// 1000, 2000, 4000, ..., 32000, 60000, 60000.
func TestRule1_5_SuspensionSeries(t *testing.T) {
	t.Parallel()
	tr, clk := tracker(Policy{InitialDuration: 1000, Factor: 2, MaxDuration: 60000})
	want := []int64{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000}
	for i, w := range want {
		tr.OnFault(code(fault.ConnectionFailed))
		st := tr.Status()
		if st.LastSuspendDuration != w {
			t.Fatalf("suspension %d: %d ms, want %d", i+1, st.LastSuspendDuration, w)
		}
		if st.NextRetryTime == nil || !st.NextRetryTime.Equal(clk.Now().Add(time.Duration(w)*time.Millisecond)) {
			t.Fatalf("suspension %d: next retry %v", i+1, st.NextRetryTime)
		}
		clk.Advance(time.Duration(w) * time.Millisecond)
	}
	// A success ends the series; the next failure starts from the initial
	// duration again (§1.4 onSuccess).
	tr.OnSuccess()
	wantState(t, tr, Active)
	tr.OnFault(code(fault.ConnectionFailed))
	if st := tr.Status(); st.LastSuspendDuration != 1000 {
		t.Fatalf("after recovery: %d ms", st.LastSuspendDuration)
	}
}

// §1.5: initialDuration 0 suspends for zero time and the series stays at
// 0 whatever the factor; a negative result means 30 s.
func TestRule1_5_ZeroAndNegativeDurations(t *testing.T) {
	t.Parallel()
	tr, _ := tracker(Policy{InitialDuration: 0, Factor: 3})
	tr.policy.InitialDuration = 0
	for range 3 {
		tr.OnFault(code(fault.ConnectionFailed))
		if st := tr.Status(); st.LastSuspendDuration != 0 {
			t.Fatalf("duration %d", st.LastSuspendDuration)
		}
		wantReady(t, tr, true)
	}
}

// §1.4: a failure while SUSPENDED advances the series (in-flight requests
// failing during a suspension).
func TestRule1_4_FailureWhileSuspendedAdvances(t *testing.T) {
	t.Parallel()
	tr, _ := tracker(Policy{InitialDuration: 100, Factor: 2})
	tr.OnFault(code(fault.ConnectionFailed))
	tr.OnFault(code(fault.ConnectionFailed))
	if st := tr.Status(); st.LastSuspendDuration != 200 {
		t.Fatalf("duration %d", st.LastSuspendDuration)
	}
}

// §1.4 edge: an endpoint suspended by a suspend-class error still has its
// retries; a timeout-class failure then moves it SUSPENDED -> TIMEOUT.
func TestRule1_4_SuspendedToTimeout(t *testing.T) {
	t.Parallel()
	tr, clk := tracker(Policy{Retries: 2, InitialDuration: 100})
	tr.OnFault(code(fault.ConnectionFailed))
	wantState(t, tr, Suspended)
	clk.Advance(time.Second)
	if o := tr.OnFault(code(fault.ConnectionTimeout)); o != TimedOut {
		t.Fatalf("outcome %v", o)
	}
	wantState(t, tr, Timeout)
}

// §1.7: recovery only on a success or switch-on; any response counts.
func TestRule1_7_Recovery(t *testing.T) {
	t.Parallel()
	tr, _ := tracker(Policy{})
	tr.OnFault(code(fault.ConnectionFailed))
	tr.OnSuccess()
	wantState(t, tr, Active)
	tr.OnFault(code(fault.ConnectionFailed))
	tr.SwitchOn()
	wantState(t, tr, Active)
	if st := tr.Status(); st.LastSuspendDuration != -1 || st.NextRetryTime != nil {
		t.Fatalf("counters not reset: %+v", st)
	}
}

// §1.8 and DESIGN §3.4: OFF is never ready, a success does not leave it,
// and (unlike MI) an in-flight failure does not move it either.
func TestRule1_8_OffIsSticky(t *testing.T) {
	t.Parallel()
	tr, clk := tracker(Policy{})
	tr.SwitchOff()
	wantReady(t, tr, false)
	clk.Advance(time.Hour)
	wantReady(t, tr, false)
	if o := tr.OnFault(code(fault.ConnectionFailed)); o != Sticky {
		t.Fatalf("outcome %v", o)
	}
	tr.OnSuccess()
	wantState(t, tr, Off)
	tr.SwitchOn()
	wantState(t, tr, Active)
}

// The transition history is bounded and records codes and reasons.
func TestTransitionsRecorded(t *testing.T) {
	t.Parallel()
	tr, _ := tracker(Policy{})
	for range historySize + 5 {
		tr.OnFault(code(fault.ConnectionFailed))
		tr.OnSuccess()
	}
	st := tr.Status()
	if len(st.Transitions) != historySize {
		t.Fatalf("%d transitions", len(st.Transitions))
	}
	last := st.Transitions[len(st.Transitions)-1]
	if last.From != "SUSPENDED" || last.To != "ACTIVE" || last.Reason == "" {
		t.Fatalf("last transition %+v", last)
	}
}

// The table keeps a tracker across reloads while the definition is the
// same and starts fresh when it changed.
func TestTableSurvivesReload(t *testing.T) {
	t.Parallel()
	tb := &Table{now: newFake().Now, m: map[string]*tableEntry{}}
	a := tb.Tracker("E", "<address uri='x'/>", Policy{})
	a.OnFault(code(fault.ConnectionFailed))
	if b := tb.Tracker("E", "<address uri='x'/>", Policy{}); b != a || b.State() != Suspended {
		t.Fatal("an unchanged definition lost its state")
	}
	if c := tb.Tracker("E", "<address uri='y'/>", Policy{}); c == a || c.State() != Active {
		t.Fatal("a changed definition kept the old state")
	}
}
