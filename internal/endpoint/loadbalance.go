package endpoint

import (
	"strings"
	"sync/atomic"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/registry"
)

// Synapse's load-balance algorithm classes.
const (
	algoRoundRobin = "org.apache.synapse.endpoints.algorithms.RoundRobin"
	algoWeighted   = "org.apache.synapse.endpoints.algorithms.WeightedRoundRobin"
	algoWeightedLC = "org.apache.synapse.endpoints.algorithms.WeightedRRLCAlgorithm"
)

func init() {
	registry.RegisterEndpoint(registry.Spec{
		Element: "loadbalance",
		Aliases: []string{"org.apache.synapse.endpoints.LoadbalanceEndpoint", "org.apache.synapse.endpoints.SALoadbalanceEndpoint"},
		Summary: "Spreads messages over its children (round robin or weighted), failing over to the next child unless failover=\"false\".",
		Doc: "Children are <endpoint>s or <member hostName httpPort httpsPort/>s. RoundRobin takes the next ready child " +
			"for each message; WeightedRoundRobin gives each child as many turns as its loadbalance.weight endpoint " +
			"property. With failover (the default) a child's failure sends the same request to the next ready child, " +
			"each child at most attemptsPerChild times per message; with failover=\"false\" the failure goes to the " +
			"fault handlers. Retries are counted (MI's 303100) and logged at warn. A <session type=\"http|soap|" +
			"simpleClientSession\"> sibling of the <loadbalance> element makes it session-aware: see docs/endpoints.md.",
		Attrs: []registry.Attr{
			{Name: "algorithm", Values: []string{algoRoundRobin, algoWeighted}, Default: algoRoundRobin, Doc: "Load-balance algorithm class."},
			{Name: "policy", Values: []string{"roundRobin"}, Doc: "Older spelling of the round-robin algorithm."},
			{Name: "failover", Type: "bool", Default: "true", Doc: "Retry the next child when one fails."},
			{Name: "buildMessage", Type: "bool", Doc: "Accepted for compatibility."},
			attemptsAttr,
		},
		Children: []registry.Child{
			{Name: "endpoint", Multiple: true, Doc: "A child endpoint; its loadbalance.weight property weighs it."},
			{Name: "member", Multiple: true, Doc: "hostName, httpPort, httpsPort: a backend the message's own address is rewritten to."},
		},
	}, newLoadbalance)
}

// Loadbalance is a <loadbalance> endpoint (synapse-semantics §6.2), or the
// session-aware one when its <endpoint> has a <session> (§6.3).
type Loadbalance struct {
	*group
	failover bool
	// slots maps turns to children: one slot per child for round robin,
	// weight slots per child for weighted round robin.
	slots   []int
	next    atomic.Uint64
	members *memberSet
	session *sessions
}

func newLoadbalance(b registry.Builder, el *config.Element, name string) (engine.Endpoint, error) {
	g := newGroup(b, el, name, "loadbalance")
	lb := &Loadbalance{group: g, failover: !strings.EqualFold(el.Get("failover"), "false")}
	registry.Bool(b, el, "buildMessage", false)
	algo := lb.algorithm(b, el)
	endpoints, members := el.ChildrenNamed("endpoint"), el.ChildrenNamed("member")
	switch {
	case len(endpoints) > 0 && len(members) > 0:
		b.Errorf(el.Pos, "a <loadbalance> has either <endpoint> or <member> children, not both")
	case len(members) > 0:
		lb.members = newMembers(b, el, members)
		lb.slots = seq(len(members))
	case len(endpoints) == 0:
		b.Errorf(el.Pos, "a <loadbalance> needs child <endpoint>s or <member>s")
	case algo == algoWeighted:
		for i, c := range endpoints {
			for range weight(b, c) {
				lb.slots = append(lb.slots, i)
			}
		}
	default:
		lb.slots = seq(len(g.children))
	}
	if s := el.Parent; s != nil && s.Child("session") != nil {
		lb.session = newSessions(b, s.Child("session"), lb)
	}
	return lb, nil
}

func (lb *Loadbalance) algorithm(b registry.Builder, el *config.Element) string {
	a, p := el.Get("algorithm"), el.Get("policy")
	switch {
	case a != "" && p != "":
		b.Errorf(el.Pos, "a <loadbalance> takes either algorithm or policy, not both")
	case p != "" && p != "roundRobin":
		b.Errorf(el.Pos, "policy=%q: only roundRobin is a policy; use algorithm= for others", p)
	case a == algoWeightedLC:
		b.Errorf(el.Pos, "algorithm %s is not supported by Busbar yet", a)
	case a != "" && a != algoRoundRobin && a != algoWeighted:
		b.Errorf(el.Pos, "unknown load-balance algorithm %q", a)
	}
	if a == "" {
		return algoRoundRobin
	}
	return a
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Ready reports whether the group is on and has a ready child or member.
func (lb *Loadbalance) Ready() bool {
	if lb.members != nil {
		return lb.switchState.State() != Off && lb.members.anyActive()
	}
	return lb.group.Ready()
}

// Send sends to the next child in turn, failing over to the following ones
// when allowed.
func (lb *Loadbalance) Send(c *engine.Context) error {
	if lb.switchState.State() == Off {
		return lb.off()
	}
	if lb.session != nil {
		return lb.session.send(c)
	}
	_, err := lb.balance(c)
	return err
}

// balance runs the load-balance loop and returns the child that answered.
func (lb *Loadbalance) balance(c *engine.Context) (int, error) {
	var rs resend
	if lb.failover {
		var err error
		if rs, err = prepareResend(c); err != nil {
			return -1, err
		}
	}
	c.EnterGroup()
	defer c.LeaveGroup()
	t := make(tries, lb.size())
	var last *fault.Error
	for attempt := 0; ; attempt++ {
		i := lb.pick(t)
		if i < 0 {
			return -1, lb.noneReady(last)
		}
		if attempt > 0 {
			lb.retried.Add(1)
			c.Log().Warn("load balancer retrying on the next endpoint", "endpoint", lb.reportingName(), "child", i+1, "code", last.Code.String(), "error", last.Message)
			rs.restore(c)
		}
		t[i]++
		err := lb.sendTo(c, i)
		if err == nil {
			return i, nil
		}
		fe := fault.Wrap(err)
		if fe.Prev == nil && last != nil {
			fe.Prev = last
		}
		if !lb.failover {
			return -1, fe
		}
		if !lb.childRetries(i, fe) {
			if fe.SkipHandlers || fe.Inbound {
				return -1, fe
			}
			return -1, lb.nonRetry(fe)
		}
		last = fe
	}
}

func (lb *Loadbalance) size() int {
	if lb.members != nil {
		return len(lb.members.list)
	}
	return len(lb.children)
}

func (lb *Loadbalance) sendTo(c *engine.Context, i int) error {
	if lb.members != nil {
		return lb.members.send(c, i)
	}
	return lb.children[i].Send(c)
}

func (lb *Loadbalance) childRetries(i int, fe *fault.Error) bool {
	if lb.members != nil {
		return true
	}
	return childRetries(lb.children[i], fe)
}

func (lb *Loadbalance) ready(i int) bool {
	if lb.members != nil {
		return lb.members.active(i)
	}
	return ready(lb.children[i])
}

// pick takes the next turn whose child is ready and not yet tried for this
// message, looking at every slot at most once (Synapse's RoundRobin).
func (lb *Loadbalance) pick(t tries) int {
	n := uint64(len(lb.slots))
	for range n {
		i := lb.slots[(lb.next.Add(1)-1)%n]
		if !t.exhausted(i, lb.attempts) && lb.ready(i) {
			return i
		}
	}
	return -1
}
