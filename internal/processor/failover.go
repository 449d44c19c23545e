package processor

import (
	"context"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

var (
	pTargetStore = param{name: "message.target.store.name", typ: "key", required: true, doc: "The store messages are moved to (normally the store the failover store backs up)."}

	failoverParams = append([]param{
		pTargetStore, pInterval, pCron, pRetry, maxAttemptsParam("-1"), pDrop, pFault, pDeactivate,
		pActive, pMembers, pStoreAttempts, pStoreRetry,
	}, mpIgnored...)
)

func init() {
	registry.RegisterProcessor(registry.Spec{
		Element: "failover-forwarding",
		Aliases: []string{"org.apache.synapse.message.processor.impl.failover.FailoverScheduledMessageForwardingProcessor"},
		Summary: "Moves the messages of a failover store back into the store they were meant for, retrying until that store takes them.",
		Doc: "MI's failover scheduled message forwarding processor, the other half of the store mediator's guaranteed delivery: " +
			"when a store refuses a message and its `store.producer.guaranteed.delivery.enable` is `true`, the store mediator " +
			"keeps the message in `store.failover.message.store.name`; this processor consumes that failover store (its " +
			"`messageStore` attribute) and puts " +
			"each message, in order, into `message.target.store.name`, trying again every `client.retry.interval` while the " +
			"target store fails. `max.delivery.attempts` defaults to -1 (forever), so nothing moves out of order; with a finite " +
			"number an exhausted message is dropped only with `max.delivery.drop` exactly `Enabled`, else recorded in the " +
			"failed-message store (or, without one, the processor deactivates and keeps it).",
		Attrs: attrs(failoverParams),
		Examples: []registry.Example{{
			Title: "Replay a failover store into the primary store",
			Config: `<messageStore name="Primary" class="org.apache.synapse.message.store.impl.memory.InMemoryStore">
  <parameter name="store.producer.guaranteed.delivery.enable">true</parameter>
  <parameter name="store.failover.message.store.name">Failover</parameter>
</messageStore>
<messageStore name="Failover"/>
<messageProcessor name="Replay" messageStore="Failover"
    class="org.apache.synapse.message.processor.impl.failover.FailoverScheduledMessageForwardingProcessor">
  <parameter name="message.target.store.name">Primary</parameter>
  <parameter name="client.retry.interval">5000</parameter>
</messageProcessor>`,
		}},
		Differences: []string{
			"A missing or unknown message.target.store.name is a configuration error (MI removes every message it consumes).",
			"A message that exhausts a finite max.delivery.attempts is recorded in the failed-message store instead of deactivating the processor.",
		},
	}, newFailover)
}

// Failover is the failover forwarding processor (synapse-semantics §7.1).
type Failover struct {
	*base
	redelivery
	targetName string
	target     store.Store
}

var _ Managed = (*Failover)(nil)

func newFailover(b registry.Builder, def *config.MessageProcessor) (engine.Processor, error) {
	bs, p := newBase(b, def, TypeFailover, failoverParams)
	if bs == nil {
		return nil, nil
	}
	bs.drain = true
	bs.members = p.int(pMembers.name, 1, 1)
	f := &Failover{base: bs, redelivery: readRedelivery(b, p, bs, -1), targetName: p.str(pTargetStore.name)}
	switch f.target = b.Graph().Stores[f.targetName]; {
	case f.targetName == "":
		b.Errorf(def.Pos, "a failover message processor needs the parameter message.target.store.name (the store to move messages to)")
	case f.target == nil:
		b.Errorf(p.pos(pTargetStore.name), "message store %q (message.target.store.name) is not defined", f.targetName)
	case f.targetName == def.Store:
		b.Errorf(p.pos(pTargetStore.name), "message.target.store.name is the processor's own store %q: messages would go round forever", f.targetName)
	}
	return f, nil
}

// Start starts the workers.
func (f *Failover) Start() { f.startDelivering(&f.redelivery, f.attempt) }

// Status adds the target store to the common snapshot.
func (f *Failover) Status() map[string]any {
	st := f.status()
	st["targetStore"] = f.targetName
	st["maxDeliveryAttempts"] = f.maxAttempts
	return st
}

// attempt puts a copy of the message, same ID, into the target store.
func (f *Failover) attempt(ctx context.Context, sm *store.Message) outcome {
	c := f.newContext(ctx, store.Restore(sm))
	cp := cloneStored(sm)
	cp.Attempts = 0
	putCtx, cancel := context.WithTimeout(ctx, storeOpTimeout)
	defer cancel()
	if err := f.target.Put(putCtx, cp); err != nil {
		fe := fault.Newf(fault.DefaultError, "Failed to store message [%s] in store [%s].", sm.ID, f.targetName)
		fe.Detail, fe.Cause = err.Error(), err
		return failure(c, fe, f.path, "")
	}
	return outcome{kind: delivered, c: c}
}
