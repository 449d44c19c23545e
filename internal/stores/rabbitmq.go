package stores

// The RabbitMQ client is github.com/rabbitmq/amqp091-go, the AMQP 0-9-1
// client maintained by the RabbitMQ team (the official Go client).

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

// RabbitMQClass is MI's RabbitMQ store class.
const RabbitMQClass = "org.apache.synapse.message.store.impl.rabbitmq.RabbitMQStore"

// MI's parameter names for the RabbitMQ store.
const (
	rmqHostParam          = "store.rabbitmq.host.name"
	rmqPortParam          = "store.rabbitmq.host.port"
	rmqUserParam          = "store.rabbitmq.username"
	rmqPasswordParam      = "store.rabbitmq.password"
	rmqVhostParam         = "store.rabbitmq.virtual.host"
	rmqQueueParam         = "store.rabbitmq.queue.name"
	rmqRouteKeyParam      = "store.rabbitmq.route.key"
	rmqExchangeParam      = "store.rabbitmq.exchange.name"
	rmqRetryIntervalParam = "rabbitmq.connection.retry.interval"
	rmqRetryCountParam    = "rabbitmq.connection.retry.count"
	rmqSSLParam           = "rabbitmq.connection.ssl.enabled"
	// guaranteedDeliveryParam is shared with the store mediator, which also
	// reads it (with store.failover.message.store.name) to pick a failover
	// store.
	guaranteedDeliveryParam = "store.producer.guaranteed.delivery.enable"
)

// rmqContentType marks a queued message as store.Encode's format.
const rmqContentType = "application/vnd.busbar.message"

// rmqSeqHeader carries a publish's sequence number on its channel, so that
// a message the broker returns as unroutable is matched to its Put.
const rmqSeqHeader = "x-busbar-publish-seq"

// rmqDialTimeout bounds one TCP connect plus AMQP handshake: a broker that
// does not answer is a failed attempt, never a hang.
const rmqDialTimeout = 15 * time.Second

// rmqCloseTimeout bounds the AMQP close handshake in Close.
const rmqCloseTimeout = 5 * time.Second

// rmqIdleChannels is how many consumer channels are kept open for reuse.
const rmqIdleChannels = 16

func init() {
	registry.RegisterStore(registry.Spec{
		Element: "rabbitmq",
		Aliases: []string{RabbitMQClass},
		Summary: "MI's RabbitMQ store: messages are persistent messages in a durable RabbitMQ queue, shared by every Busbar node configured with the same queue.",
		Doc: "The store connects on first use, not when the configuration is loaded (validate never connects), and " +
			"reconnects by itself after the broker or the network comes back. On connecting it makes sure the queue " +
			"exists (a durable classic queue is declared if it does not; an existing queue is used as it is) and, " +
			"with an exchange, that the exchange exists (declared durable and direct if it does not, unless its name " +
			"starts with amq.) and the queue is bound to it with the routing key.\n\n" +
			"Storing: each message is published persistent (delivery mode 2). With publisher confirms (the default; " +
			"see store.producer.guaranteed.delivery.enable) the store mediator lets the flow go on only after " +
			"RabbitMQ confirmed it has the message (written to disk for a durable queue), and a message the broker " +
			"cannot route to a queue is an error, not a silent loss. With the parameter set to false, a Put returns " +
			"once the message is written to the connection: faster, but a message is lost if the connection or the " +
			"broker fails before the broker took it, or if the queue was deleted. When the broker cannot be reached " +
			"the flow fails with an error (the client gets an answer) within the mediator's timeout; connection " +
			"attempts follow rabbitmq.connection.retry.count and rabbitmq.connection.retry.interval, and never wait " +
			"past that timeout.\n\n" +
			"Consuming: a processor takes the message at the head of the queue (basic.get, or a consumer with " +
			"prefetch 1 while it waits for one) with manual acknowledgement, on a channel of its own, so no other " +
			"consumer, on this node or another, gets it while it is held. Acknowledging removes it; releasing it " +
			"(nack with requeue) puts it back at its position, first in line. A node that dies or loses its " +
			"connection gives its held messages back to the queue. A held message is not redelivered while the " +
			"connection lives, so it needs no lease renewal; but RabbitMQ closes a channel whose delivery stays " +
			"unacknowledged longer than its consumer_timeout (30 minutes by default), which returns the message to " +
			"the queue. The stored attempt count is not updated on release (a queued RabbitMQ message cannot be " +
			"changed). The store's size is the queue's ready messages plus the messages this node holds; messages " +
			"held by other nodes are not counted.\n\n" +
			"Messages are stored in Busbar's own format (content type " + rmqContentType + "), not MI's Java " +
			"serialisation: a queue filled by MI cannot be drained by Busbar or the other way round. A message in " +
			"the queue that is not in Busbar's format is put back and reported as an error; it is never dropped.",
		Attrs: []registry.Attr{
			{Name: rmqHostParam, Default: "localhost", Doc: "Broker host name; a comma-separated list is tried in order."},
			{Name: rmqPortParam, Type: "int", Default: "5672", Doc: "Broker port; a comma-separated list pairs with the host names (one port applies to every host)."},
			{Name: rmqUserParam, Default: "guest", Doc: "User name."},
			{Name: rmqPasswordParam, Default: "guest", Doc: "Password."},
			{Name: rmqVhostParam, Default: "/", Doc: "Virtual host."},
			{Name: rmqQueueParam, Doc: "Queue that holds the messages. Default: the store's name."},
			{Name: rmqExchangeParam, Doc: "Exchange to publish to; without it messages go through the default exchange straight to the queue."},
			{Name: rmqRouteKeyParam, Doc: "Routing key binding the queue to the exchange and used to publish. Default: the queue name. Used only with an exchange."},
			{Name: rmqRetryCountParam, Type: "int", Default: "3", Doc: "Connection attempts after a failed one, within one operation (-1: until the operation's deadline)."},
			{Name: rmqRetryIntervalParam, Type: "int", Default: "30000", Doc: "Milliseconds between connection attempts. An attempt that would start after the operation's deadline is not made: the operation fails at once with the connection error."},
			{Name: rmqSSLParam, Type: "bool", Default: "false", Doc: "true is rejected: TLS connections to RabbitMQ are not supported yet (the other rabbitmq.connection.ssl.* parameters are ignored)."},
			{Name: guaranteedDeliveryParam, Type: "bool", Default: "true", Doc: "Publisher confirms: a stored message is confirmed by the broker before the flow goes on. false: a Put returns once the message is written to the connection (see above). Only an explicit true also enables the store mediator's failover store (store.failover.message.store.name), as in MI."},
		},
		Examples: []registry.Example{{
			Title: "A queue on a shared broker, through a direct exchange",
			Config: `<messageStore name="orders" class="` + RabbitMQClass + `" xmlns="http://ws.apache.org/ns/synapse">
    <parameter name="store.rabbitmq.host.name">rabbit.example.com</parameter>
    <parameter name="store.rabbitmq.host.port">5672</parameter>
    <parameter name="store.rabbitmq.username">busbar</parameter>
    <parameter name="store.rabbitmq.password">secret</parameter>
    <parameter name="store.rabbitmq.virtual.host">/</parameter>
    <parameter name="store.rabbitmq.queue.name">orders</parameter>
    <parameter name="store.rabbitmq.exchange.name">orders_exchange</parameter>
    <parameter name="store.rabbitmq.route.key">orders</parameter>
    <parameter name="rabbitmq.connection.retry.count">3</parameter>
    <parameter name="rabbitmq.connection.retry.interval">1000</parameter>
</messageStore>`,
		}},
		Differences: []string{
			"Publisher confirms are on unless store.producer.guaranteed.delivery.enable is explicitly false, so a stored message " +
				"is confirmed by RabbitMQ before the flow goes on; MI publishes without confirms unless the parameter is true. " +
				"The failover store is still used only when the parameter is explicitly true.",
			"A Put never blocks past the store mediator's timeout waiting for a connection; MI's producer sleeps through its " +
				"connection retries.",
			"Without an exchange, messages are published to the queue itself; MI publishes with the routing key, which sends " +
				"them to another queue when store.rabbitmq.route.key differs from the queue name.",
			"A message that is not in Busbar's format is put back and reported, not acknowledged and dropped as MI does.",
			"TLS (rabbitmq.connection.ssl.enabled=true) is rejected as not supported yet.",
		},
	}, newRabbitMQStore)
}

// newRabbitMQStore is the registry factory: it checks the parameters,
// reporting each error at its <parameter>, and does not connect.
func newRabbitMQStore(b registry.Builder, def *config.MessageStore, cfg store.Config) (store.Store, error) {
	s, err := NewRabbitMQ(cfg)
	if err != nil {
		reportParamError(b, def, err)
		return nil, nil
	}
	return s, nil
}

// paramError is a store parameter with a bad value; the factory reports it
// at the parameter's position.
type paramError struct {
	name, msg string
}

func (e *paramError) Error() string { return "parameter " + e.name + ": " + e.msg }

// reportParamError records err at the <parameter> it is about (the last
// one of that name, the one that counts), or at the store element. It is
// shared by the store kinds of this package.
func reportParamError(b registry.Builder, def *config.MessageStore, err error) {
	pos := def.Pos
	var pe *paramError
	if errors.As(err, &pe) {
		for _, p := range def.Params {
			if p.Name == pe.name {
				pos = p.Pos
			}
		}
	}
	b.Errorf(pos, "message store %s: %v", def.Name, err)
}

// rabbitConfig is a RabbitMQ store's checked parameters.
type rabbitConfig struct {
	addrs         []string // host:port, tried in order
	user, pass    string
	vhost         string
	queue         string
	exchange      string // "" for the default exchange
	routeKey      string
	retryCount    int // -1: until the operation's deadline
	retryInterval time.Duration
	confirms      bool
}

func parseRabbitConfig(cfg store.Config) (rabbitConfig, error) {
	c := rabbitConfig{
		user:     cfg.Param(rmqUserParam, "guest"),
		pass:     cfg.Param(rmqPasswordParam, "guest"),
		vhost:    cfg.Param(rmqVhostParam, "/"),
		queue:    strings.TrimSpace(cfg.Param(rmqQueueParam, cfg.Name)),
		exchange: strings.TrimSpace(cfg.Param(rmqExchangeParam, "")),
	}
	if c.queue == "" {
		return c, &paramError{rmqQueueParam, "a queue name is needed (the store has no name to default to)"}
	}
	c.routeKey = strings.TrimSpace(cfg.Param(rmqRouteKeyParam, c.queue))

	var hosts []string
	for h := range strings.SplitSeq(cfg.Param(rmqHostParam, "localhost"), ",") {
		if h = strings.TrimSpace(h); h == "" {
			return c, &paramError{rmqHostParam, "empty host name in the list"}
		}
		hosts = append(hosts, h)
	}
	var ports []string
	for p := range strings.SplitSeq(cfg.Param(rmqPortParam, "5672"), ",") {
		p = strings.TrimSpace(p)
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return c, &paramError{rmqPortParam, fmt.Sprintf("%q is not a port number (1-65535)", p)}
		}
		ports = append(ports, p)
	}
	switch {
	case len(ports) == 1:
		for _, h := range hosts {
			c.addrs = append(c.addrs, net.JoinHostPort(h, ports[0]))
		}
	case len(ports) == len(hosts):
		for i, h := range hosts {
			c.addrs = append(c.addrs, net.JoinHostPort(h, ports[i]))
		}
	default:
		return c, &paramError{rmqPortParam, fmt.Sprintf("%d ports for %d hosts: give one port, or one per host", len(ports), len(hosts))}
	}

	var err error
	if c.retryCount, err = intParam(cfg, rmqRetryCountParam, 3, -1); err != nil {
		return c, err
	}
	ms, err := intParam(cfg, rmqRetryIntervalParam, 30000, 0)
	if err != nil {
		return c, err
	}
	c.retryInterval = time.Duration(ms) * time.Millisecond

	ssl, err := boolParam(cfg, rmqSSLParam, false)
	if err != nil {
		return c, err
	}
	if ssl {
		return c, &paramError{rmqSSLParam, "TLS connections to RabbitMQ are not supported yet"}
	}
	// Busbar confirms by default (see the spec's Differences): a Put that
	// returns is a message the broker has.
	if c.confirms, err = boolParam(cfg, guaranteedDeliveryParam, true); err != nil {
		return c, err
	}
	return c, nil
}

// intParam reads an integer parameter no smaller than min.
func intParam(cfg store.Config, name string, def, min int) (int, error) {
	v := strings.TrimSpace(cfg.Param(name, ""))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		return 0, &paramError{name, fmt.Sprintf("%q must be an integer of at least %d", v, min)}
	}
	return n, nil
}

// boolParam reads a true/false parameter.
func boolParam(cfg store.Config, name string, def bool) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(cfg.Param(name, ""))); v {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, &paramError{name, fmt.Sprintf("%q must be true or false", v)}
	}
}

// RabbitMQ is the RabbitMQ store. It has two connections, opened on first
// use and reopened after a failure: one publishes, the other consumes,
// because RabbitMQ blocks publishing connections under a resource alarm
// and acknowledgements must still flow then.
//
// Leases: each held message sits on a channel of the consumer connection
// that nothing else uses until the message is acknowledged or released;
// the channel goes back to a small pool afterwards. Unacknowledged messages
// are invisible to every other consumer, and the broker requeues them when
// the channel or connection dies, so a dead node's leases end with it.
type RabbitMQ struct {
	name string
	c    rabbitConfig

	closed atomic.Bool
	// done is closed by Close, to end waits and connection retries.
	done chan struct{}
	// leases counts the messages this store holds, for Size.
	leases atomic.Int64

	pubConnecting chan struct{} // one slot: held while connecting the publisher
	subConnecting chan struct{} // one slot: held while connecting the consumer

	mu  sync.Mutex // guards pub and sub
	pub *rmqPublisher
	sub *rmqConsumer
}

var _ store.Store = (*RabbitMQ)(nil)

// NewRabbitMQ checks cfg's parameters and returns the store, unconnected.
// A parameter error is reported with the parameter's name.
func NewRabbitMQ(cfg store.Config) (*RabbitMQ, error) {
	c, err := parseRabbitConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &RabbitMQ{
		name: cfg.Name, c: c, done: make(chan struct{}),
		pubConnecting: make(chan struct{}, 1), subConnecting: make(chan struct{}, 1),
	}, nil
}

// Name is the store's name.
func (s *RabbitMQ) Name() string { return s.name }

// Kind is "rabbitmq".
func (s *RabbitMQ) Kind() string { return "rabbitmq" }

// Queue is the RabbitMQ queue holding the store's messages.
func (s *RabbitMQ) Queue() string { return s.c.queue }

func (s *RabbitMQ) errorf(format string, args ...any) error {
	return fmt.Errorf("message store %s (RabbitMQ queue %s): %w", s.name, s.c.queue, fmt.Errorf(format, args...))
}

// Put publishes the message persistent. With confirms it returns once the
// broker confirmed it; without, once it is written to the connection.
func (s *RabbitMQ) Put(ctx context.Context, m *store.Message) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	body, err := store.Encode(m)
	if err != nil {
		return err
	}
	p, err := s.publisher(ctx)
	if err != nil {
		return err
	}
	return p.publish(ctx, m, body)
}

// Next leases the message at the head of the queue: basic.get first, and
// when the queue is empty and wait > 0, a consumer with prefetch 1 on the
// same channel until a message comes or wait passes.
func (s *RabbitMQ) Next(ctx context.Context, wait time.Duration) (*store.Delivery, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	deadline := time.Now().Add(max(wait, 0))
	// Connection retries stop at the wait's end (or ctx's, if sooner).
	budget := deadline
	if d, ok := ctx.Deadline(); ok && d.Before(budget) {
		budget = d
	}
	sub, err := s.consumer(ctx, budget)
	if err != nil {
		return nil, err
	}
	ch, err := sub.channel()
	if err != nil {
		s.dropConsumer(sub)
		return nil, s.errorf("opening a channel: %w", err)
	}
	d, ok, err := ch.Get(s.c.queue, false)
	if err != nil {
		sub.discard(ch)
		s.redeclareIfGone(sub, err)
		return nil, s.errorf("getting a message: %w", err)
	}
	if ok {
		return s.lease(ctx, sub, ch, d)
	}
	if wait <= 0 {
		sub.put(ch)
		return nil, nil
	}
	return s.await(ctx, sub, ch, deadline)
}

// await consumes from the queue on ch until a message arrives, deadline
// passes, ctx ends or the store closes. Prefetch 1 (set on every consumer
// channel) means the broker hands this consumer at most the one message it
// will lease, so none sits unseen in this process while others wait.
func (s *RabbitMQ) await(ctx context.Context, sub *rmqConsumer, ch *amqp.Channel, deadline time.Time) (*store.Delivery, error) {
	// Unique per channel is enough; the store's name could overflow the
	// tag's 255 bytes.
	tag := "busbar-" + strconv.FormatUint(consumerSeq.Add(1), 10)
	deliveries, err := ch.Consume(s.c.queue, tag, false, false, false, false, nil)
	if err != nil {
		sub.discard(ch)
		return nil, s.errorf("consuming: %w", err)
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var got *amqp.Delivery
	select {
	case d, ok := <-deliveries:
		if ok {
			got = &d
		}
	case <-timer.C:
	case <-ctx.Done():
	case <-s.done:
	}
	// Cancel, then drain: a message delivered before the broker saw the
	// cancel is still ours (and, with prefetch 1, there is at most one).
	cancelErr := ch.Cancel(tag, false)
	for d := range deliveries {
		if got == nil {
			got = &d
		} else {
			_ = ch.Nack(d.DeliveryTag, false, true)
		}
	}
	if got == nil {
		if cancelErr != nil || ch.IsClosed() {
			sub.discard(ch)
			if ctx.Err() == nil && !s.closed.Load() {
				return nil, s.errorf("consuming: the channel closed: %v", cancelErr)
			}
		} else {
			sub.put(ch)
		}
		if s.closed.Load() {
			return nil, store.ErrClosed
		}
		return nil, ctx.Err()
	}
	return s.lease(ctx, sub, ch, *got)
}

// lease turns a delivery into a Delivery held on ch. A message that cannot
// be decoded, or that arrives for a caller who has gone, is put back.
func (s *RabbitMQ) lease(ctx context.Context, sub *rmqConsumer, ch *amqp.Channel, d amqp.Delivery) (*store.Delivery, error) {
	giveBack := func() {
		if err := ch.Nack(d.DeliveryTag, false, true); err != nil {
			sub.discard(ch) // closing the channel requeues it anyway
			return
		}
		sub.put(ch)
	}
	if s.closed.Load() {
		giveBack()
		return nil, store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		giveBack()
		return nil, err
	}
	m, err := store.Decode(d.Body)
	if err != nil {
		giveBack()
		return nil, s.errorf("message %q (delivery %d) is not a Busbar message; it was put back and blocks the queue until removed: %w", d.MessageId, d.DeliveryTag, err)
	}
	s.leases.Add(1)
	return &store.Delivery{Message: m, Ops: &rmqLease{s: s, sub: sub, ch: ch, tag: d.DeliveryTag}}, nil
}

// Size is the queue's ready-message count (a passive declare) plus the
// messages this store holds; other nodes' leases are not counted.
func (s *RabbitMQ) Size(ctx context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	sub, err := s.consumer(ctx, deadlineOf(ctx))
	if err != nil {
		return 0, err
	}
	ch, err := sub.channel()
	if err != nil {
		s.dropConsumer(sub)
		return 0, s.errorf("opening a channel: %w", err)
	}
	q, err := ch.QueueDeclarePassive(s.c.queue, true, false, false, false, nil)
	if err != nil {
		sub.discard(ch)
		s.redeclareIfGone(sub, err)
		return 0, s.errorf("reading the queue's size: %w", err)
	}
	sub.put(ch)
	return int64(q.Messages) + s.leases.Load(), nil
}

// redeclareIfGone declares the topology again when err says the queue does
// not exist (404 NOT_FOUND: it was deleted behind the store's back), so
// that the store's next operation works on an empty queue again rather
// than failing until it reconnects.
func (s *RabbitMQ) redeclareIfGone(sub *rmqConsumer, err error) {
	var amqpErr *amqp.Error
	if errors.As(err, &amqpErr) && amqpErr.Code == amqp.NotFound {
		_ = s.declare(sub.conn)
	}
}

// Close closes both connections; the broker requeues held messages.
func (s *RabbitMQ) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.done)
	s.mu.Lock()
	pub, sub := s.pub, s.sub
	s.pub, s.sub = nil, nil
	s.mu.Unlock()
	if pub != nil {
		pub.close()
	}
	if sub != nil {
		sub.close()
	}
	return nil
}

// deadlineOf is ctx's deadline, or none (the zero time).
func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// acquire takes a one-slot semaphore, giving up when ctx ends or the store
// closes; connecting under it keeps one dial per role at a time without
// making waiters block past their deadline.
func (s *RabbitMQ) acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return store.ErrClosed
	}
}

// publisher returns the open publisher, connecting if there is none.
func (s *RabbitMQ) publisher(ctx context.Context) (*rmqPublisher, error) {
	if p := s.currentPub(); p != nil {
		return p, nil
	}
	if err := s.acquire(ctx, s.pubConnecting); err != nil {
		return nil, err
	}
	defer func() { <-s.pubConnecting }()
	if p := s.currentPub(); p != nil {
		return p, nil
	}
	conn, raw, err := s.connect(ctx, deadlineOf(ctx), "publisher")
	if err != nil {
		return nil, err
	}
	p, err := newPublisher(s, conn, raw)
	if err != nil {
		_ = raw.Close()
		return nil, s.errorf("opening the publishing channel: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		p.close()
		return nil, store.ErrClosed
	}
	s.pub = p
	return p, nil
}

func (s *RabbitMQ) currentPub() *rmqPublisher {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pub != nil && s.pub.alive() {
		return s.pub
	}
	return nil
}

// dropPublisher forgets p (if it is current) and closes it, so that the
// next Put reconnects and declares the topology again.
func (s *RabbitMQ) dropPublisher(p *rmqPublisher) {
	s.mu.Lock()
	if s.pub == p {
		s.pub = nil
	}
	s.mu.Unlock()
	p.close()
}

// consumer returns the open consumer connection, connecting if there is
// none; connection retries stop at deadline (zero: none).
func (s *RabbitMQ) consumer(ctx context.Context, deadline time.Time) (*rmqConsumer, error) {
	if c := s.currentSub(); c != nil {
		return c, nil
	}
	if err := s.acquire(ctx, s.subConnecting); err != nil {
		return nil, err
	}
	defer func() { <-s.subConnecting }()
	if c := s.currentSub(); c != nil {
		return c, nil
	}
	conn, _, err := s.connect(ctx, deadline, "consumer")
	if err != nil {
		return nil, err
	}
	c := newConsumer(conn)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		c.close()
		return nil, store.ErrClosed
	}
	s.sub = c
	return c, nil
}

func (s *RabbitMQ) currentSub() *rmqConsumer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sub != nil && s.sub.alive() {
		return s.sub
	}
	return nil
}

func (s *RabbitMQ) dropConsumer(c *rmqConsumer) {
	s.mu.Lock()
	if s.sub == c {
		s.sub = nil
	}
	s.mu.Unlock()
	c.close()
}

// connect dials the broker (each address in turn) and declares the
// topology. A failed round is retried up to retryCount times,
// retryInterval apart, but a round that would start after deadline (or
// after ctx ends) is not: the caller gets the connection error at once
// rather than a wait that outlasts it. Refused credentials and topology
// errors are the configuration's, not the network's, and are not retried.
func (s *RabbitMQ) connect(ctx context.Context, deadline time.Time, role string) (*amqp.Connection, net.Conn, error) {
	var lastErr error
	for attempt := 0; ; attempt++ {
		conn, raw, err := s.dialAny(ctx, role)
		if err == nil {
			if err = s.declare(conn); err == nil {
				return conn, raw, nil
			}
			_ = raw.Close()
			// A soft (channel-level) error while declaring, such as 403
			// ACCESS_REFUSED or 406 PRECONDITION_FAILED, would recur.
			var amqpErr *amqp.Error
			if errors.As(err, &amqpErr) && amqpErr.Recover {
				return nil, nil, s.errorf("%w", err)
			}
		} else if errors.Is(err, amqp.ErrCredentials) || errors.Is(err, amqp.ErrVhost) || errors.Is(err, amqp.ErrSASL) {
			return nil, nil, s.errorf("connecting to RabbitMQ: %w", err)
		}
		lastErr = err
		if s.c.retryCount >= 0 && attempt >= s.c.retryCount {
			break
		}
		if !deadline.IsZero() && time.Now().Add(s.c.retryInterval).After(deadline) {
			break
		}
		t := time.NewTimer(s.c.retryInterval)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, nil, s.errorf("cannot connect to RabbitMQ at %s: %w (then %w)", strings.Join(s.c.addrs, ", "), lastErr, ctx.Err())
		case <-s.done:
			t.Stop()
			return nil, nil, store.ErrClosed
		}
	}
	return nil, nil, s.errorf("cannot connect to RabbitMQ at %s: %w", strings.Join(s.c.addrs, ", "), lastErr)
}

// dialAny opens an AMQP connection to the first address that answers. It
// also returns the socket, which the publisher closes to abort a write
// the client would not interrupt.
func (s *RabbitMQ) dialAny(ctx context.Context, role string) (*amqp.Connection, net.Conn, error) {
	var errs []error
	for _, addr := range s.c.addrs {
		host, port, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(port)
		uri := amqp.URI{Scheme: "amqp", Host: host, Port: n, Username: s.c.user, Password: s.c.pass, Vhost: s.c.vhost}
		props := amqp.NewConnectionProperties()
		props.SetClientConnectionName(fmt.Sprintf("busbar store %s (%s)", s.name, role))
		var raw net.Conn
		conn, err := amqp.DialConfig(uri.String(), amqp.Config{
			Vhost:      s.c.vhost,
			Heartbeat:  10 * time.Second,
			Properties: props,
			Dial: func(network, addr string) (net.Conn, error) {
				c, err := dial(ctx, network, addr)
				raw = c
				return c, err
			},
		})
		if err == nil {
			return conn, raw, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, nil, errors.Join(errs...)
}

// dial connects within ctx and rmqDialTimeout; the deadline it sets on the
// socket covers the AMQP handshake, and the client clears it once the
// connection is open.
func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, rmqDialTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, network, addr)
	if err != nil {
		return nil, err
	}
	dl, _ := dctx.Deadline()
	if err := conn.SetDeadline(dl); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// declare makes sure the queue (and exchange and binding) exist. Existing
// ones are used as they are, so a queue an operator declared with its own
// arguments (a quorum queue, a dead-letter exchange) is not refused.
func (s *RabbitMQ) declare(conn *amqp.Connection) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	if _, err := ch.QueueDeclarePassive(s.c.queue, true, false, false, false, nil); err != nil {
		// The failed passive declare closed the channel.
		if ch, err = conn.Channel(); err != nil {
			return err
		}
		if _, err := ch.QueueDeclare(s.c.queue, true, false, false, false, nil); err != nil {
			return fmt.Errorf("declaring the queue: %w", err)
		}
	}
	if s.c.exchange != "" {
		if !strings.HasPrefix(s.c.exchange, "amq.") {
			if err := ch.ExchangeDeclarePassive(s.c.exchange, "direct", true, false, false, false, nil); err != nil {
				if ch, err = conn.Channel(); err != nil {
					return err
				}
				if err := ch.ExchangeDeclare(s.c.exchange, "direct", true, false, false, false, nil); err != nil {
					return fmt.Errorf("declaring exchange %s: %w", s.c.exchange, err)
				}
			}
		}
		if err := ch.QueueBind(s.c.queue, s.c.routeKey, s.c.exchange, false, nil); err != nil {
			return fmt.Errorf("binding the queue to exchange %s with key %s: %w", s.c.exchange, s.c.routeKey, err)
		}
	}
	return ch.Close()
}

// consumerSeq numbers consumer tags, which must be unique per channel.
var consumerSeq atomic.Uint64

// rmqPublisher publishes on one channel of its own connection. With
// confirms, one goroutine reads the broker's returns and confirms: the
// client hands both over in the order they came, and RabbitMQ sends a
// message's return before its confirm, so by the time a confirm is read
// any return for the same publish has been recorded.
type rmqPublisher struct {
	s    *RabbitMQ
	conn *amqp.Connection
	raw  net.Conn // the socket under conn
	ch   *amqp.Channel
	// redeclare is set when the broker returned a message as unroutable
	// (the queue or binding was deleted): the next publish declares the
	// topology again first.
	redeclare atomic.Bool

	mu sync.Mutex // serialises publishes, so sequence numbers match

	wmu     sync.Mutex
	waiters map[uint64]chan error
	dead    chan struct{} // closed when the channel or connection has gone
	why     error         // why it died, set before dead is closed
	once    sync.Once
}

func newPublisher(s *RabbitMQ, conn *amqp.Connection, raw net.Conn) (*rmqPublisher, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	p := &rmqPublisher{s: s, conn: conn, raw: raw, ch: ch, waiters: map[uint64]chan error{}, dead: make(chan struct{})}
	closes := ch.NotifyClose(make(chan *amqp.Error, 1))
	if s.c.confirms {
		if err := ch.Confirm(false); err != nil {
			return nil, err
		}
		// Unbuffered on purpose: the client blocks handing over a return
		// until it is taken, which keeps returns ahead of confirms.
		confirms := ch.NotifyPublish(make(chan amqp.Confirmation))
		returns := ch.NotifyReturn(make(chan amqp.Return))
		go p.confirmLoop(confirms, returns)
	}
	go func() {
		err, ok := <-closes
		if ok && err != nil {
			p.die(err)
		} else {
			p.die(errors.New("the publishing channel closed"))
		}
		// The connection exists for this channel: a broker that closed
		// the channel (a channel error) leaves it open otherwise.
		_ = conn.CloseDeadline(time.Now().Add(rmqCloseTimeout))
	}()
	return p, nil
}

func (p *rmqPublisher) alive() bool {
	select {
	case <-p.dead:
		return false
	default:
		return true
	}
}

// die marks the publisher dead and fails every Put still waiting for a
// confirm: whether the broker kept those messages is unknown, so their
// clients must hear of it (a retry may duplicate, never lose).
func (p *rmqPublisher) die(why error) {
	p.once.Do(func() {
		p.wmu.Lock()
		p.why = why
		close(p.dead)
		for seq, w := range p.waiters {
			w <- fmt.Errorf("the connection failed before RabbitMQ confirmed the message: %w", why)
			delete(p.waiters, seq)
		}
		p.wmu.Unlock()
	})
}

func (p *rmqPublisher) close() {
	p.die(store.ErrClosed)
	_ = p.conn.CloseDeadline(time.Now().Add(rmqCloseTimeout))
}

func (p *rmqPublisher) confirmLoop(confirms <-chan amqp.Confirmation, returns <-chan amqp.Return) {
	returned := map[uint64]amqp.Return{}
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				returns = nil
				continue
			}
			if seq, err := strconv.ParseUint(fmt.Sprint(r.Headers[rmqSeqHeader]), 10, 64); err == nil {
				returned[seq] = r
			}
		case c, ok := <-confirms:
			if !ok {
				p.die(errors.New("the publishing channel closed"))
				return
			}
			var err error
			if r, ok := returned[c.DeliveryTag]; ok {
				delete(returned, c.DeliveryTag)
				p.redeclare.Store(true)
				err = fmt.Errorf("RabbitMQ could not route the message to the queue (%d %s); the queue is declared again on the next attempt", r.ReplyCode, r.ReplyText)
			} else if !c.Ack {
				err = errors.New("RabbitMQ refused the message (nack)")
			}
			p.wmu.Lock()
			w := p.waiters[c.DeliveryTag]
			delete(p.waiters, c.DeliveryTag)
			p.wmu.Unlock()
			if w != nil {
				w <- err
			}
		}
	}
}

// publish sends one message and, with confirms, waits for the broker.
func (p *rmqPublisher) publish(ctx context.Context, m *store.Message, body []byte) error {
	s := p.s
	exchange, key := "", s.c.queue
	if s.c.exchange != "" {
		exchange, key = s.c.exchange, s.c.routeKey
	}
	pub := amqp.Publishing{
		ContentType:  rmqContentType,
		DeliveryMode: amqp.Persistent,
		MessageId:    m.ID,
		Timestamp:    m.Created,
		AppId:        "busbar",
		Body:         body,
	}

	p.mu.Lock()
	if p.redeclare.Swap(false) {
		if err := s.declare(p.conn); err != nil {
			p.redeclare.Store(true)
			p.mu.Unlock()
			return s.errorf("declaring the queue again: %w", err)
		}
	}
	var wait chan error
	var seq uint64
	if s.c.confirms {
		seq = p.ch.GetNextPublishSeqNo()
		pub.Headers = amqp.Table{rmqSeqHeader: strconv.FormatUint(seq, 10)}
		wait = make(chan error, 1)
		p.wmu.Lock()
		if !p.alive() {
			why := p.why
			p.wmu.Unlock()
			p.mu.Unlock()
			s.dropPublisher(p)
			return s.errorf("publishing: %w", why)
		}
		p.waiters[seq] = wait
		p.wmu.Unlock()
	}
	// The client does not interrupt a write once started; a broker that
	// stopped reading (a resource alarm, a dead peer) would hold the Put
	// past its deadline, so the deadline closes the socket instead.
	stop := context.AfterFunc(ctx, func() { _ = p.raw.Close() })
	// Mandatory only with confirms: then an unroutable message is reported
	// to its Put; without confirms nothing could be told.
	err := p.ch.PublishWithContext(ctx, exchange, key, s.c.confirms, false, pub)
	stop()
	p.mu.Unlock()
	if err != nil {
		p.forget(seq)
		if ctx.Err() == nil {
			s.dropPublisher(p)
		}
		return s.errorf("publishing message %s: %w", m.ID, err)
	}
	if !s.c.confirms {
		return nil
	}
	select {
	case err := <-wait:
		if err != nil {
			return s.errorf("storing message %s: %w", m.ID, err)
		}
		return nil
	case <-ctx.Done():
		p.forget(seq)
		return s.errorf("message %s was published but RabbitMQ did not confirm it in time (it may still be stored): %w", m.ID, ctx.Err())
	}
}

func (p *rmqPublisher) forget(seq uint64) {
	p.wmu.Lock()
	delete(p.waiters, seq)
	p.wmu.Unlock()
}

// rmqConsumer is the consumer connection and its idle channels, each with
// prefetch 1.
type rmqConsumer struct {
	conn *amqp.Connection
	dead chan struct{}

	mu   sync.Mutex
	idle []*amqp.Channel
}

func newConsumer(conn *amqp.Connection) *rmqConsumer {
	c := &rmqConsumer{conn: conn, dead: make(chan struct{})}
	closes := conn.NotifyClose(make(chan *amqp.Error, 1))
	go func() {
		<-closes
		close(c.dead)
	}()
	return c
}

func (c *rmqConsumer) alive() bool {
	select {
	case <-c.dead:
		return false
	default:
		return !c.conn.IsClosed()
	}
}

// channel returns an idle channel or opens one.
func (c *rmqConsumer) channel() (*amqp.Channel, error) {
	c.mu.Lock()
	for len(c.idle) > 0 {
		// Last in, first out: the channel that just acknowledged or
		// released a message is reused first, so the broker sees that
		// before this channel's next get (frames on one channel keep
		// their order; frames on two need not).
		ch := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		if !ch.IsClosed() {
			c.mu.Unlock()
			return ch, nil
		}
	}
	c.mu.Unlock()
	ch, err := c.conn.Channel()
	if err != nil {
		return nil, err
	}
	if err := ch.Qos(1, 0, false); err != nil {
		_ = ch.Close()
		return nil, err
	}
	return ch, nil
}

// put returns a channel holding no message to the pool.
func (c *rmqConsumer) put(ch *amqp.Channel) {
	c.mu.Lock()
	if !ch.IsClosed() && len(c.idle) < rmqIdleChannels {
		c.idle = append(c.idle, ch)
		ch = nil
	}
	c.mu.Unlock()
	if ch != nil {
		_ = ch.Close()
	}
}

// discard closes a channel that failed; the broker requeues anything
// unacknowledged on it.
func (c *rmqConsumer) discard(ch *amqp.Channel) { _ = ch.Close() }

func (c *rmqConsumer) close() {
	_ = c.conn.CloseDeadline(time.Now().Add(rmqCloseTimeout))
}

// rmqLease is a message held on a channel.
type rmqLease struct {
	s       *RabbitMQ
	sub     *rmqConsumer
	ch      *amqp.Channel
	tag     uint64
	settled atomic.Bool
}

var errSettled = errors.New("the lease was already acknowledged or released")

// settle ends the lease once, accounting for it in Size.
func (l *rmqLease) settle() bool {
	if l.settled.Swap(true) {
		return false
	}
	l.s.leases.Add(-1)
	return true
}

// Ack acknowledges the message. AMQP acknowledgements are not confirmed:
// if the connection fails just after, the broker may deliver the message
// again (a duplicate, never a loss).
func (l *rmqLease) Ack(context.Context) error {
	if !l.settle() {
		return errSettled
	}
	if err := l.ch.Ack(l.tag, false); err != nil {
		l.sub.discard(l.ch)
		return l.s.errorf("acknowledging: the lease was lost with its channel, so RabbitMQ delivers the message again: %w", err)
	}
	l.sub.put(l.ch)
	return nil
}

// Release gives the message back with a nack and requeue, which RabbitMQ
// puts back at its position in the queue. attempts is not recorded: a
// queued message cannot be changed.
func (l *rmqLease) Release(context.Context, int) error {
	if !l.settle() {
		return errSettled
	}
	if err := l.ch.Nack(l.tag, false, true); err != nil {
		// The channel is gone, and with it the lease: the broker has
		// already requeued the message.
		l.sub.discard(l.ch)
		return nil
	}
	l.sub.put(l.ch)
	return nil
}

// Touch reports whether the lease still holds: RabbitMQ leases do not
// expire while the channel lives, so there is nothing to extend.
func (l *rmqLease) Touch(context.Context) error {
	if l.settled.Load() {
		return errSettled
	}
	if l.ch.IsClosed() {
		return l.s.errorf("the lease was lost with its channel; RabbitMQ delivers the message again")
	}
	return nil
}
