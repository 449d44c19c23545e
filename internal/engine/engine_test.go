package engine_test

import (
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/testkit"
)

// TestRecursionLimit: a sequence that calls itself through a dynamic key
// (which compile cannot see) fails with a fault instead of exhausting the
// stack.
func TestRecursionLimit(t *testing.T) {
	t.Parallel()
	res := testkit.Run(t, `<sequence key="{'loop'}"/>`, testkit.Input{Body: "{}", ContentType: "application/json"},
		`<sequence name="loop"><sequence key="{'loop'}"/></sequence>`)
	if res.Err == nil || !strings.Contains(res.Err.Message, "nested deeper than") {
		t.Fatalf("got %v", res.Err)
	}
}

// TestFaultHandlerStack: an API message has [fault, resourceFault]; a
// sequence's onError is innermost while it runs and gone after it
// completes normally (synapse-semantics §4.1).
func TestFaultHandlerStack(t *testing.T) {
	t.Parallel()
	g := testkit.Graph(t, `
<sequence name="h"><drop/></sequence>
<sequence name="inner" onError="h"><property name="x" value="1"/></sequence>
<sequence name="outer"><sequence key="inner"/><throwError type="AFTER"/></sequence>`)
	m := testkit.NewMessage(testkit.Input{Body: "{}", ContentType: "application/json"})
	c := engine.NewContext(t.Context(), g, m, &engine.Exchange{Responder: &testkit.Recorder{}}, testkit.Logger(t))
	c.PushHandler(g.Fault)
	_, err := c.Run(g.Sequence("outer"))
	if err == nil {
		t.Fatal("expected the throwError to fail")
	}
	hs := c.Handlers()
	if len(hs) != 1 || hs[0] != g.Fault {
		t.Fatalf("handler stack after inner completed: %v", hs)
	}
	c.HandleFault(err)
	if got := m.ErrorCode().String(); got != "AFTER" {
		t.Fatalf("ERROR_CODE = %s", got)
	}
}

// TestDefaultStatus pins the status of Busbar's default answers.
func TestDefaultStatus(t *testing.T) {
	t.Parallel()
	timeout := fault.New(fault.ConnectionTimeout+3, "read timeout")
	timeout.Base = fault.ConnectionTimeout
	cases := []struct {
		f    *fault.Error
		want int
	}{
		{fault.New(fault.ConnectionFailed, "refused"), 502},
		{fault.New(fault.ConnectionTimeout, "Send timeout"), 504},
		{timeout, 504},
		{fault.New(fault.EndpointAddressNoneReady, "not ready"), 503},
		{fault.New(fault.EndpointIndirectNotReady, "no key"), 503},
		{fault.New(fault.EndpointCustomError, "soap fault"), 502},
		{fault.New(0, "mediation"), 500},
		{&fault.Error{Code: fault.Str("CUSTOM"), Message: "x", State: -1}, 500},
		{&fault.Error{Code: fault.Num(601000), Status: 400, State: -1}, 400},
	}
	for _, tc := range cases {
		if got := engine.DefaultStatus(tc.f); got != tc.want {
			t.Errorf("DefaultStatus(%v) = %d, want %d", tc.f, got, tc.want)
		}
	}
}

type panicky struct{}

func (panicky) Mediate(*engine.Context) (bool, error) { panic("boom") }

// TestPanicBecomesAnswer: a bug that panics inside mediation is logged and
// answered with a 500, and the process goes on.
func TestPanicBecomesAnswer(t *testing.T) {
	t.Parallel()
	g := testkit.Graph(t, `<api name="a" context="/a"><resource><inSequence><drop/></inSequence></resource></api>`)
	g.APIs[0].Resources[0].In.Seq.Steps[0].M = panicky{}
	rec := &testkit.Recorder{}
	g.Serve(t.Context(), testkit.NewMessage(testkit.Input{URI: "/a", Body: "{}", ContentType: "application/json"}), rec, testkit.Logger(t))
	if len(rec.Responses) != 1 || rec.Responses[0].Status != 500 || !strings.Contains(rec.Responses[0].Body, "internal error") {
		t.Fatalf("got %+v", rec.Responses)
	}
}
