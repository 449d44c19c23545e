package endpoint

import (
	"container/list"
	"strings"
	"sync"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterEndpoint(registry.Spec{
		Element: "recipientlist",
		Aliases: []string{"org.apache.synapse.endpoints.RecipientListEndpoint"},
		Summary: "Sends a copy of the message to every ready child at once; one child's failure does not hold up the others.",
		Doc: "Children are <endpoint>s, or <endpoints value=\"{expression}\" max-cache=\"n\"/> whose value is a " +
			"comma-separated list of URLs (each URL gets an anonymous address endpoint with its own state, kept in a cache " +
			"of max-cache entries). Copies go out in parallel; each failure is logged at warn with its code. The flow " +
			"continues with the response of the first child, in declaration order, that answered; the other responses " +
			"are discarded (Busbar has no aggregate mediator yet). With no ready child, or when every copy fails, the " +
			"result is 303000.",
		Attrs:    []registry.Attr{attemptsAttr},
		Children: []registry.Child{{Name: "endpoint", Multiple: true}, {Name: "endpoints", Doc: "value (an expression giving comma-separated URLs) and max-cache."}},
	}, newRecipientList)
}

// RecipientList is a <recipientlist> endpoint (synapse-semantics §6.4).
type RecipientList struct {
	*group
	dynamic *expr.Expr
	cache   *urlCache
}

func newRecipientList(b registry.Builder, el *config.Element, name string) (engine.Endpoint, error) {
	rl := &RecipientList{group: newGroup(b, el, name, "recipientlist")}
	if e := el.Child("endpoints"); e != nil {
		v := strings.TrimSpace(e.Get("value"))
		if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
			v = v[1 : len(v)-1]
		}
		rl.dynamic = b.Expr(e, v, e.Pos)
		size := registry.Int(b, e, "max-cache", 20)
		rl.cache = &urlCache{rt: b.Options().Runtime, size: max(size, 1), m: map[string]*list.Element{}, order: list.New()}
		if len(rl.children) > 0 {
			b.Errorf(e.Pos, "a <recipientlist> has either <endpoint> children or <endpoints value=...>, not both")
		}
	} else if len(rl.children) == 0 {
		b.Errorf(el.Pos, "a <recipientlist> needs child <endpoint>s or <endpoints value=\"{expression}\"/>")
	}
	return rl, nil
}

// Ready reports whether the list may send: on, and (for a static list) a
// child ready.
func (rl *RecipientList) Ready() bool {
	if rl.dynamic != nil {
		return rl.switchState.State() != Off
	}
	return rl.group.Ready()
}

// Send delivers a copy to every ready recipient in parallel.
func (rl *RecipientList) Send(c *engine.Context) error {
	if rl.switchState.State() == Off {
		return rl.off()
	}
	targets, err := rl.recipients(c)
	if err != nil {
		return err
	}
	var readyTargets []engine.Endpoint
	for _, t := range targets {
		if ready(t) {
			readyTargets = append(readyTargets, t)
		}
	}
	if len(readyTargets) == 0 {
		return rl.noneReady(nil)
	}
	results := make([]copyResult, len(readyTargets))
	var wg sync.WaitGroup
	for i, t := range readyTargets {
		clone, err := c.Msg.Clone()
		if err != nil {
			return err
		}
		clone.Set(message.ScopeDefault, "MESSAGE_SEQUENCE", itoa(i+1)+"_of_"+itoa(len(readyTargets)))
		wg.Go(func() { results[i] = rl.deliverCopy(c, t, clone) })
	}
	wg.Wait()
	return rl.outcome(c, results)
}

type copyResult struct {
	msg *message.Message
	err *fault.Error
}

// deliverCopy sends one copy on its own context: the copy answers nobody,
// and its failure is reported without touching the others.
func (rl *RecipientList) deliverCopy(c *engine.Context, ep engine.Endpoint, m *message.Message) copyResult {
	cc := engine.NewContext(c.Ctx, c.G, m, &engine.Exchange{Responder: discardResponder{}, Artifact: c.X.Artifact}, c.Base())
	cc.EnterGroup()
	if err := ep.Send(cc); err != nil {
		fe := fault.Wrap(err)
		cc.Log().Warn("recipient list: a copy failed", "endpoint", rl.reportingName(), "recipient", ep.Name(), "code", fe.Code.String(), "error", fe.Message)
		return copyResult{err: fe}
	}
	return copyResult{msg: m}
}

// outcome continues the flow with the first response in declaration order
// and discards the others.
func (rl *RecipientList) outcome(c *engine.Context, results []copyResult) error {
	var first *fault.Error
	taken := false
	for _, r := range results {
		switch {
		case r.err != nil:
			if first == nil {
				first = r.err
			}
		case !taken:
			c.Msg.TakeResponse(r.msg)
			taken = true
		default:
			r.msg.Body.Close()
		}
	}
	if taken {
		return nil
	}
	f := rl.noneReady(first)
	f.Message = "Recipient list endpoint : " + rl.reportingName() + " - every recipient failed (first failure: " + first.Error() + ")"
	f.Status = 502
	return f
}

func (rl *RecipientList) recipients(c *engine.Context) ([]engine.Endpoint, error) {
	if rl.dynamic == nil {
		return rl.children, nil
	}
	v, err := rl.dynamic.EvalString(c.Msg)
	if err != nil {
		return nil, err
	}
	var out []engine.Endpoint
	for _, u := range strings.Split(v, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, rl.cache.get(u))
		}
	}
	return out, nil
}

type discardResponder struct{}

func (discardResponder) Respond(m *message.Message, _ int) error { return m.Body.Close() }

// urlCache keeps the anonymous address endpoints of a dynamic recipient
// list, least recently used first out.
type urlCache struct {
	rt    *engine.Runtime
	size  int
	mu    sync.Mutex
	m     map[string]*list.Element
	order *list.List
}

type cachedURL struct {
	url string
	ep  *fixedURL
}

func (uc *urlCache) get(u string) engine.Endpoint {
	uc.mu.Lock()
	defer uc.mu.Unlock()
	if e, ok := uc.m[u]; ok {
		uc.order.MoveToFront(e)
		return e.Value.(*cachedURL).ep
	}
	d := &Definition{InitialDuration: -1, Factor: 1}
	ep := &fixedURL{leaf: leaf{def: d, kind: "Address endpoint", tracker: States(uc.rt).Tracker("recipient:"+u, u, d.policy())}, url: u}
	uc.m[u] = uc.order.PushFront(&cachedURL{url: u, ep: ep})
	if uc.order.Len() > uc.size {
		old := uc.order.Back()
		uc.order.Remove(old)
		delete(uc.m, old.Value.(*cachedURL).url)
	}
	return ep
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
