package processor

import (
	"context"
	"fmt"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

var (
	pSequence      = param{name: "sequence", typ: "key", required: true, doc: "The sequence each message is injected into."}
	pConcurrency   = param{name: "concurrency", typ: "int", def: "1", doc: "Messages taken per run (by each member); also how many of its injections may run at once."}
	pSampleMembers = param{name: "member.count", typ: "int", def: "1", doc: "Number of parallel schedulers, each taking `concurrency` messages a run."}

	samplingParams = append([]param{
		pSequence, pInterval, pConcurrency, pCron, pActive, pSampleMembers, pStoreAttempts, pStoreRetry,
	}, mpIgnored...)
)

func init() {
	registry.RegisterProcessor(registry.Spec{
		Element: "sampling",
		Aliases: []string{
			"org.apache.synapse.message.processor.impl.sampler.SamplingProcessor",
			// The pre-4.x name MI still maps to the same class.
			"org.apache.synapse.message.processors.sampler.SamplingProcessor",
		},
		Summary: "Takes messages from a store at a steady rate and injects each one into a sequence (at most once, as in MI).",
		Doc: "MI's sampling processor, used to throttle a flow: every `interval` (or on each `cronExpression` firing) it takes " +
			"up to `concurrency` messages from its `messageStore` and mediates each through `sequence` in the background. As in " +
			"MI a message is acknowledged (removed from the store) as soon as it is taken, so it is processed at most once " +
			"and never retried. A fault in the sequence that no fault handler of the flow answers (the sequence's onError or " +
			"nested ones) is recorded in Busbar's failed-message store, with its error chain, for operators to inspect and " +
			"resubmit (which injects it into the sequence again); a handled fault is the flow's business. Use the scheduled " +
			"forwarding processor when every message must reach an endpoint.",
		Attrs: attrs(samplingParams),
		Examples: []registry.Example{{
			Title: "Feed a slow backend two messages every second",
			Config: `<messageStore name="Inbox"/>
<sequence name="ToLegacy"><call><endpoint><address uri="http://localhost:9000/legacy"/></endpoint></call></sequence>
<messageProcessor name="Throttle" messageStore="Inbox"
    class="org.apache.synapse.message.processor.impl.sampler.SamplingProcessor">
  <parameter name="sequence">ToLegacy</parameter>
  <parameter name="interval">1000</parameter>
  <parameter name="concurrency">2</parameter>
</messageProcessor>`,
		}},
		Differences: []string{
			"A fault in the sequence that no handler answers is recorded in the failed-message store (MI only logs it).",
			"A missing or unknown sequence is a configuration error (MI silently consumes every message).",
			"interval below 1000 ms is honoured (MI runs at most once a second), and at most `concurrency` injections run at once.",
		},
	}, newSampling)
}

// Sampler is the sampling processor (synapse-semantics §7.4).
type Sampler struct {
	*base
	seq         *engine.Sequence
	concurrency int
	// slots bounds the injections in flight: a message taken (and
	// acknowledged) waits in memory as briefly as possible.
	slots chan struct{}
}

var _ Managed = (*Sampler)(nil)

func newSampling(b registry.Builder, def *config.MessageProcessor) (engine.Processor, error) {
	bs, p := newBase(b, def, TypeSampling, samplingParams)
	if bs == nil {
		return nil, nil
	}
	bs.members = p.int(pSampleMembers.name, 1, 1)
	s := &Sampler{base: bs, concurrency: p.int(pConcurrency.name, 1, 1)}
	// Each of MI's member.count tasks takes concurrency messages a run.
	s.slots = make(chan struct{}, s.concurrency*bs.members)
	name := p.str(pSequence.name)
	switch s.seq = b.Graph().Sequence(name); {
	case name == "":
		b.Errorf(def.Pos, "a sampling message processor needs the parameter \"sequence\" (the sequence to inject messages into)")
	case s.seq == nil:
		// Every message is acknowledged when taken, so a missing
		// sequence would lose them all.
		b.Errorf(p.pos(pSequence.name), "sequence %q (parameter \"sequence\") is not defined", name)
	}
	return s, nil
}

// Start starts the sampler's workers (member.count of them).
func (s *Sampler) Start() { s.start(func(ctx context.Context, _ int) { s.loop(ctx, s.batch) }) }

// Status adds the sequence and the injection count.
func (s *Sampler) Status() map[string]any {
	st := s.status()
	if s.seq != nil {
		st["sequence"] = s.seq.Name
	}
	st["concurrency"] = s.concurrency
	st["injected"] = s.state.injected.Load()
	return st
}

// batch takes up to concurrency messages, acknowledging each as it is
// taken (SamplingService.fetch), and injects them in the background.
func (s *Sampler) batch(ctx context.Context) bool {
	got := false
	for range s.concurrency {
		if !s.Active() {
			break
		}
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return got
		}
		d := s.fetch(ctx)
		if d == nil {
			<-s.slots
			break
		}
		sm := d.Message
		if !s.take(d) {
			<-s.slots
			continue
		}
		got = true
		err := s.goBackground(func() {
			defer func() { <-s.slots }()
			s.inject(sm, s.seq)
		})
		if err != nil {
			// Stop is under way: inject on this worker, which Stop waits
			// for, rather than lose a message already acknowledged.
			<-s.slots
			s.inject(sm, s.seq)
		}
	}
	return got
}

// take acknowledges a fetched message; if that fails the message is
// given back to the store (and taken again later) instead of being
// injected twice.
func (s *Sampler) take(d *store.Delivery) bool {
	ctx, cancel := context.WithTimeout(context.Background(), storeOpTimeout)
	defer cancel()
	if err := d.Ack(ctx); err != nil {
		s.log.Warn("acknowledging a message failed; it stays in the store", "msgId", d.Message.ID, "error", err)
		s.state.noteError(fmt.Sprintf("acknowledging message %s: %v", d.Message.ID, err), s.rt.Now())
		if err := d.Release(ctx, d.Message.Attempts); err != nil {
			s.log.Warn("releasing the message failed; the store hands it out again when the lease expires", "msgId", d.Message.ID, "error", err)
		}
		return false
	}
	return true
}

// Resubmit injects a sequence record into its sequence again (or, for a
// record with no sequence, into the sampler's) and puts a processor
// record back into the store.
func (s *Sampler) Resubmit(ctx context.Context, r *failed.Record) error {
	if r != nil && r.Sequence == "" && s.seq != nil {
		cp := *r
		cp.Sequence = s.seq.Name
		r = &cp
	}
	return s.base.Resubmit(ctx, r)
}
