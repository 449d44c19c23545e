package stores

// The NATS client is github.com/nats-io/nats.go and its jetstream package,
// maintained by the NATS team (the official Go client).

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

// JetStreamClass is the <messageStore class> of Busbar's NATS JetStream
// store.
const JetStreamClass = "busbar.JetStreamStore"

// Parameters of the JetStream store.
const (
	natsURLParam           = "busbar.nats.url"
	natsStreamParam        = "busbar.nats.stream"
	natsSubjectParam       = "busbar.nats.subject"
	natsConsumerParam      = "busbar.nats.consumer"
	natsAckWaitParam       = "busbar.nats.ackWait"
	natsReplicasParam      = "busbar.nats.replicas"
	natsMaxAckPendingParam = "busbar.nats.maxAckPending"
)

// Defaults of the JetStream store.
const (
	natsDefaultURL           = "nats://127.0.0.1:4222"
	natsDefaultAckWait       = 60 * time.Second
	natsDefaultMaxAckPending = 1000
	// natsSettleTimeout bounds the naks Close sends for held messages.
	natsSettleTimeout = 2 * time.Second
	// natsRequestTimeout bounds a request whose context has no deadline.
	natsRequestTimeout = 30 * time.Second
)

func init() {
	registry.RegisterStore(registry.Spec{
		Element: "jetstream",
		Aliases: []string{JetStreamClass},
		Summary: "Busbar's NATS JetStream store: messages are kept in a durable JetStream stream (file storage, work-queue retention) and taken through a durable pull consumer shared by every Busbar node configured with the same stream.",
		Doc: "The store connects on first use, not when the configuration is loaded (validate never connects), and the " +
			"client reconnects by itself for as long as the store is open. On connecting it makes sure the stream " +
			"exists (created with file storage, work-queue retention and the discard-new policy if it does not; an " +
			"existing stream must have file storage and work-queue retention) and creates or updates the durable " +
			"consumer (explicit acknowledgement, no delivery limit, filtered on the store's subject).\n\n" +
			"Storing: a Put publishes to the subject and returns once JetStream acknowledged it (a PubAck: the " +
			"message is in the stream's file store, and on a quorum of replicas when busbar.nats.replicas > 1). NATS " +
			"writes through the operating system's cache and syncs to disk periodically (every minute or two by " +
			"default), so an acknowledged message survives the NATS server crashing but, with one replica, not the " +
			"machine losing power before the next sync: use 3 replicas, or (NATS 2.10 and later) the server's " +
			"sync_interval: always, where that matters. While the connection is down a Put fails at once (the client gets an answer), and " +
			"one in flight when the connection drops fails then, never waiting for its deadline. A message larger than " +
			"the server's max_payload (1 MB by default) is refused with an error.\n\n" +
			"Consuming: a processor fetches one message at a time from the consumer (waiting up to its poll time " +
			"for one to arrive). The message is leased for busbar.nats.ackWait: a processor that keeps retrying it " +
			"renews the lease (JetStream's in-progress acknowledgement), and a node that dies without " +
			"acknowledging it lets it go when the lease runs out, to be delivered again, first. Acknowledging " +
			"waits for JetStream's confirmation (the message is then removed from the stream); releasing it is a " +
			"negative acknowledgement, also confirmed, after which JetStream delivers it before any message not yet " +
			"delivered. Closing the store (Busbar stopping, or a reload changing the store) releases the messages " +
			"it holds, so another node takes them at once. The stored attempt count is not updated on release " +
			"(messages in a stream cannot be changed). The store's size is the consumer's undelivered plus " +
			"unacknowledged messages, across all nodes.\n\n" +
			"Ordering: messages are delivered in the order they were stored; a released or expired message comes " +
			"back before the rest. With busbar.nats.maxAckPending above 1, several messages can be held at once (by " +
			"several processors or nodes), so a message may be delivered while an earlier one is being retried; " +
			"busbar.nats.maxAckPending=1 makes the whole queue strictly ordered (one message held at a time " +
			"across all nodes, as MI's single in-memory consumer), at the cost of throughput.",
		Attrs: []registry.Attr{
			{Name: natsURLParam, Default: natsDefaultURL, Doc: "NATS server URL (nats:// or tls://); a comma-separated list names several servers of one cluster. User and password may be given in the URL."},
			{Name: natsStreamParam, Doc: "Stream holding the messages. Default: BUSBAR_ and the store's name, with every character other than letters, digits, _ and - replaced by _."},
			{Name: natsSubjectParam, Doc: "Subject the messages are published to; no wildcards. Default: busbar.store. and the store's name, sanitised as for the stream."},
			{Name: natsConsumerParam, Doc: "Durable consumer name; nodes that share the work use the same one. Default: busbar_ and the store's name, sanitised."},
			{Name: natsAckWaitParam, Type: "duration", Default: "60s", Doc: "Lease length: how long a fetched message stays held without an acknowledgement or renewal before it is delivered again. A Go duration (30s, 2m) or milliseconds; below 20s is warned about, since processors renew leases every 10s."},
			{Name: natsReplicasParam, Type: "int", Default: "1", Doc: "Stream replicas (1-5), when the stream is created; needs a JetStream cluster above 1."},
			{Name: natsMaxAckPendingParam, Type: "int", Default: strconv.Itoa(natsDefaultMaxAckPending), Doc: "Most messages held (fetched, not yet acknowledged) at once across all nodes; 1 for strict order, -1 for no limit."},
		},
		Examples: []registry.Example{{
			Title: "A stream shared by every Busbar node",
			Config: `<messageStore name="orders" class="` + JetStreamClass + `" xmlns="http://ws.apache.org/ns/synapse">
    <parameter name="busbar.nats.url">nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222</parameter>
    <parameter name="busbar.nats.stream">ORDERS</parameter>
    <parameter name="busbar.nats.subject">orders.stored</parameter>
    <parameter name="busbar.nats.consumer">busbar-orders</parameter>
    <parameter name="busbar.nats.ackWait">2m</parameter>
    <parameter name="busbar.nats.replicas">3</parameter>
</messageStore>`,
		}},
	}, newJetStreamStore)
}

// newJetStreamStore is the registry factory: it checks the parameters,
// reporting each error at its <parameter>, and does not connect.
func newJetStreamStore(b registry.Builder, def *config.MessageStore, cfg store.Config) (store.Store, error) {
	s, err := NewJetStream(cfg)
	if err != nil {
		reportParamError(b, def, err)
		return nil, nil
	}
	if s.c.ackWait < 2*processorLeaseRenewal {
		pos := def.Pos
		for _, p := range def.Params {
			if p.Name == natsAckWaitParam {
				pos = p.Pos
			}
		}
		b.Warnf(pos, "message store %s: %s %v is short: processors renew a lease every %v, so a message a live processor holds may be handed to another one", def.Name, natsAckWaitParam, s.c.ackWait, processorLeaseRenewal)
	}
	return s, nil
}

// processorLeaseRenewal is how often a message processor renews the lease
// on a message it keeps retrying (internal/processor's leaseKeepAlive).
const processorLeaseRenewal = 10 * time.Second

// jsConfig is a JetStream store's checked parameters.
type jsConfig struct {
	url           string
	stream        string
	subject       string
	consumer      string
	ackWait       time.Duration
	replicas      int
	maxAckPending int
}

// natsName makes s usable as a stream, consumer or subject token: every
// character but ASCII letters, digits, _ and - becomes _.
func natsName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-') {
			return r
		}
		return '_'
	}, s)
}

// badNatsName says why name cannot name a stream or consumer ("" if it can).
func badNatsName(name string) string {
	if name == "" {
		return "is empty"
	}
	for _, r := range name {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || strings.ContainsRune(".*>/\\", r) {
			return fmt.Sprintf("contains %q (no whitespace, '.', '*', '>', '/' or '\\')", r)
		}
	}
	return ""
}

func parseJetStreamConfig(cfg store.Config) (jsConfig, error) {
	base := natsName(cfg.Name)
	c := jsConfig{
		url:      strings.TrimSpace(cfg.Param(natsURLParam, natsDefaultURL)),
		stream:   strings.TrimSpace(cfg.Param(natsStreamParam, "BUSBAR_"+base)),
		subject:  strings.TrimSpace(cfg.Param(natsSubjectParam, "busbar.store."+base)),
		consumer: strings.TrimSpace(cfg.Param(natsConsumerParam, "busbar_"+base)),
	}
	for u := range strings.SplitSeq(c.url, ",") {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || p.Host == "" || (p.Scheme != "nats" && p.Scheme != "tls") {
			return c, &paramError{natsURLParam, fmt.Sprintf("%q is not a nats:// or tls:// URL", strings.TrimSpace(u))}
		}
	}
	if why := badNatsName(c.stream); why != "" {
		return c, &paramError{natsStreamParam, fmt.Sprintf("stream name %q %s", c.stream, why)}
	}
	if why := badNatsName(c.consumer); why != "" {
		return c, &paramError{natsConsumerParam, fmt.Sprintf("consumer name %q %s", c.consumer, why)}
	}
	for tok := range strings.SplitSeq(c.subject, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.IndexFunc(tok, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
			return c, &paramError{natsSubjectParam, fmt.Sprintf("subject %q must be dot-separated non-empty tokens without spaces or wildcards", c.subject)}
		}
	}

	c.ackWait = natsDefaultAckWait
	if v := strings.TrimSpace(cfg.Param(natsAckWaitParam, "")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			ms, merr := strconv.ParseInt(v, 10, 64)
			d, err = time.Duration(ms)*time.Millisecond, merr
		}
		if err != nil || d <= 0 {
			return c, &paramError{natsAckWaitParam, fmt.Sprintf("%q must be a positive duration (30s, 2m) or milliseconds", v)}
		}
		c.ackWait = d
	}
	var err error
	if c.replicas, err = intParam(cfg, natsReplicasParam, 1, 1); err != nil {
		return c, err
	}
	if c.replicas > 5 {
		return c, &paramError{natsReplicasParam, fmt.Sprintf("%d replicas: JetStream allows at most 5", c.replicas)}
	}
	if c.maxAckPending, err = intParam(cfg, natsMaxAckPendingParam, natsDefaultMaxAckPending, -1); err != nil {
		return c, err
	}
	if c.maxAckPending == 0 {
		return c, &paramError{natsMaxAckPendingParam, "0 would hold nothing: give 1 or more, or -1 for no limit"}
	}
	return c, nil
}

// JetStream is the NATS JetStream store: one NATS connection, opened on
// first use and reconnected by the client for as long as the store is
// open, and a durable pull consumer shared by every node using the same
// stream and consumer names.
//
// Leases are JetStream's: a fetched message is pending on the consumer
// until it is acknowledged, negatively acknowledged (released), or its
// ackWait passes without a renewal, so leases are exclusive across nodes
// and a dead node's leases expire. Redeliveries, whether released or
// expired, go before any message not yet delivered.
type JetStream struct {
	name string
	c    jsConfig

	closed atomic.Bool
	done   chan struct{}
	// connecting is a one-slot semaphore held while connecting or setting
	// up the stream and consumer.
	connecting chan struct{}

	mu   sync.Mutex // guards the fields below
	nc   *nats.Conn
	js   jetstream.JetStream
	cons jetstream.Consumer // nil until the stream and consumer are set up
	// lost is closed when the connection drops and replaced when it is
	// back, so that operations in flight fail at once.
	lost   chan struct{}
	leases map[*jsLease]struct{}
}

var _ store.Store = (*JetStream)(nil)

// NewJetStream checks cfg's parameters and returns the store, unconnected.
// A parameter error is reported with the parameter's name.
func NewJetStream(cfg store.Config) (*JetStream, error) {
	c, err := parseJetStreamConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &JetStream{name: cfg.Name, c: c, done: make(chan struct{}), connecting: make(chan struct{}, 1),
		lost: make(chan struct{}), leases: map[*jsLease]struct{}{}}, nil
}

// Name is the store's name.
func (s *JetStream) Name() string { return s.name }

// Kind is "jetstream".
func (s *JetStream) Kind() string { return "jetstream" }

// Stream is the JetStream stream holding the store's messages.
func (s *JetStream) Stream() string { return s.c.stream }

func (s *JetStream) errorf(format string, args ...any) error {
	return fmt.Errorf("message store %s (JetStream stream %s): %w", s.name, s.c.stream, fmt.Errorf(format, args...))
}

var errNATSDown = errors.New("not connected to NATS (the client keeps reconnecting)")

// ready returns the connection's JetStream context and the consumer,
// connecting and setting up the stream and consumer on first use (and
// again after the stream or consumer was found missing).
func (s *JetStream) ready(ctx context.Context) (jetstream.JetStream, jetstream.Consumer, error) {
	if js, cons, err := s.current(); js != nil || err != nil {
		return js, cons, err
	}
	select {
	case s.connecting <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case <-s.done:
		return nil, nil, store.ErrClosed
	}
	defer func() { <-s.connecting }()
	if js, cons, err := s.current(); js != nil || err != nil {
		return js, cons, err
	}
	s.mu.Lock()
	nc, js := s.nc, s.js
	s.mu.Unlock()
	if nc == nil {
		var err error
		if nc, err = s.dial(); err != nil {
			return nil, nil, s.errorf("connecting to NATS at %s: %w", s.c.url, err)
		}
		if js, err = jetstream.New(nc); err != nil {
			nc.Close()
			return nil, nil, s.errorf("%w", err)
		}
		s.mu.Lock()
		if s.closed.Load() {
			s.mu.Unlock()
			nc.Close()
			return nil, nil, store.ErrClosed
		}
		s.nc, s.js = nc, js
		s.mu.Unlock()
	}
	if nc.Status() != nats.CONNECTED {
		return nil, nil, s.errorf("%w", errNATSDown)
	}
	cons, err := s.setup(ctx, js)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	s.cons = cons
	s.mu.Unlock()
	return js, cons, nil
}

// current returns the set-up consumer, or an error when the store is
// closed or the connection is down (the client is reconnecting by then),
// or nothing when setup is still to be done.
func (s *JetStream) current() (jetstream.JetStream, jetstream.Consumer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed.Load():
		return nil, nil, store.ErrClosed
	case s.nc == nil:
		return nil, nil, nil
	case s.nc.IsClosed():
		// The client gave up (it does after the same authentication error
		// twice in a row): start again with a new connection.
		s.nc, s.js, s.cons = nil, nil, nil
		return nil, nil, nil
	case s.nc.Status() != nats.CONNECTED:
		return nil, nil, s.errorf("%w", errNATSDown)
	case s.cons == nil:
		return nil, nil, nil
	}
	return s.js, s.cons, nil
}

// dial connects. A server that is down does not fail it: the client keeps
// retrying in the background and operations fail until it is back.
func (s *JetStream) dial() (*nats.Conn, error) {
	return nats.Connect(s.c.url,
		nats.Name("busbar store "+s.name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		// No buffering while reconnecting: a publish then fails at once,
		// so a Put tells its client instead of waiting for its deadline.
		nats.ReconnectBufSize(-1),
		// Detect a silent server within about 30 s, not the default 4 min.
		nats.PingInterval(10*time.Second),
		nats.MaxPingsOutstanding(3),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { s.setLost(true) }),
		nats.ReconnectHandler(func(*nats.Conn) { s.setLost(false) }),
		nats.ConnectHandler(func(*nats.Conn) { s.setLost(false) }),
	)
}

// setLost closes the lost channel on a disconnect and replaces it once
// the connection is back.
func (s *JetStream) setLost(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.lost:
		if !down {
			s.lost = make(chan struct{})
		}
	default:
		if down {
			close(s.lost)
		}
	}
}

// opContext is ctx, cancelled as well if the connection drops: a request
// in flight then fails at once rather than at its deadline.
func (s *JetStream) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	s.mu.Lock()
	lost := s.lost
	s.mu.Unlock()
	octx, cancel := context.WithCancelCause(ctx)
	stop := make(chan struct{})
	go func() {
		select {
		case <-lost:
			cancel(errNATSDown)
		case <-stop:
		case <-octx.Done():
		}
	}()
	return octx, func() { close(stop); cancel(nil) }
}

// reqContext is opContext for one request and its reply, bounded by
// natsRequestTimeout when ctx has no deadline: the server always answers,
// but a reply lost with its connection must not be waited for forever.
func (s *JetStream) reqContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return s.opContext(ctx)
	}
	tctx, tcancel := context.WithTimeout(ctx, natsRequestTimeout)
	octx, cancel := s.opContext(tctx)
	return octx, func() { cancel(); tcancel() }
}

// opErr is the error of an operation run under opContext: the lost
// connection, if that is what ended it.
func opErr(octx context.Context, err error) error {
	if c := context.Cause(octx); errors.Is(c, errNATSDown) {
		return c
	}
	return err
}

// setup makes sure the stream and the durable consumer exist.
func (s *JetStream) setup(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	st, err := js.Stream(ctx, s.c.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        s.c.stream,
			Description: "Busbar message store " + s.name,
			Subjects:    []string{s.c.subject},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			// Should an operator set limits, a full stream refuses new
			// messages (the Put fails) rather than dropping stored ones.
			Discard:  jetstream.DiscardNew,
			Replicas: s.c.replicas,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = js.Stream(ctx, s.c.stream) // another node created it first
		}
	}
	if err != nil {
		return nil, s.errorf("setting up the stream: %w", err)
	}
	info := st.CachedInfo()
	if info.Config.Retention != jetstream.WorkQueuePolicy {
		return nil, s.errorf("the stream exists with %s retention; the store needs work-queue retention (acknowledged messages removed)", info.Config.Retention)
	}
	if info.Config.Storage != jetstream.FileStorage {
		return nil, s.errorf("the stream exists with %s storage; a durable store needs file storage", info.Config.Storage)
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       s.c.consumer,
		Description:   "Busbar message store " + s.name,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.c.ackWait,
		// Never give up on a message: a processor decides when one has
		// failed for good and moves it to the failed-message store.
		MaxDeliver:    -1,
		MaxAckPending: s.c.maxAckPending,
		FilterSubject: s.c.subject,
	})
	if err != nil {
		return nil, s.errorf("setting up consumer %s: %w", s.c.consumer, err)
	}
	return cons, nil
}

// forget drops the set-up consumer when the server says the stream or
// consumer is gone, so the next operation sets them up again.
func (s *JetStream) forget(err error) {
	if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) {
		s.mu.Lock()
		s.cons = nil
		s.mu.Unlock()
	}
}

// Put publishes the message and returns once JetStream acknowledged it.
func (s *JetStream) Put(ctx context.Context, m *store.Message) error {
	body, err := store.Encode(m)
	if err != nil {
		return err
	}
	js, _, err := s.ready(ctx)
	if err != nil {
		return err
	}
	octx, done := s.reqContext(ctx)
	defer done()
	if _, err := js.Publish(octx, s.c.subject, body, jetstream.WithExpectStream(s.c.stream)); err != nil {
		err = opErr(octx, err)
		s.forget(err)
		return s.errorf("storing message %s (JetStream did not acknowledge it; it may or may not be stored): %w", m.ID, err)
	}
	return nil
}

// Next fetches one message, waiting up to wait for one to arrive.
func (s *JetStream) Next(ctx context.Context, wait time.Duration) (*store.Delivery, error) {
	_, cons, err := s.ready(ctx)
	if err != nil {
		return nil, err
	}
	octx, done := s.opContext(ctx)
	defer done()
	var batch jetstream.MessageBatch
	if wait <= 0 {
		batch, err = cons.FetchNoWait(1)
	} else {
		// The client sets the pull request's expiry a little inside the
		// context's deadline, so the server ends the request before the
		// client stops listening: no message is sent to a request nobody
		// reads (it would stay held until its ackWait ran out).
		fctx, cancel := context.WithTimeout(octx, wait)
		defer cancel()
		batch, err = cons.Fetch(1, jetstream.FetchContext(fctx))
	}
	if err != nil {
		err = opErr(octx, err)
		s.forget(err)
		return nil, s.errorf("fetching: %w", err)
	}
	var msg jetstream.Msg
	for m := range batch.Messages() {
		msg = m
	}
	if msg == nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := opErr(octx, batch.Error()); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			s.forget(err)
			return nil, s.errorf("fetching: %w", err)
		}
		return nil, nil
	}
	l := &jsLease{s: s, msg: msg}
	if err := ctx.Err(); err != nil {
		l.giveBack()
		return nil, err
	}
	m, err := store.Decode(msg.Data())
	if err != nil {
		l.giveBack()
		return nil, s.errorf("stream message %s is not a Busbar message; it was put back and is delivered again until removed: %w", msg.Reply(), err)
	}
	s.mu.Lock()
	closed := s.closed.Load()
	if !closed {
		s.leases[l] = struct{}{}
	}
	s.mu.Unlock()
	if closed {
		l.giveBack()
		return nil, store.ErrClosed
	}
	return &store.Delivery{Message: m, Ops: l}, nil
}

// Size is the consumer's undelivered messages plus those delivered and not
// yet acknowledged (held, released or expired), on every node.
func (s *JetStream) Size(ctx context.Context) (int64, error) {
	_, cons, err := s.ready(ctx)
	if err != nil {
		return 0, err
	}
	octx, done := s.reqContext(ctx)
	defer done()
	info, err := cons.Info(octx)
	if err != nil {
		err = opErr(octx, err)
		s.forget(err)
		return 0, s.errorf("reading the consumer's state: %w", err)
	}
	return int64(info.NumPending) + int64(info.NumAckPending), nil
}

// Close releases the messages this store holds, so that another node gets
// them now rather than when their ackWait runs out, and closes the
// connection.
func (s *JetStream) Close() error {
	s.mu.Lock()
	if s.closed.Swap(true) {
		s.mu.Unlock()
		return nil
	}
	close(s.done)
	nc := s.nc
	held := make([]*jsLease, 0, len(s.leases))
	for l := range s.leases {
		held = append(held, l)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, l := range held {
		wg.Go(l.giveBack)
	}
	wg.Wait()
	if nc != nil {
		nc.Close()
	}
	return nil
}

// jsLease is a fetched message.
type jsLease struct {
	s       *JetStream
	msg     jetstream.Msg
	settled atomic.Bool
}

func (l *jsLease) settle() bool {
	if l.settled.Swap(true) {
		return false
	}
	l.s.mu.Lock()
	delete(l.s.leases, l)
	l.s.mu.Unlock()
	return true
}

// ackRequest sends an acknowledgement of kind (-NAK, +WPI) as a request:
// JetStream answers once it has processed it. Negative and in-progress
// acknowledgements are otherwise fire-and-forget, and a fetch sent right
// after an unconfirmed nak could be served before the nak, handing out
// the next message ahead of the released one.
func (l *jsLease) ackRequest(ctx context.Context, kind string) error {
	l.s.mu.Lock()
	nc := l.s.nc
	l.s.mu.Unlock()
	if nc == nil || nc.Status() != nats.CONNECTED {
		return errNATSDown
	}
	octx, done := l.s.reqContext(ctx)
	defer done()
	_, err := nc.RequestWithContext(octx, l.msg.Reply(), []byte(kind))
	return opErr(octx, err)
}

// giveBack releases the message within natsSettleTimeout, for a caller
// that cannot take it; if that fails, its ackWait returns it.
func (l *jsLease) giveBack() {
	if !l.settle() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), natsSettleTimeout)
	defer cancel()
	_ = l.ackRequest(ctx, "-NAK")
}

// Ack acknowledges the message and waits for JetStream to confirm it.
func (l *jsLease) Ack(ctx context.Context) error {
	if !l.settle() {
		return errSettled
	}
	octx, done := l.s.reqContext(ctx)
	defer done()
	if err := l.msg.DoubleAck(octx); err != nil {
		return l.s.errorf("acknowledging (unconfirmed: the message may be delivered again): %w", opErr(octx, err))
	}
	return nil
}

// Release gives the message back, first in line: a confirmed negative
// acknowledgement. attempts is not recorded (a stream message cannot be
// changed).
func (l *jsLease) Release(ctx context.Context, _ int) error {
	if !l.settle() {
		return errSettled
	}
	if err := l.ackRequest(ctx, "-NAK"); err != nil {
		return l.s.errorf("releasing (the message is delivered again when its lease runs out): %w", err)
	}
	return nil
}

// Touch renews the lease for another ackWait (an in-progress
// acknowledgement).
func (l *jsLease) Touch(ctx context.Context) error {
	if l.settled.Load() {
		return errSettled
	}
	if err := l.ackRequest(ctx, "+WPI"); err != nil {
		return l.s.errorf("renewing the lease: %w", err)
	}
	return nil
}
