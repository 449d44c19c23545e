package mediator

import (
	"context"
	"fmt"
	"time"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

// storeTimeout bounds how long a store may take to accept a message: a
// store that cannot is a fault the client hears about, never a hang.
const storeTimeout = 30 * time.Second

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "store",
		Aliases: []string{"org.apache.synapse.mediators.store.MessageStoreMediator"},
		Summary: "Stores the message in a message store for a processor to deliver later, and lets the flow go on.",
		Doc: "The store is named by messageStore, or computed per message with {expression}. The sequence attribute " +
			"(onStoreSequence) runs on the message before it is stored. The message is kept (on disk, or acknowledged " +
			"by the broker, for durable stores) before the mediator lets the flow continue; a flow that then ends " +
			"without responding answers 202 Accepted. When a store cannot accept the message and its " +
			"store.producer.guaranteed.delivery.enable parameter is true with a store.failover.message.store.name, " +
			"the message goes to that store instead; when neither can, the flow fails (the client gets an answer, " +
			"503 by default) — the message is never dropped silently.",
		Attrs: []registry.Attr{
			{Name: "messageStore", Type: "key", Required: true, Doc: "Store name, or {expression}."},
			{Name: "sequence", Type: "key", Doc: "Sequence to run on the message before it is stored."},
		},
		Differences: []string{"A flow that stores a message and ends without responding answers 202; MI leaves the client waiting unless FORCE_SC_ACCEPTED is set."},
	}, newStore)
}

type storeMediator struct {
	store    expr.Key
	sequence engine.SeqRef
}

func newStore(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	m := &storeMediator{}
	if a := el.Attr("messageStore"); a != nil {
		m.store = b.Key(el, a.Value, a.Pos)
	}
	if a := el.Attr("sequence"); a != nil {
		m.sequence = b.SequenceRef(a.Value, a.Pos)
	}
	return m, nil
}

func (m *storeMediator) Mediate(c *engine.Context) (bool, error) {
	name, err := m.store.Eval(c.Msg)
	if err != nil {
		return false, err
	}
	st := c.G.Stores[name]
	if st == nil {
		return false, fault.Newf(fault.DefaultError, "Message Store %q does not exist.", name)
	}
	if m.sequence.IsSet() {
		seq, err := m.sequence.Resolve(c.G)
		if err != nil {
			return false, err
		}
		if ok, err := c.Run(seq); err != nil || !ok {
			return ok, err
		}
	}
	sm, err := store.Capture(c.Msg)
	if err != nil {
		return false, err
	}
	if err := m.put(c, st, sm); err != nil {
		return false, err
	}
	c.Log().Debug("message stored", "store", st.Name())
	return true, nil
}

// put stores the message, falling back to the guaranteed-delivery
// failover store when the store's parameters name one.
func (m *storeMediator) put(c *engine.Context, st store.Store, sm *store.Message) error {
	ctx, cancel := context.WithTimeout(c.Ctx, storeTimeout)
	defer cancel()
	err := st.Put(ctx, sm)
	if err == nil {
		return nil
	}
	params := c.G.StoreParams[st.Name()]
	if params["store.producer.guaranteed.delivery.enable"] == "true" {
		if fb := c.G.Stores[params["store.failover.message.store.name"]]; fb != nil {
			c.Log().Warn("message store failed; storing in its failover store", "store", st.Name(), "failover", fb.Name(), "error", err)
			ctx2, cancel2 := context.WithTimeout(c.Ctx, storeTimeout)
			defer cancel2()
			err2 := fb.Put(ctx2, sm)
			if err2 == nil {
				return nil
			}
			err = fmt.Errorf("%v; the failover store %s failed too: %w", err, fb.Name(), err2)
		}
	}
	f := fault.Newf(fault.DefaultError, "Failed to store message [%s] in store [%s].", sm.ID, st.Name())
	f.Detail, f.Cause, f.Status = err.Error(), err, 503
	return f
}
