package processor

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"sync"
	"time"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

// MI's names for the processor kinds, as its management API reports them
// (synapse-semantics §8.3).
const (
	TypeForwarding = "Scheduled-message-forwarding-processor"
	TypeFailover   = "Failover-scheduled-message-forwarding-processor"
	TypeSampling   = "Sampling-processor"
)

// Managed is what the management API uses of every message processor:
// MI's view (name, type, store, state, parameters, configuration), the
// activate and deactivate operations, Busbar's live status, and
// resubmission of the failed messages it recorded.
type Managed interface {
	engine.Processor
	// Type is MI's kind name (TypeForwarding, TypeFailover, TypeSampling).
	Type() string
	StoreName() string
	Active() bool
	Activate()
	Deactivate()
	// Parameters are the <parameter>s as configured.
	Parameters() map[string]string
	// Configuration is the <messageProcessor> element as XML.
	Configuration() string
	// Status is a JSON-ready snapshot: state, counters, last error, the
	// messages being delivered and their attempts.
	Status() map[string]any
	failed.Resubmitter
}

// storeOpTimeout bounds one store operation (ack, release, put, record)
// so that a hung store cannot hold a processor, or its Stop, forever.
const storeOpTimeout = 30 * time.Second

// base is what every processor kind shares: identity, the store, the
// schedule, activation, the worker goroutines and their lifecycle.
type base struct {
	kind      string
	name      string
	path      string
	storeName string
	st        store.Store
	g         *engine.Graph
	rt        *engine.Runtime
	params    map[string]string
	xml       string
	log       *slog.Logger
	state     *state

	interval time.Duration
	cron     *Cron
	// drain makes a cron run take every available message (forwarding
	// kinds); the sampler takes one batch per run.
	drain         bool
	members       int
	storeAttempts int
	storeRetry    time.Duration
	deactivateSeq engine.SeqRef

	mu      sync.Mutex
	cancel  context.CancelFunc
	started bool
	stopped bool
	slots   []slot
	wg      sync.WaitGroup
}

// slot is what one worker is delivering, for Status.
type slot struct {
	id       string
	attempts int
	since    time.Time
}

// newBase reads what every kind shares. It returns nil when the
// processor cannot be built (the error is already reported).
func newBase(b registry.Builder, def *config.MessageProcessor, kind string, known []param) (*base, *params) {
	g := b.Graph()
	st := g.Stores[def.Store]
	if st == nil {
		// Compile or the loader has reported the missing store.
		return nil, nil
	}
	p := readParams(b, def, known)
	rt := b.Options().Runtime
	xml := compile.ToXMLTree(def.Elem).String()
	bs := &base{
		kind: kind, name: def.Name, path: def.Path, storeName: def.Store, st: st, g: g, rt: rt,
		params: config.ParamMap(def.Params), xml: xml, members: 1,
		log: loggerOf(rt).With("processor", def.Name),
	}
	bs.interval = p.millis(pInterval.name, time.Second, time.Millisecond)
	if expr := p.str(pCron.name); expr != "" {
		c, err := ParseCron(expr)
		if err != nil {
			b.Errorf(p.pos(pCron.name), "%v", err)
		}
		bs.cron = c
	}
	bs.storeAttempts = p.int(pStoreAttempts.name, -1, -1<<31)
	bs.storeRetry = p.millis(pStoreRetry.name, time.Second, 0)
	// The XML is the fingerprint: any change to the definition starts
	// from is.active again.
	bs.state = statesOf(rt).get(def.Name, xml, p.bool(pActive.name, true))
	return bs, p
}

// seqParam refers to the sequence a parameter names ("" when unset); a
// missing sequence is a warning, as for every sequence key.
func seqParam(b registry.Builder, p *params, name string) engine.SeqRef {
	if v := p.str(name); v != "" {
		return b.SequenceRef(v, p.pos(name))
	}
	return engine.SeqRef{}
}

// Name is the processor's name.
func (p *base) Name() string { return p.name }

// Type is MI's name of the processor kind.
func (p *base) Type() string { return p.kind }

// StoreName is the store the processor consumes.
func (p *base) StoreName() string { return p.storeName }

// Active reports whether the processor is consuming its store.
func (p *base) Active() bool { return p.state.active.Load() }

// Activate makes the processor consume its store again; a message left
// in the store by a deactivation is the first one it takes.
func (p *base) Activate() {
	if p.state.setActive(true, "activated") {
		p.log.Info("message processor activated")
	}
}

// Deactivate stops consuming: a message being retried is released to the
// store, first in line, and nothing more is fetched until Activate.
func (p *base) Deactivate() {
	if p.state.setActive(false, "deactivated by an operator") {
		p.log.Info("message processor deactivated")
	}
}

// Parameters returns the configured parameters.
func (p *base) Parameters() map[string]string { return maps.Clone(p.params) }

// Configuration returns the <messageProcessor> element as XML.
func (p *base) Configuration() string { return p.xml }

// start launches the workers; it does nothing on a started or stopped
// processor.
func (p *base) start(work func(ctx context.Context, worker int)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.stopped {
		return
	}
	p.started = true
	statesOf(p.rt).adopt(p.name, p.state)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.slots = make([]slot, p.members)
	for i := range p.members {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			work(ctx, i)
		}()
	}
	p.log.Info("message processor started", "type", p.kind, "store", p.storeName, "active", p.Active(), "members", p.members)
}

// Stop ends the workers and waits for them. A delivery attempt in flight
// completes (so a message the backend took is acknowledged, not sent
// again); a message waiting for its next attempt is released to the store.
func (p *base) Stop() {
	p.mu.Lock()
	p.stopped = true
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	p.wg.Wait()
}

// goBackground runs f on a goroutine Stop waits for; it refuses once the
// processor is stopped.
func (p *base) goBackground(f func()) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return fmt.Errorf("message processor %s is stopped (its configuration version was retired)", p.name)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
	return nil
}

// waitActive blocks until the processor is active; false means it stopped.
func (p *base) waitActive(ctx context.Context) bool {
	for {
		changed := p.state.changes()
		if p.Active() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		}
	}
}

// sleep waits d; false means the processor stopped. It returns early when
// the processor is or becomes inactive, so callers check it again.
func (p *base) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	changed := p.state.changes()
	// Checked after taking the channel, so a deactivation just before
	// cannot be missed.
	if !p.Active() {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-changed:
	}
	return true
}

// loop is one worker's schedule. With a cron expression each firing runs
// batch (repeatedly while it finds messages, sleeping interval between
// them, when drain is set). Otherwise batch runs every interval: from
// 1000 ms up at a fixed rate, as Quartz fires MI's task; below 1000 ms in
// MI's throttle mode, sleeping interval after each run.
func (p *base) loop(ctx context.Context, batch func(context.Context) bool) {
	for p.waitActive(ctx) {
		if p.cron != nil {
			if !p.cronRun(ctx, batch) {
				return
			}
			continue
		}
		start := time.Now()
		batch(ctx)
		wait := p.interval
		if wait >= time.Second {
			wait = time.Until(start.Add(wait))
		}
		if !p.sleep(ctx, wait) {
			return
		}
	}
}

// cronRun waits for the next firing and runs it; false means stop.
func (p *base) cronRun(ctx context.Context, batch func(context.Context) bool) bool {
	fire := p.cron.Next(time.Now())
	if fire.IsZero() {
		p.log.Warn("the cron expression never fires again; the processor stays idle", "cronExpression", p.cron.String())
		<-ctx.Done()
		return false
	}
	if !p.sleep(ctx, time.Until(fire)) {
		return false
	}
	if time.Now().Before(fire) || !p.Active() {
		// Woken by an activation change: the caller starts over.
		return true
	}
	for p.Active() && batch(ctx) && p.drain {
		if !p.sleep(ctx, p.interval) {
			return false
		}
	}
	return ctx.Err() == nil
}

// fetch leases the next message. A failing store is read again every
// store.connection.retry.interval; after max.store.connection.attempts
// consecutive failures the processor deactivates itself, as MI does on
// STORE_CONNECTION_ERROR. It returns nil when there is no message or the
// processor stopped or was deactivated.
func (p *base) fetch(ctx context.Context) *store.Delivery {
	for n := 1; ; n++ {
		d, err := p.st.Next(ctx, 0)
		if err == nil {
			return d
		}
		if ctx.Err() != nil {
			return nil
		}
		p.state.noteError(fmt.Sprintf("reading the message store %s: %v", p.storeName, err), p.rt.Now())
		p.log.Warn("reading the message store failed", "store", p.storeName, "attempt", n, "error", err)
		if p.storeAttempts > 0 && n >= p.storeAttempts {
			p.deactivateSelf(fmt.Sprintf("the message store %s failed %d times in a row (max.store.connection.attempts): %v", p.storeName, n, err), nil)
			return nil
		}
		if !p.sleep(ctx, p.storeRetry) || !p.Active() {
			return nil
		}
	}
}

// lease is a fetched message with what became of it, so a panic or a stop
// never leaves it neither acknowledged nor released. Its operations are
// serialised: the keep-alive may touch it while the worker settles it.
type lease struct {
	d        *store.Delivery
	mu       sync.Mutex
	settled  bool
	attempts int
}

// op runs a store operation on the lease unless it is settled already;
// settle marks the lease settled.
func (l *lease) op(settle bool, f func(context.Context) error) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.settled {
		return false, nil
	}
	l.settled = settle
	ctx, cancel := context.WithTimeout(context.Background(), storeOpTimeout)
	defer cancel()
	return true, f(ctx)
}

// abandon settles the lease without telling the store (it was lost).
func (l *lease) abandon() { l.op(true, func(context.Context) error { return nil }) }

// touch extends the lease.
func (l *lease) touch() error {
	_, err := l.op(false, l.d.Touch)
	return err
}

// ack removes a delivered (or deliberately dropped, moved or recorded)
// message from the store.
func (p *base) ack(l *lease) {
	if _, err := l.op(true, l.d.Ack); err != nil {
		p.log.Error("acknowledging the message failed; it stays in the store and may be delivered again", "msgId", l.d.Message.ID, "error", err)
	}
}

// release gives the message back to the store, first in line, with the
// attempts made so far.
func (p *base) release(l *lease) {
	release := func(ctx context.Context) error { return l.d.Release(ctx, l.attempts) }
	if _, err := l.op(true, release); err != nil {
		p.log.Error("releasing the message failed; the store hands it out again when the lease expires", "msgId", l.d.Message.ID, "error", err)
	}
}

// settle releases a message the processor could not finish with, and
// turns a panic (a bug) into a logged error and a deactivation, as MI
// deactivates on an unexpected Throwable.
func (p *base) settle(l *lease) {
	r := recover()
	if r != nil {
		p.log.Error("internal error while processing a message; please report it", "panic", fmt.Sprint(r), "msgId", l.d.Message.ID, "stack", string(debug.Stack()))
		p.deactivateSelf(fmt.Sprintf("internal error: %v", r), nil)
	}
	// Release does nothing on a lease already settled.
	p.release(l)
}

// deactivateSelf is a deactivation the processor decides (exhausted
// delivery, missing endpoint, unreachable store, internal error): the
// messages stay in the store and the deactivate sequence runs, with m or
// an empty message when there is none.
func (p *base) deactivateSelf(reason string, m *message.Message) {
	if !p.state.setActive(false, reason) {
		return
	}
	p.state.deactivated.Add(1)
	p.log.Error("message processor deactivated; its messages stay in the store until it is activated again", "reason", reason)
	if !p.deactivateSeq.IsSet() {
		return
	}
	if m == nil {
		m = message.New()
	}
	p.runAside(p.deactivateSeq, p.newContext(context.Background(), m), "deactivate")
}

// newContext prepares a message for mediation on the processor's graph.
// Nobody waits for an answer: the store mediator answered the client.
func (p *base) newContext(ctx context.Context, m *message.Message) *engine.Context {
	return engine.NewContext(ctx, p.g, m, &engine.Exchange{Responder: nobody{p.log}, Artifact: p.path}, p.log)
}

// runAside runs a reply, fault or deactivate sequence whose own failure
// changes nothing but a log line, as in MI.
func (p *base) runAside(ref engine.SeqRef, c *engine.Context, what string) {
	if !ref.IsSet() {
		return
	}
	seq, err := ref.Resolve(p.g)
	if err != nil {
		p.log.Warn("the "+what+" sequence does not exist", "sequence", ref.Key)
		return
	}
	if _, err := c.Run(seq); err != nil {
		p.log.Warn("the "+what+" sequence failed", "sequence", seqName(seq), "error", err)
	}
}

func seqName(s *engine.Sequence) string {
	if s.Name != "" {
		return s.Name
	}
	return s.Path
}

// nobody is the Responder of a processor's messages, whose client was
// answered when the message was stored; what a sequence sends back
// (respond, loopback) is discarded.
type nobody struct{ log *slog.Logger }

// Respond discards the answer.
func (n nobody) Respond(m *message.Message, status int) error {
	n.log.Debug("no client waits for a message processor's message; the answer is discarded", "msgId", m.ID, "status", status)
	return nil
}

// setSlot records what worker w is delivering ("" when idle).
func (p *base) setSlot(w int, id string, attempts int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w >= len(p.slots) {
		return
	}
	s := &p.slots[w]
	if id != s.id {
		s.since = p.rt.Now()
	}
	s.id, s.attempts = id, attempts
}

// status is the snapshot every kind starts from.
func (p *base) status() map[string]any {
	st := p.state
	lastErr, lastAt, reason := st.snapshot()
	status := "inactive"
	if p.Active() {
		status = "active"
	}
	out := map[string]any{
		"name": p.name, "type": p.kind, "messageStore": p.storeName, "status": status, "active": p.Active(),
		"memberCount": p.members, "delivered": st.delivered.Load(), "failedAttempts": st.failures.Load(),
		"dropped": st.dropped.Load(), "movedToFailStore": st.moved.Load(), "recordedAsFailed": st.recorded.Load(),
		"lost": st.lost.Load(), "deactivations": st.deactivated.Load(),
	}
	if lastErr != "" {
		out["lastError"], out["lastErrorAt"] = lastErr, lastAt
	}
	if reason != "" {
		out["lastStateChange"] = reason
	}
	if p.cron != nil {
		out["cronExpression"] = p.cron.String()
		out["nextRun"] = p.cron.Next(time.Now())
	} else {
		out["interval"] = p.interval.Milliseconds()
	}
	inFlight := []map[string]any{}
	p.mu.Lock()
	for _, s := range p.slots {
		if s.id != "" {
			inFlight = append(inFlight, map[string]any{"messageId": s.id, "attempts": s.attempts, "since": s.since})
		}
	}
	p.mu.Unlock()
	out["inFlight"] = inFlight
	if len(inFlight) > 0 {
		out["currentMessage"], out["attempts"] = inFlight[0]["messageId"], inFlight[0]["attempts"]
	}
	return out
}

// cloneStored copies a stored message, so a store never shares a message
// (and its body) with another store or a failed-message record.
func cloneStored(sm *store.Message) *store.Message {
	cp := *sm
	cp.Header = sm.Header.Clone()
	cp.Props = maps.Clone(sm.Props)
	cp.Axis2 = maps.Clone(sm.Axis2)
	cp.Operation = maps.Clone(sm.Operation)
	cp.Body = append([]byte(nil), sm.Body...)
	return &cp
}
