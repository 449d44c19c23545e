package stores_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/store/storetest"
	"github.com/busbar/busbar/internal/stores"
	"github.com/busbar/busbar/internal/testkit"
)

// jsStream is the stream a test store named name uses.
func jsStream(name string) string { return "bbtest_" + brokerRunID() + "_" + name }

// jsOpen opens a JetStream store named name on this run's stream for it,
// closing it and deleting the stream when the test ends. params override
// the defaults (the local server).
func jsOpen(t *testing.T, name string, params map[string]string) *stores.JetStream {
	t.Helper()
	p := map[string]string{
		"busbar.nats.url":     testkit.NATSURL,
		"busbar.nats.stream":  jsStream(name),
		"busbar.nats.subject": "bbtest." + brokerRunID() + "." + name,
	}
	for k, v := range params {
		p[k] = v
	}
	s, err := stores.NewJetStream(store.Config{Name: name, Class: stores.JetStreamClass, Params: p})
	if err != nil {
		t.Fatal(err)
	}
	stream := s.Stream()
	t.Cleanup(func() { jsDeleteStream(t, stream) })
	t.Cleanup(func() { _ = s.Close() }) // runs first
	return s
}

// jsAdmin is a JetStream context on a connection of the test's own.
func jsAdmin(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(testkit.NATSURL)
	if err != nil {
		t.Fatalf("admin connection: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func jsDeleteStream(t *testing.T, stream string) {
	nc, err := nats.Connect(testkit.NATSURL)
	if err != nil {
		t.Logf("deleting stream %s: %v", stream, err)
		return
	}
	defer nc.Close()
	if js, err := jetstream.New(nc); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = js.DeleteStream(ctx, stream)
	}
}

func TestJetStreamConformance(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "nats")
	storetest.Run(t, storetest.Kind{
		Open:    func(t *testing.T, name string) store.Store { return jsOpen(t, name, nil) },
		Durable: true,
		Shared:  true,
	})
}

// The stream and consumer the store sets up are the durable, work-queue,
// explicit-ack ones the documentation promises.
func TestJetStreamSetsUpADurableWorkQueue(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "nats")
	s := jsOpen(t, "setup", map[string]string{"busbar.nats.ackWait": "45s", "busbar.nats.maxAckPending": "1"})
	brokerPut(t, s, 0, 1)
	st, err := jsAdmin(t).Stream(brokerCtx(t), s.Stream())
	if err != nil {
		t.Fatal(err)
	}
	sc := st.CachedInfo().Config
	if sc.Retention != jetstream.WorkQueuePolicy || sc.Storage != jetstream.FileStorage || sc.Discard != jetstream.DiscardNew || sc.Replicas != 1 {
		t.Fatalf("stream config %+v", sc)
	}
	cons, err := st.Consumer(brokerCtx(t), "busbar_setup")
	if err != nil {
		t.Fatal(err)
	}
	cc := cons.CachedInfo().Config
	if cc.AckPolicy != jetstream.AckExplicitPolicy || cc.AckWait != 45*time.Second || cc.MaxAckPending != 1 || cc.MaxDeliver != -1 || cc.Durable != "busbar_setup" {
		t.Fatalf("consumer config %+v", cc)
	}

	// A store reopened with another lease length updates the consumer.
	s.Close()
	s2 := jsOpen(t, "setup", map[string]string{"busbar.nats.ackWait": "90s"})
	if n, err := s2.Size(brokerCtx(t)); err != nil || n != 1 {
		t.Fatalf("size %d %v", n, err)
	}
	info, err := cons.Info(brokerCtx(t))
	if err != nil || info.Config.AckWait != 90*time.Second || info.Config.MaxAckPending != 1000 {
		t.Fatalf("consumer after reopening: %+v %v", info, err)
	}
}

// A stream that exists with limits retention would keep acknowledged
// messages: the store refuses it rather than misbehave.
func TestJetStreamRefusesAStreamItCannotUse(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "nats")
	s := jsOpen(t, "limits", nil)
	if _, err := jsAdmin(t).CreateStream(brokerCtx(t), jetstream.StreamConfig{
		Name: s.Stream(), Subjects: []string{"bbtest." + brokerRunID() + ".limits"}, Storage: jetstream.FileStorage,
	}); err != nil {
		t.Fatal(err)
	}
	err := s.Put(brokerCtx(t), storetest.Msg(0))
	if err == nil || !strings.Contains(err.Error(), "the stream exists with Limits retention; the store needs work-queue retention") {
		t.Fatalf("put on a limits stream: %v", err)
	}
}

// A node holding a message dies (its connection is cut and it never
// acknowledges): when the lease runs out the other node gets the message,
// before the messages behind it.
func TestJetStreamNodeDeathReturnsItsLeases(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "nats")
	px := startTCPProxy(t, "127.0.0.1:4222")
	params := map[string]string{"busbar.nats.ackWait": "1s"}
	other := jsOpen(t, "death", params)
	dying := jsOpen(t, "death", map[string]string{"busbar.nats.ackWait": "1s", "busbar.nats.url": "nats://" + px.addr()})
	brokerPut(t, other, 0, 2)
	held := brokerNext(t, dying, 5*time.Second)
	if held.Message.ID != storetest.Msg(0).ID {
		t.Fatalf("dying node got %s", held.Message.ID)
	}
	px.setDown(true)
	px.cut()

	start := time.Now()
	d := brokerNext(t, other, 10*time.Second)
	if d.Message.ID != storetest.Msg(1).ID {
		t.Fatalf("the other node got %s first", d.Message.ID)
	}
	_ = d.Ack(brokerCtx(t))
	d = brokerNext(t, other, 10*time.Second)
	if d.Message.ID != storetest.Msg(0).ID {
		t.Fatalf("the dead node's message did not come back: got %s", d.Message.ID)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("the lease took %v to run out (ackWait 1s)", el)
	}
	_ = d.Ack(brokerCtx(t))
	if err := held.Ack(brokerCtx(t)); err == nil {
		t.Fatal("the dead node acknowledged while disconnected")
	}
}

// Touch renews a lease: a message touched within its ackWait stays with
// its holder for longer than that, and a release hands it on at once.
func TestJetStreamTouchExtendsTheLease(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "nats")
	params := map[string]string{"busbar.nats.ackWait": "1s"}
	a, b := jsOpen(t, "touch", params), jsOpen(t, "touch", params)
	brokerPut(t, a, 0, 1)
	d := brokerNext(t, a, 5*time.Second)
	until := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(until) {
		if err := d.Touch(brokerCtx(t)); err != nil {
			t.Fatal(err)
		}
		// The poll is the wait between renewals.
		if other, err := b.Next(brokerCtx(t), 300*time.Millisecond); other != nil || err != nil {
			t.Fatalf("a touched lease was handed to another node: %v %v", other, err)
		}
	}
	if err := d.Release(brokerCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	again := brokerNext(t, b, 2*time.Second)
	if again.Message.ID != storetest.Msg(0).ID {
		t.Fatalf("got %s", again.Message.ID)
	}
	_ = again.Ack(brokerCtx(t))
	if err := d.Touch(brokerCtx(t)); err == nil {
		t.Fatal("a released lease was renewed")
	}
}

// While the connection is down a Put fails at once; the client reconnects
// by itself and Puts work again, with nothing stored before lost.
func TestJetStreamReconnects(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "nats")
	px := startTCPProxy(t, "127.0.0.1:4222")
	s := jsOpen(t, "reconnect", map[string]string{"busbar.nats.url": "nats://" + px.addr()})
	brokerPut(t, s, 0, 1)
	px.setDown(true)
	px.cut()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Put(ctx, storetest.Msg(1)); err == nil {
		t.Fatal("a put succeeded while disconnected")
	} else if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("put took %v to fail while disconnected: %v", el, err)
	}
	if d, err := s.Next(ctx, time.Second); d != nil || err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("next while disconnected: %v %v", d, err)
	}

	px.setDown(false)
	testkit.Eventually(t, 15*time.Second, func() bool {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return s.Put(c, storetest.Msg(2)) == nil
	}, "a put to succeed after reconnecting")
	for _, i := range []int{0, 2} {
		d := brokerNext(t, s, 5*time.Second)
		if d.Message.ID != storetest.Msg(i).ID {
			t.Fatalf("want message %d, got %s", i, d.Message.ID)
		}
		if err := d.Ack(brokerCtx(t)); err != nil {
			t.Fatal(err)
		}
	}
}

// A message that is not in Busbar's format is reported and put back.
func TestJetStreamForeignMessageIsKept(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "nats")
	s := jsOpen(t, "foreign", nil)
	if _, err := s.Size(brokerCtx(t)); err != nil { // sets up the stream
		t.Fatal(err)
	}
	if _, err := jsAdmin(t).Publish(brokerCtx(t), "bbtest."+brokerRunID()+".foreign", []byte("not busbar")); err != nil {
		t.Fatal(err)
	}
	d, err := s.Next(brokerCtx(t), 5*time.Second)
	if d != nil || !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("foreign message: %v %v", d, err)
	}
	if n, err := s.Size(brokerCtx(t)); err != nil || n != 1 {
		t.Fatalf("size after a foreign message %d %v", n, err)
	}
}

func TestJetStreamParameterErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ param, value, want string }{
		{"busbar.nats.url", "http://127.0.0.1:4222", `parameter busbar.nats.url: "http://127.0.0.1:4222" is not a nats:// or tls:// URL`},
		{"busbar.nats.stream", "orders.v1", `parameter busbar.nats.stream: stream name "orders.v1" contains '.' (no whitespace, '.', '*', '>', '/' or '\')`},
		{"busbar.nats.consumer", "a b", `parameter busbar.nats.consumer: consumer name "a b" contains ' ' (no whitespace, '.', '*', '>', '/' or '\')`},
		{"busbar.nats.subject", "orders.*", `parameter busbar.nats.subject: subject "orders.*" must be dot-separated non-empty tokens without spaces or wildcards`},
		{"busbar.nats.ackWait", "soon", `parameter busbar.nats.ackWait: "soon" must be a positive duration (30s, 2m) or milliseconds`},
		{"busbar.nats.replicas", "7", "parameter busbar.nats.replicas: 7 replicas: JetStream allows at most 5"},
		{"busbar.nats.maxAckPending", "0", "parameter busbar.nats.maxAckPending: 0 would hold nothing: give 1 or more, or -1 for no limit"},
	} {
		checkParameterError(t, "j", stores.JetStreamClass, `<parameter name="busbar.nats.replicas">1</parameter>`, tc.param, tc.value, tc.want)
	}
}

// Loading a configuration never connects, and the derived names are what
// the documentation says.
func TestJetStreamCompileDoesNotConnect(t *testing.T) {
	t.Parallel()
	px := startTCPProxy(t, "127.0.0.1:4222")
	g, diags := testkit.Compile(`<messageStore name="orders/eu 1" class="` + stores.JetStreamClass + `">
  <parameter name="busbar.nats.url">nats://` + px.addr() + `</parameter>
  <parameter name="busbar.nats.ackWait">1500</parameter>
</messageStore>`)
	if g == nil || diags.HasErrors() {
		t.Fatalf("%v", diags.Err())
	}
	defer g.Close()
	st, ok := g.Stores["orders/eu 1"].(*stores.JetStream)
	if !ok || st.Kind() != "jetstream" || st.Stream() != "BUSBAR_orders_eu_1" {
		t.Fatalf("store %#v", g.Stores["orders/eu 1"])
	}
	if n := px.accepted.Load(); n != 0 {
		t.Fatalf("compiling connected %d times", n)
	}
	// An ackWait processors cannot keep up with is loaded, with a warning.
	ws := diags.Warnings()
	want := "message store orders/eu 1: busbar.nats.ackWait 1.5s is short: processors renew a lease every 10s, so a message a live processor holds may be handed to another one"
	if len(ws) != 1 || ws[0].Msg != want || ws[0].Pos.Line != 3 {
		t.Fatalf("warnings %v, want on line 3: %s", ws, want)
	}
}

func TestJetStreamSpecExampleCompiles(t *testing.T) {
	t.Parallel()
	e := registry.Default.ByAlias(stores.JetStreamClass)
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
