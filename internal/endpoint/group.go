package endpoint

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
)

// Readier is an endpoint a parent can ask whether it may be sent to now
// (synapse-semantics §1.6: children are checked by their parent).
type Readier interface {
	Ready() bool
}

// Ready reports whether a leaf may be sent to now.
func (l *leaf) Ready() bool {
	ok, _ := l.tracker.Ready()
	return ok
}

// ready asks an endpoint whether it may be sent to; endpoints that cannot
// tell (resolved per message) are assumed ready and fail on send.
func ready(ep engine.Endpoint) bool {
	if r, ok := ep.(Readier); ok {
		return r.Ready()
	}
	return true
}

// retryPolicy is what decides whether a group retries after a child's
// failure: the failing child's retryConfig (§6.1).
type retryPolicy interface {
	retries(code fault.Code) bool
}

// retries applies retryConfig: a disabled code never retries; with enabled
// codes listed, only those retry; otherwise everything does. A code that
// is not an integer retries only when nothing restricts it.
func (l *leaf) retries(code fault.Code) bool {
	n, ok := code.Int()
	if ok && slices.Contains(l.def.RetryDisabled, n) {
		return false
	}
	if len(l.def.RetryEnabled) > 0 {
		return ok && slices.Contains(l.def.RetryEnabled, n)
	}
	return true
}

func childRetries(ep engine.Endpoint, fe *fault.Error) bool {
	if fe.SkipHandlers || fe.Inbound {
		// responseAction discard: the timeout is swallowed, not failed
		// over (§6.1), and the client gets Busbar's 504.
		return false
	}
	if rp, ok := ep.(retryPolicy); ok {
		return rp.retries(fe.Code)
	}
	return true
}

// group is what failover, load-balance, session-aware and recipient-list
// endpoints share: a name, children, an ON/OFF switch (groups never
// suspend themselves, §1.1), the per-message attempt bound, and counters.
type group struct {
	name     string
	kind     string
	children []engine.Endpoint
	// switchState holds only ACTIVE or OFF.
	switchState *Tracker
	// attempts bounds how often one child may be tried for one message
	// (DESIGN §3.5); 1 by default.
	attempts int
	// retried counts failovers (MI's 304100) or load-balance retries
	// (303100), which MI reports only to JMX.
	retried atomic.Int64
	source  string
}

// groupAttrs are the Busbar attributes every group accepts.
var attemptsAttr = registry.Attr{Name: "attemptsPerChild", Type: "int", Default: "1",
	Doc: "Busbar: how many times one message may try the same child (bounded failover, DESIGN §3.5)."}

func newGroup(b registry.Builder, el *config.Element, name, kind string) *group {
	g := &group{name: name, kind: kind, attempts: registry.Int(b, el, "attemptsPerChild", 1)}
	if g.attempts < 1 {
		b.Errorf(el.Pos, "attemptsPerChild must be at least 1")
		g.attempts = 1
	}
	for _, c := range el.Children {
		if c.IsSynapse() && c.Name.Local == "endpoint" {
			if ep := b.Endpoint(c); ep != nil {
				g.children = append(g.children, ep)
			}
		}
	}
	src := el
	if el.Parent != nil && el.Parent.Name.Local == "endpoint" {
		src = el.Parent
	}
	g.source = compile.ToXMLTree(src).String()
	key := name
	if key == "" {
		key = "anonymous:" + b.Path()
	}
	g.switchState = States(b.Options().Runtime).Tracker(key, g.source, Policy{Factor: 1, InitialDuration: -1})
	return g
}

// Name is the group's name.
func (g *group) Name() string { return g.name }

// Kind is the element name (failover, loadbalance, ...).
func (g *group) Kind() string { return g.kind }

// Children returns the group's child endpoints.
func (g *group) Children() []engine.Endpoint { return g.children }

// Tracker is the group's ON/OFF switch (management API).
func (g *group) Tracker() *Tracker { return g.switchState }

// Retried is the number of failovers or retries so far.
func (g *group) Retried() int64 { return g.retried.Load() }

// Ready reports whether the group is on and has a ready child.
func (g *group) Ready() bool {
	if g.switchState.State() == Off {
		return false
	}
	return slices.ContainsFunc(g.children, ready)
}

// SwitchChildren switches every child on or off: what JMX's
// EndpointView.switchOff/On does to a group (§1.8).
func (g *group) SwitchChildren(on bool) {
	for _, c := range g.children {
		if tr, ok := c.(interface{ Tracker() *Tracker }); ok {
			if on {
				tr.Tracker().SwitchOn()
			} else {
				tr.Tracker().SwitchOff()
			}
		}
		if sub, ok := c.(interface{ SwitchChildren(bool) }); ok {
			sub.SwitchChildren(on)
		}
	}
}

func (g *group) reportingName() string {
	if g.name == "" {
		return "AnonymousEndpoint"
	}
	return g.name
}

// noneReady is 303000 (§6.1, §6.2, §6.4).
func (g *group) noneReady(last *fault.Error) *fault.Error {
	msg := fmt.Sprintf("%s endpoint : %s - no ready child endpoints", g.kindTitle(), g.reportingName())
	if last != nil {
		msg += " (last failure: " + last.Error() + ")"
	}
	return &fault.Error{Code: fault.Num(fault.EndpointNoneReady), Message: msg, Detail: msg, State: -1, Status: 503, Prev: last}
}

// nonRetry is 303000 after a child failed with an error its retryConfig
// does not retry.
func (g *group) nonRetry(last *fault.Error) *fault.Error {
	msg := fmt.Sprintf("%s endpoint : %s - encountered a non-retry error: %s", g.kindTitle(), g.reportingName(), last.Error())
	return &fault.Error{Code: fault.Num(fault.EndpointNoneReady), Message: msg, Detail: last.Detail, State: -1, Status: 502, Prev: last}
}

func (g *group) off() *fault.Error {
	msg := fmt.Sprintf("%s endpoint : %s is switched off", g.kindTitle(), g.reportingName())
	return &fault.Error{Code: fault.Num(fault.EndpointNoneReady), Message: msg, Detail: msg, State: -1, Status: 503}
}

func (g *group) kindTitle() string {
	switch g.kind {
	case "failover":
		return "Failover"
	case "loadbalance":
		return "Loadbalance"
	case "recipientlist":
		return "Recipient list"
	}
	return "Session aware loadbalance"
}

// resend keeps what a retry must send again: the same body bytes, headers,
// method and destination. The body is read into memory once, before the
// first attempt, only because a group may need to send it twice.
type resend struct {
	header http.Header
	method string
	to     string
	status int
}

func prepareResend(c *engine.Context) (resend, error) {
	if err := c.Msg.Body.Buffer(); err != nil {
		return resend{}, err
	}
	m := c.Msg
	return resend{header: m.Header.Clone(), method: m.Method, to: m.To, status: m.Status}, nil
}

// restore puts the message back as it was before an attempt and clears the
// failed attempt's error properties (MI removes them before each retry).
func (r resend) restore(c *engine.Context) {
	m := c.Msg
	m.Header = r.header.Clone()
	m.Method, m.To, m.Status = r.method, r.to, r.status
	m.Response = false
	for _, p := range []string{"ERROR_CODE", "ERROR_MESSAGE", "ERROR_DETAIL", "ERROR_EXCEPTION"} {
		m.Remove(message.ScopeDefault, p)
	}
}

// tries counts attempts per child for one message.
type tries []int

func (t tries) exhausted(i, limit int) bool { return t[i] >= limit }

// weight reads a child's loadbalance.weight endpoint property (default 1).
func weight(b registry.Builder, el *config.Element) int {
	for _, p := range el.ChildrenNamed("property") {
		if p.Get("name") != "loadbalance.weight" {
			continue
		}
		n, err := strconv.Atoi(p.Get("value"))
		if err != nil || n <= 0 {
			b.Errorf(p.Pos, "loadbalance.weight %q must be an integer greater than 0", p.Get("value"))
			return 1
		}
		return n
	}
	return 1
}
