package endpoint

import (
	"sync/atomic"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterEndpoint(registry.Spec{
		Element: "failover",
		Aliases: []string{"org.apache.synapse.endpoints.FailoverEndpoint"},
		Summary: "Tries its child endpoints in order until one answers; the request is resent byte for byte.",
		Doc: "In dynamic mode (the default) every message starts from the first ready child, so traffic returns to the " +
			"primary as soon as it is ready again; with dynamic=\"false\" the group sticks to the child that last " +
			"answered while it stays ready. A child's failure (a transport error, an endpoint timeout with " +
			"responseAction fault, a 500000 from FORCE_ERROR_ON_SOAP_FAULT) fails over unless the child's " +
			"<retryConfig> says otherwise; HTTP error statuses are responses and do not fail over. Each child is tried " +
			"at most once per message (attemptsPerChild), so an all-down group answers promptly with 303000 instead " +
			"of looping. Each failover is counted (MI's 304100) and logged at warn.",
		Attrs: []registry.Attr{
			{Name: "dynamic", Type: "bool", Default: "true", Doc: "Return to the first ready child for every message."},
			{Name: "buildMessage", Type: "bool", Doc: "Accepted for compatibility: Busbar always keeps the request so it can be resent."},
			attemptsAttr,
		},
		Children: []registry.Child{{Name: "endpoint", Multiple: true, Required: true, Doc: "A child endpoint (inline or key=)."}},
		Examples: nil,
	}, newFailover)
}

// Failover is a <failover> endpoint (synapse-semantics §6.1).
type Failover struct {
	*group
	dynamic bool
	current atomic.Int32
}

func newFailover(b registry.Builder, el *config.Element, name string) (engine.Endpoint, error) {
	g := newGroup(b, el, name, "failover")
	registry.Bool(b, el, "buildMessage", false)
	return &Failover{group: g, dynamic: registry.Bool(b, el, "dynamic", true)}, nil
}

// Send tries the children in order until one answers.
func (f *Failover) Send(c *engine.Context) error {
	if f.switchState.State() == Off {
		return f.off()
	}
	rs, err := prepareResend(c)
	if err != nil {
		return err
	}
	c.EnterGroup()
	defer c.LeaveGroup()
	t := make(tries, len(f.children))
	var last *fault.Error
	for attempt := 0; ; attempt++ {
		i := f.pick(t)
		if i < 0 {
			return f.noneReady(last)
		}
		if attempt > 0 {
			f.retried.Add(1)
			c.Log().Warn("failing over to the next endpoint", "endpoint", f.reportingName(), "child", i+1, "code", last.Code.String(), "error", last.Message)
			rs.restore(c)
		}
		t[i]++
		err := f.children[i].Send(c)
		if err == nil {
			f.current.Store(int32(i))
			return nil
		}
		fe := fault.Wrap(err)
		if fe.Prev == nil && last != nil {
			fe.Prev = last
		}
		if !childRetries(f.children[i], fe) {
			if fe.SkipHandlers || fe.Inbound {
				return fe
			}
			return f.nonRetry(fe)
		}
		last = fe
	}
}

// pick chooses the child to try: in dynamic mode the first ready one in
// declaration order, in static mode the current one while it is ready.
func (f *Failover) pick(t tries) int {
	if !f.dynamic {
		if i := int(f.current.Load()); !t.exhausted(i, f.attempts) && ready(f.children[i]) {
			return i
		}
	}
	for i, ch := range f.children {
		if !t.exhausted(i, f.attempts) && ready(ch) {
			return i
		}
	}
	return -1
}
