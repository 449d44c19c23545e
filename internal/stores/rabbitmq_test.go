package stores_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/store/storetest"
	"github.com/busbar/busbar/internal/stores"
	"github.com/busbar/busbar/internal/testkit"
)

// brokerRunID keeps this process's queues and streams apart from any other
// test process's (and from leftovers of a crashed run).
var brokerRunID = sync.OnceValue(func() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
})

func brokerCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// rmqQueue is the queue a test store named name uses.
func rmqQueue(name string) string { return "busbar-test-" + brokerRunID() + "-" + name }

// rmqOpen opens a RabbitMQ store named name on this run's queue for it,
// closing it and deleting the queue when the test ends. params override
// the defaults (the local broker).
func rmqOpen(t *testing.T, name string, params map[string]string) *stores.RabbitMQ {
	t.Helper()
	p := map[string]string{
		"store.rabbitmq.host.name":  "127.0.0.1",
		"store.rabbitmq.queue.name": rmqQueue(name),
	}
	for k, v := range params {
		p[k] = v
	}
	s, err := stores.NewRabbitMQ(store.Config{Name: name, Class: stores.RabbitMQClass, Params: p})
	if err != nil {
		t.Fatal(err)
	}
	q := s.Queue()
	t.Cleanup(func() { rmqDeleteQueue(t, q) })
	t.Cleanup(func() { _ = s.Close() }) // runs first: cleanups are last in, first out
	return s
}

// rmqAdmin opens a connection of the test's own to the broker.
func rmqAdmin(t *testing.T) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(testkit.RabbitMQURL)
	if err != nil {
		t.Fatalf("admin connection: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func rmqDeleteQueue(t *testing.T, queue string) {
	conn, err := amqp.Dial(testkit.RabbitMQURL)
	if err != nil {
		t.Logf("deleting queue %s: %v", queue, err)
		return
	}
	defer conn.Close()
	if ch, err := conn.Channel(); err == nil {
		_, _ = ch.QueueDelete(queue, false, false, false)
	}
}

// rmqReady counts the queue's ready messages from outside the store.
func rmqReady(t *testing.T, queue string) int {
	t.Helper()
	q, err := rmqAdmin(t).QueueDeclarePassive(queue, true, false, false, false, nil)
	if err != nil {
		t.Fatalf("inspecting %s: %v", queue, err)
	}
	return q.Messages
}

func brokerNext(t *testing.T, s store.Store, wait time.Duration) *store.Delivery {
	t.Helper()
	d, err := s.Next(brokerCtx(t), wait)
	if err != nil || d == nil {
		t.Fatalf("next: %v %v", d, err)
	}
	return d
}

func brokerPut(t *testing.T, s store.Store, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := s.Put(brokerCtx(t), storetest.Msg(i)); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
}

func TestRabbitMQConformance(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "rabbitmq")
	storetest.Run(t, storetest.Kind{
		Open:    func(t *testing.T, name string) store.Store { return rmqOpen(t, name, nil) },
		Durable: true,
		Shared:  true,
	})
}

func TestRabbitMQWithoutConfirms(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "rabbitmq")
	s := rmqOpen(t, "noconfirm", map[string]string{"store.producer.guaranteed.delivery.enable": "false"})
	brokerPut(t, s, 0, 3)
	for i := range 3 {
		// Without confirms the broker may not have routed the message yet
		// when Put returns, so the first one is waited for.
		d := brokerNext(t, s, 5*time.Second)
		if d.Message.ID != storetest.Msg(i).ID {
			t.Fatalf("message %d: %s", i, d.Message.ID)
		}
		if err := d.Ack(brokerCtx(t)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRabbitMQExchangeAndRoutingKey(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "rabbitmq")
	exchange := "busbar-test-" + brokerRunID() + "-ex"
	t.Cleanup(func() {
		if conn, err := amqp.Dial(testkit.RabbitMQURL); err == nil {
			if ch, err := conn.Channel(); err == nil {
				_ = ch.ExchangeDelete(exchange, false, false)
			}
			conn.Close()
		}
	})
	s := rmqOpen(t, "routed", map[string]string{
		"store.rabbitmq.exchange.name": exchange,
		"store.rabbitmq.route.key":     "orders.key",
	})
	brokerPut(t, s, 0, 1)
	// The store declared the exchange and bound its queue: a message the
	// test publishes through the exchange with the key reaches the queue.
	body, _ := store.Encode(storetest.Msg(1))
	if err := rmqAdmin(t).PublishWithContext(brokerCtx(t), exchange, "orders.key", true, false,
		amqp.Publishing{DeliveryMode: amqp.Persistent, Body: body}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		d := brokerNext(t, s, 5*time.Second)
		if d.Message.ID != storetest.Msg(i).ID {
			t.Fatalf("message %d: %s", i, d.Message.ID)
		}
		_ = d.Ack(brokerCtx(t))
	}
}

// A queue deleted behind the store's back makes a Put fail (the broker
// returns the message as unroutable), not vanish; the next Put declares
// the queue again.
func TestRabbitMQDeletedQueueIsNotASilentLoss(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "rabbitmq")
	s := rmqOpen(t, "deleted", nil)
	brokerPut(t, s, 0, 1)
	if _, err := rmqAdmin(t).QueueDelete(s.Queue(), false, false, false); err != nil {
		t.Fatal(err)
	}
	err := s.Put(brokerCtx(t), storetest.Msg(1))
	if err == nil || !strings.Contains(err.Error(), "could not route") {
		t.Fatalf("put to a deleted queue: %v", err)
	}
	brokerPut(t, s, 2, 3)
	d := brokerNext(t, s, 5*time.Second)
	if d.Message.ID != storetest.Msg(2).ID {
		t.Fatalf("got %s", d.Message.ID)
	}
	_ = d.Ack(brokerCtx(t))

	// The consumer side finds the queue gone, says so, and declares it.
	if _, err := rmqAdmin(t).QueueDelete(s.Queue(), false, false, false); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Next(brokerCtx(t), 0); d != nil || err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("next on a deleted queue: %v %v", d, err)
	}
	if d, err := s.Next(brokerCtx(t), 0); d != nil || err != nil {
		t.Fatalf("next once the queue is declared again: %v %v", d, err)
	}
}

// A message that is not in Busbar's format is reported and put back.
func TestRabbitMQForeignMessageIsKept(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "rabbitmq")
	s := rmqOpen(t, "foreign", nil)
	if _, err := s.Size(brokerCtx(t)); err != nil { // connects and declares the queue
		t.Fatal(err)
	}
	if err := rmqAdmin(t).PublishWithContext(brokerCtx(t), "", s.Queue(), true, false,
		amqp.Publishing{DeliveryMode: amqp.Persistent, MessageId: "mi-1", Body: []byte("\xac\xed\x00\x05java")}); err != nil {
		t.Fatal(err)
	}
	d, err := s.Next(brokerCtx(t), 5*time.Second)
	if d != nil || err == nil || !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "mi-1") {
		t.Fatalf("foreign message: %v %v", d, err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return rmqReady(t, s.Queue()) == 1 }, "the foreign message back in the queue")
}

// Two nodes share a queue; the one holding a message loses its connection
// (it dies): the broker gives the message to the other, and the dead
// node's acknowledgement fails instead of pretending.
func TestRabbitMQNodeDeathReturnsItsLeases(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "rabbitmq")
	px := startTCPProxy(t, "127.0.0.1:5672")
	dying := rmqOpen(t, "death", map[string]string{"store.rabbitmq.host.port": px.port()})
	other := rmqOpen(t, "death", nil)
	brokerPut(t, other, 0, 2)
	held := brokerNext(t, dying, 5*time.Second)
	if held.Message.ID != storetest.Msg(0).ID {
		t.Fatalf("dying node got %s", held.Message.ID)
	}
	second := brokerNext(t, other, 5*time.Second)
	if second.Message.ID != storetest.Msg(1).ID {
		t.Fatalf("other node got %s while message 0 was held", second.Message.ID)
	}
	_ = second.Ack(brokerCtx(t))

	px.cut()
	d := brokerNext(t, other, 10*time.Second)
	if d.Message.ID != storetest.Msg(0).ID {
		t.Fatalf("after the node died the other got %s", d.Message.ID)
	}
	if err := d.Ack(brokerCtx(t)); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return held.Touch(brokerCtx(t)) != nil }, "the dead node's lease to report itself lost")
	if err := held.Ack(brokerCtx(t)); err == nil {
		t.Fatal("the dead node acknowledged a message it no longer held")
	}

	// The node reconnects by itself for its next operation.
	brokerPut(t, dying, 2, 3)
	d = brokerNext(t, dying, 5*time.Second)
	if d.Message.ID != storetest.Msg(2).ID {
		t.Fatalf("after reconnecting: %s", d.Message.ID)
	}
	_ = d.Ack(brokerCtx(t))
}

// While the broker cannot be reached a Put fails at once (within the
// connection retries its deadline allows), and works again when it can.
func TestRabbitMQPutFailsPromptlyWhileUnreachable(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "rabbitmq")
	px := startTCPProxy(t, "127.0.0.1:5672")
	s := rmqOpen(t, "unreachable", map[string]string{
		"store.rabbitmq.host.port":           px.port(),
		"rabbitmq.connection.retry.count":    "2",
		"rabbitmq.connection.retry.interval": "100",
	})
	brokerPut(t, s, 0, 1)
	px.setDown(true)
	px.cut()
	// The first Put may still find the old connection, which dies under
	// it: it fails too, since the broker may not have the message.
	if err := s.Put(brokerCtx(t), storetest.Msg(1)); err == nil {
		t.Fatal("a put succeeded on a cut connection")
	}

	accepted := px.accepted.Load()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := s.Put(ctx, storetest.Msg(1))
	if err == nil || !strings.Contains(err.Error(), "cannot connect to RabbitMQ") {
		t.Fatalf("put while unreachable: %v", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("put took %v to fail", el)
	}
	if n := px.accepted.Load() - accepted; n != 3 {
		t.Fatalf("%d connection attempts, want 1 + retry.count 2", n)
	}

	// An interval longer than the time left is not waited for.
	slow := rmqOpen(t, "unreachable", map[string]string{"store.rabbitmq.host.port": px.port()}) // 30 s interval
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	start = time.Now()
	if err := slow.Put(ctx2, storetest.Msg(1)); err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("put with a 30 s retry interval and a 5 s deadline: %v after %v", err, time.Since(start))
	}

	px.setDown(false)
	brokerPut(t, s, 2, 3)
	for _, i := range []int{0, 2} {
		d := brokerNext(t, s, 5*time.Second)
		if d.Message.ID != storetest.Msg(i).ID {
			t.Fatalf("want message %d, got %s", i, d.Message.ID)
		}
		_ = d.Ack(brokerCtx(t))
	}
}

func TestRabbitMQParameterErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ param, value, want string }{
		{"store.rabbitmq.host.port", "abc", `parameter store.rabbitmq.host.port: "abc" is not a port number (1-65535)`},
		{"store.rabbitmq.host.port", "5672,5673", "parameter store.rabbitmq.host.port: 2 ports for 1 hosts: give one port, or one per host"},
		{"rabbitmq.connection.ssl.enabled", "true", "parameter rabbitmq.connection.ssl.enabled: TLS connections to RabbitMQ are not supported yet"},
		{"store.producer.guaranteed.delivery.enable", "yes", `parameter store.producer.guaranteed.delivery.enable: "yes" must be true or false`},
		{"rabbitmq.connection.retry.count", "-2", `parameter rabbitmq.connection.retry.count: "-2" must be an integer of at least -1`},
		{"rabbitmq.connection.retry.interval", "1s", `parameter rabbitmq.connection.retry.interval: "1s" must be an integer of at least 0`},
	} {
		checkParameterError(t, "r", stores.RabbitMQClass, `<parameter name="store.rabbitmq.queue.name">q</parameter>`, tc.param, tc.value, tc.want)
	}
}

// Loading a configuration never connects: a broker that is not there is
// found by the first operation, not by validate.
func TestRabbitMQCompileDoesNotConnect(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var dialled atomic.Bool
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dialled.Store(true)
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	g, diags := testkit.Compile(`<messageStore name="lazy" class="` + stores.RabbitMQClass + `">
  <parameter name="store.rabbitmq.host.name">127.0.0.1</parameter>
  <parameter name="store.rabbitmq.host.port">` + port + `</parameter>
</messageStore>`)
	if g == nil || diags.HasErrors() {
		t.Fatalf("%v", diags.Err())
	}
	defer g.Close()
	st := g.Stores["lazy"]
	if st == nil || st.Kind() != "rabbitmq" || st.(*stores.RabbitMQ).Queue() != "lazy" {
		t.Fatalf("store %#v", st)
	}
	if dialled.Load() {
		t.Fatal("compiling connected to the broker")
	}
	if err := st.Put(brokerCtx(t), storetest.Msg(0)); err == nil || !dialled.Load() {
		t.Fatalf("the first put did not try the broker: %v", err)
	}
}

func TestRabbitMQSpecExampleCompiles(t *testing.T) {
	t.Parallel()
	e := registry.Default.ByAlias(stores.RabbitMQClass)
	if e == nil || len(e.Spec.Examples) == 0 {
		t.Fatal("no documented example")
	}
	for _, ex := range e.Spec.Examples {
		g, diags := testkit.Compile(ex.Config)
		if g == nil || diags.HasErrors() || len(diags.List) != 0 {
			t.Fatalf("%s: %v", ex.Title, diags.List)
		}
		g.Close()
	}
}

// TestRabbitMQBrokerRestart stops and starts the broker's application
// (rabbitmqctl stop_app, start_app) under a store that has stored
// messages and holds one: a Put while it is down fails at once, every
// message the broker confirmed before the restart is delivered after it
// in order (the held one included, its old lease reported lost), and the
// store reconnects by itself.
func TestRabbitMQBrokerRestart(t *testing.T) {
	testkit.ExclusiveService(t, "rabbitmq")
	if _, err := exec.LookPath("rabbitmqctl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("rabbitmqctl is not installed, and CI=true requires it")
		}
		t.Skip("rabbitmqctl is not installed")
	}
	s := rmqOpen(t, "restart", map[string]string{
		"rabbitmq.connection.retry.count":    "0",
		"rabbitmq.connection.retry.interval": "200",
	})
	brokerPut(t, s, 0, 4)
	held := brokerNext(t, s, 5*time.Second)

	stopped := false
	t.Cleanup(func() {
		if stopped {
			rabbitmqctl(t, "start_app")
		}
	})
	rabbitmqctl(t, "stop_app")
	stopped = true

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Put(ctx, storetest.Msg(99)); err == nil {
		t.Fatal("a put succeeded with the broker stopped")
	} else if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("put took %v to fail with the broker stopped: %v", el, err)
	}

	rabbitmqctl(t, "start_app")
	stopped = false
	testkit.Eventually(t, 60*time.Second, func() bool {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.Put(c, storetest.Msg(4)) == nil
	}, "a put to succeed after the broker restarted")

	if err := held.Ack(brokerCtx(t)); err == nil {
		t.Fatal("a lease from before the restart was acknowledged")
	}
	for i := range 5 {
		d := brokerNext(t, s, 5*time.Second)
		if d.Message.ID != storetest.Msg(i).ID {
			t.Fatalf("after the restart message %d is %s", i, d.Message.ID)
		}
		if err := d.Ack(brokerCtx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := s.Next(brokerCtx(t), 0); d != nil || err != nil {
		t.Fatalf("left over after the restart: %v %v", d, err)
	}
}

func rabbitmqctl(t *testing.T, cmd string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "rabbitmqctl", cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("rabbitmqctl %s: %v\n%s", cmd, err, out)
	}
}

// tcpProxy is a TCP proxy to a broker, for tests that cut a client's
// connection (a node dying, a network failure) or make the broker
// unreachable, without touching the broker. The JetStream tests use it
// too.
type tcpProxy struct {
	t        *testing.T
	ln       net.Listener
	target   string
	accepted atomic.Int64
	down     atomic.Bool
	wg       sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func startTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) port() string {
	_, port, _ := net.SplitHostPort(p.ln.Addr().String())
	return port
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		if p.down.Load() {
			c.Close() // unreachable: the connection ends at once
			continue
		}
		b, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[b] = struct{}{}, struct{}{}
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		p.wg.Go(func() { pipe(b, c) })
		p.wg.Go(func() { pipe(c, b) })
	}
}

// cut closes every proxied connection, as a crash or a network failure
// would.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// setDown makes new connections fail (true) or pass again (false).
func (p *tcpProxy) setDown(down bool) { p.down.Store(down) }

// checkParameterError compiles a store of class whose second parameter
// (after fixed, a parameter the class needs) is param=value, and expects
// exactly one error, on that parameter's line, saying want.
func checkParameterError(t *testing.T, name, class, fixed, param, value, want string) {
	t.Helper()
	g, diags := testkit.Compile(`<messageStore name="` + name + `" class="` + class + `">
  ` + fixed + `
  <parameter name="` + param + `">` + value + `</parameter>
</messageStore>`)
	if g != nil {
		g.Close()
	}
	errs := diags.Errors()
	want = "message store " + name + ": " + want
	if len(errs) != 1 || errs[0].Msg != want || errs[0].Pos.Line != 3 || errs[0].Path != "messageStore["+name+"]" {
		t.Errorf("%s=%s: %v\nwant one error on line 3: %s", param, value, diags.List, want)
	}
}
