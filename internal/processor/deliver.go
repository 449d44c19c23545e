package processor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

// redelivery is how the forwarding kinds retry one message
// (ForwardingService, FailoverForwardingService).
type redelivery struct {
	// maxAttempts counts every attempt, the first included; below 1 the
	// message is retried forever.
	maxAttempts   int
	retryInterval time.Duration
	// drop is max.delivery.drop=Enabled with a finite maxAttempts.
	drop bool
	// failStore is message.processor.failMessagesStore (forwarding only).
	failStore store.Store
	faultSeq  engine.SeqRef
}

// maxAttemptsParam is max.delivery.attempts, whose default differs
// between the forwarding (4) and failover (-1) kinds.
func maxAttemptsParam(def string) param {
	return param{name: "max.delivery.attempts", typ: "int", def: def, doc: "Attempts per message, the first one included; " +
		"below 1 the message is retried forever (head-of-line blocking with member.count=1)."}
}

// readRedelivery reads the retry parameters and warns about MI's traps.
func readRedelivery(b registry.Builder, p *params, bs *base, defMax int) redelivery {
	r := redelivery{
		maxAttempts:   p.int("max.delivery.attempts", defMax, math.MinInt32),
		retryInterval: p.millis(pRetry.name, time.Second, 0),
		faultSeq:      seqParam(b, p, pFault.name),
	}
	bs.deactivateSeq = seqParam(b, p, pDeactivate.name)
	drop := p.str(pDrop.name)
	switch {
	case drop == "Enabled" && r.maxAttempts < 1:
		b.Warnf(p.pos(pDrop.name), "max.delivery.drop=Enabled has no effect: max.delivery.attempts=%d retries forever", r.maxAttempts)
	case drop == "Enabled":
		r.drop = true
	case strings.EqualFold(drop, "enabled") || strings.EqualFold(drop, "true"):
		b.Warnf(p.pos(pDrop.name), "max.delivery.drop=%q does not enable dropping: only exactly \"Enabled\" does (as in MI); exhausted messages are kept", drop)
	}
	return r
}

// outcome is the result of one delivery attempt.
type outcome struct {
	kind int
	// c is the context the attempt ended with: the response, or the
	// message when nothing came back. The fault sequence runs on it.
	c *engine.Context
	// fault is why the attempt failed, or why the processor must stop.
	fault    *fault.Error
	failInfo string
	endpoint string
}

const (
	delivered = iota
	attemptFailed
	// mustDeactivate: the message cannot be delivered by any retry (no
	// endpoint, no reply sequence); MI deactivates the processor.
	mustDeactivate
)

// failure records fe on the attempt's message (ERROR_* and FAIL_INFO) and
// returns a failed outcome.
func failure(c *engine.Context, fe *fault.Error, path, endpoint string) outcome {
	fe.WithPath(path)
	c.Msg.SetFault(fe)
	fi := ""
	if n := c.Msg.FailInfo(); n != nil {
		fi = n.String()
	}
	return outcome{kind: attemptFailed, c: c, fault: fe, failInfo: fi, endpoint: endpoint}
}

func deactivation(c *engine.Context, reason string) outcome {
	return outcome{kind: mustDeactivate, c: c, fault: fault.New(fault.DefaultError, reason)}
}

// attemptFunc makes one attempt to deliver a stored message.
type attemptFunc func(ctx context.Context, sm *store.Message) outcome

// startDelivering starts the workers of a processor that takes one
// message at a time from its store and makes attempts on it until it is
// delivered or given up (the forwarding and failover processors).
func (p *base) startDelivering(r *redelivery, attempt attemptFunc) {
	p.start(func(ctx context.Context, w int) {
		p.loop(ctx, func(ctx context.Context) bool {
			d := p.fetch(ctx)
			if d == nil {
				return false
			}
			p.deliver(ctx, w, d, r, attempt)
			return true
		})
	})
}

// deliver retries one message until it is delivered, exhausts its
// attempts, or the processor stops or is deactivated (ForwardingService.
// dispatch). Each attempt starts from the stored message, so nothing one
// attempt changed leaks into the next. The lease is extended before each
// retry and every leaseKeepAlive while the message is held.
func (p *base) deliver(ctx context.Context, w int, d *store.Delivery, r *redelivery, attempt attemptFunc) {
	l := &lease{d: d}
	defer p.settle(l)
	defer p.setSlot(w, "", 0)
	defer p.keepLease(l)()
	sm := d.Message
	// The send is not cancelled by Stop: an attempt in flight completes,
	// so a message the backend took is acknowledged rather than resent.
	sendCtx := context.WithoutCancel(ctx)
	var history []failed.Attempt
	for n := 1; ; n++ {
		if !p.Active() {
			p.release(l)
			return
		}
		p.setSlot(w, sm.ID, n)
		o := attempt(sendCtx, sm)
		switch o.kind {
		case delivered:
			p.ack(l)
			p.state.delivered.Add(1)
			closeBody(o.c)
			p.log.Debug("message delivered", "msgId", sm.ID, "attempts", n, "endpoint", o.endpoint)
			return
		case mustDeactivate:
			closeBody(o.c)
			p.deactivateSelf(o.fault.Message, p.restoreWithFault(sm, o.fault))
			p.release(l)
			return
		}
		l.attempts = n
		history = appendAttempt(history, p.attemptOf(o.fault))
		p.state.failures.Add(1)
		p.state.noteError(o.fault.Error(), p.rt.Now())
		p.log.Warn("delivery attempt failed", "msgId", sm.ID, "attempt", n, "maxAttempts", r.maxAttempts, "code", o.fault.Code.String(), "error", o.fault.Message)
		p.runAside(r.faultSeq, o.c, "fault")
		closeBody(o.c)
		if r.maxAttempts > 0 && n >= r.maxAttempts {
			p.exhausted(l, r, o, history)
			return
		}
		if !p.sleep(ctx, r.retryInterval) || !p.Active() {
			// Stopped or deactivated: the message stays first in line.
			p.release(l)
			return
		}
		if err := l.touch(); err != nil {
			// Another consumer may own the message now; leave it alone.
			l.abandon()
			p.log.Warn("the lease on the message was lost; leaving it to the store", "msgId", sm.ID, "error", err)
			return
		}
	}
}

// leaseKeepAlive is how often a held message's lease is extended while
// an attempt or the wait before the next one lasts; stores' leases must
// outlive it comfortably.
const leaseKeepAlive = 10 * time.Second

// keepLease extends the lease in the background until the returned stop
// function is called (which waits for the goroutine to end), so a long
// attempt or a long wait between attempts does not lose the message to
// another consumer.
func (p *base) keepLease(l *lease) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(leaseKeepAlive)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := l.touch(); err != nil {
					p.log.Warn("extending the lease on a message failed", "msgId", l.d.Message.ID, "error", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

func closeBody(c *engine.Context) {
	if c != nil {
		_ = c.Msg.Body.Close()
	}
}

// maxHistory bounds the attempts kept for a message retried forever.
const maxHistory = 100

func appendAttempt(h []failed.Attempt, a failed.Attempt) []failed.Attempt {
	if len(h) == maxHistory {
		h = append(h[:0], h[1:]...)
	}
	return append(h, a)
}

// cause is the most specific fault: the transport's classification
// behind a blocking-sender 401002.
func cause(fe *fault.Error) *fault.Error {
	if n, _ := fe.Code.Int(); n == fault.BlockingSenderFailed && fe.Prev != nil {
		return fe.Prev
	}
	return fe
}

func (p *base) attemptOf(fe *fault.Error) failed.Attempt {
	c := cause(fe)
	return failed.Attempt{At: p.rt.Now().UTC(), Code: c.Code.String(), Message: c.Message}
}

// restoreWithFault is the stored message with the error properties of
// its last failure, for the deactivate sequence.
func (p *base) restoreWithFault(sm *store.Message, fe *fault.Error) *message.Message {
	m := store.Restore(sm)
	m.SetFault(fe)
	return m
}

// exhausted applies MI's order once a message used all its attempts:
// drop (only with max.delivery.drop=Enabled), else move it to the
// failMessagesStore, else (Busbar) record it in the failed-message store
// and remove it from the store once the record is committed. When the
// chosen place cannot take it, or there is no failed-message store, the
// processor deactivates and the message stays first in its store: it is
// never dropped unless the configuration says so.
func (p *base) exhausted(l *lease, r *redelivery, o outcome, history []failed.Attempt) {
	sm := l.d.Message
	n := l.attempts
	ctx, cancel := context.WithTimeout(context.Background(), storeOpTimeout)
	defer cancel()
	switch {
	case r.drop:
		p.ack(l)
		p.state.dropped.Add(1)
		p.log.Warn("message dropped after its last attempt (max.delivery.drop=Enabled)", "msgId", sm.ID, "attempts", n)
		return
	case r.failStore != nil:
		cp := cloneStored(sm)
		cp.Attempts = 0
		if err := r.failStore.Put(ctx, cp); err != nil {
			p.keep(l, o, fmt.Sprintf("message %s failed %d times and could not be moved to the store %s (message.processor.failMessagesStore): %v", sm.ID, n, r.failStore.Name(), err))
			return
		}
		p.ack(l)
		p.state.moved.Add(1)
		p.log.Warn("message moved to the fail-messages store after its last attempt", "msgId", sm.ID, "attempts", n, "failMessagesStore", r.failStore.Name())
		return
	}
	db := failed.From(p.rt)
	if db == nil {
		p.keep(l, o, fmt.Sprintf("message %s failed %d times and there is no failed-message store to keep it", sm.ID, n))
		return
	}
	rec := p.processorRecord(sm, o, history, n)
	if err := db.Record(ctx, rec); err != nil {
		p.keep(l, o, fmt.Sprintf("message %s failed %d times and could not be recorded in the failed-message store: %v", sm.ID, n, err))
		return
	}
	p.ack(l)
	p.state.recorded.Add(1)
	p.log.Warn("message recorded in the failed-message store after its last attempt; resubmit it from there", "msgId", sm.ID, "attempts", n, "code", rec.Code, "error", rec.Error)
}

// keep deactivates the processor and leaves the message first in its store.
func (p *base) keep(l *lease, o outcome, reason string) {
	p.deactivateSelf(reason, p.restoreWithFault(l.d.Message, o.fault))
	p.release(l)
}

// processorRecord describes an exhausted delivery for the failed-message
// store; its ID is the message ID, so a resubmitted message that fails
// again adds its attempts to the same record.
func (p *base) processorRecord(sm *store.Message, o outcome, history []failed.Attempt, n int) *failed.Record {
	cp := cloneStored(sm)
	cp.Attempts = n
	c := cause(o.fault)
	return &failed.Record{
		ID: sm.ID, Message: cp, Artifact: p.name, Endpoint: o.endpoint,
		Step: failed.StepProcessor, Processor: p.name, Store: p.storeName,
		Code: c.Code.String(), Error: c.Message, Detail: c.Detail, FailInfo: o.failInfo,
		LastFailed: p.rt.Now().UTC(), Attempts: history,
	}
}

// Resubmit puts a failed message back at the step where it failed
// (failed.Resubmitter). A processor record goes back into this
// processor's store with the same message ID, so that if it fails again
// its attempts are added to the same record; it is delivered when its
// turn comes (after the messages already waiting), whether or not the
// processor is active now. A sequence record is injected into its
// sequence again in the background and, if it fails unhandled again,
// recorded again. Resubmit does not change the record: the caller marks
// it resubmitted before calling, so that a quick new failure, which sets
// the status back to failed, is not overwritten.
func (p *base) Resubmit(ctx context.Context, r *failed.Record) error {
	if r == nil || r.Message == nil {
		return errors.New("the failed-message record holds no message")
	}
	sm := cloneStored(r.Message)
	sm.ID = r.ID
	sm.Attempts = 0
	switch r.Step {
	case failed.StepProcessor:
		if err := p.st.Put(ctx, sm); err != nil {
			return fmt.Errorf("putting message %s back into the store %s: %w", r.ID, p.storeName, err)
		}
		p.log.Info("failed message resubmitted to the store", "msgId", r.ID, "store", p.storeName)
		return nil
	case failed.StepSequence:
		seq := p.g.Sequence(r.Sequence)
		if seq == nil {
			return fmt.Errorf("the sequence %q of failed message %s does not exist in the running configuration", r.Sequence, r.ID)
		}
		p.log.Info("failed message resubmitted to its sequence", "msgId", r.ID, "sequence", r.Sequence)
		return p.goBackground(func() { p.inject(sm, seq) })
	}
	return fmt.Errorf("failed message %s was recorded at step %q, which a message processor cannot resubmit", r.ID, r.Step)
}

// inject mediates a stored message through a sequence, as MI's sampling
// processor does, on a context nobody answers. A fault that no handler of
// the flow answers (the sequence's onError, nested ones) is the unhandled
// failure of an asynchronous flow: it is recorded in the failed-message
// store (DESIGN §4). Without one it is logged and the message is lost:
// the sampling processor delivers at most once, as in MI.
func (p *base) inject(sm *store.Message, seq *engine.Sequence) {
	m := store.Restore(sm)
	c := p.newContext(context.Background(), m)
	unhandled := false
	// The bottom handler runs only when every handler above it is gone
	// or failed too.
	bottom := &engine.Sequence{Name: "unhandled", Path: p.path + "/unhandled", Steps: []engine.Step{{
		M: engine.MediatorFunc(func(*engine.Context) (bool, error) {
			unhandled = true
			return true, nil
		}),
		Info: &engine.Info{Name: "unhandled", Path: p.path + "/unhandled"},
	}}}
	c.PushHandler(bottom)
	func() {
		defer func() {
			if r := recover(); r != nil {
				fe := fault.Newf(fault.DefaultError, "internal error in Busbar: %v", r)
				p.log.Error("internal error while mediating; please report it", "panic", fmt.Sprint(r), "msgId", sm.ID)
				m.SetFault(fe)
				unhandled = true
			}
		}()
		if _, err := c.Run(seq); err != nil {
			c.HandleFault(err)
			// An endpoint timeout with responseAction discard skips
			// every handler: nobody answered it either.
			if f := c.X.Fault(); f != nil && f.SkipHandlers {
				unhandled = true
			}
		}
	}()
	_ = m.Body.Close()
	if !unhandled {
		p.state.injected.Add(1)
		return
	}
	p.recordUnhandled(sm, seq, m)
}

// recordUnhandled keeps a message whose flow failed with no handler left.
func (p *base) recordUnhandled(sm *store.Message, seq *engine.Sequence, m *message.Message) {
	fe := m.Fault
	if fe == nil {
		fe = fault.New(fault.DefaultError, "the flow failed")
	}
	p.state.failures.Add(1)
	p.state.noteError(fe.Error(), p.rt.Now())
	db := failed.From(p.rt)
	if db == nil {
		p.state.lost.Add(1)
		p.log.Error("a fault in the sequence was not handled and there is no failed-message store: the message is lost (the sampling processor delivers at most once, as MI)",
			"msgId", sm.ID, "sequence", seqName(seq), "code", fe.Code.String(), "error", fe.Message)
		return
	}
	fi := ""
	if n := m.FailInfo(); n != nil {
		fi = n.String()
	}
	rec := &failed.Record{
		ID: sm.ID, Message: cloneStored(sm), Artifact: seqName(seq),
		Step: failed.StepSequence, Processor: p.name, Store: p.storeName, Sequence: seqName(seq),
		Code: fe.Code.String(), Error: fe.Message, Detail: fe.Detail, FailInfo: fi,
		LastFailed: p.rt.Now().UTC(), Attempts: []failed.Attempt{p.attemptOf(fe)},
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeOpTimeout)
	defer cancel()
	if err := db.Record(ctx, rec); err != nil {
		p.state.lost.Add(1)
		p.log.Error("recording a failed message failed: the message is lost", "msgId", sm.ID, "sequence", seqName(seq), "error", err)
		return
	}
	p.state.recorded.Add(1)
	p.log.Warn("a fault in the sequence was not handled; the message is recorded in the failed-message store", "msgId", sm.ID, "sequence", seqName(seq), "code", fe.Code.String(), "error", fe.Message)
}
