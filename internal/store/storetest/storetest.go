// Package storetest is the conformance suite every message store kind
// must pass: FIFO order, exclusive leases, release to the head, ack,
// waiting consumers, sizes, concurrency, and (for durable kinds) that an
// acknowledged Put survives reopening the store.
package storetest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/store"
)

// Kind describes the store under test. Open returns a store with the
// given name; for a durable kind, opening the same name again (after Close)
// must see what was stored. Each call to Run uses fresh names.
type Kind struct {
	Open    func(t *testing.T, name string) store.Store
	Durable bool
	// Shared says two stores opened with the same name are two consumers
	// of one queue (PostgreSQL, RabbitMQ, JetStream; and the embedded
	// store within one process).
	Shared bool
}

// Msg builds a test message with a recognisable body.
func Msg(i int) *store.Message {
	return &store.Message{ID: fmt.Sprintf("urn:uuid:test-%06d", i), Created: time.Now().UTC(), Method: "POST", To: "http://127.0.0.1:1/x",
		Header: http.Header{"X-Seq": {fmt.Sprint(i)}}, Props: map[string]string{"seq": fmt.Sprint(i)},
		ContentType: "application/json", Body: []byte(fmt.Sprintf(`{"seq":%d}`, i))}
}

var nameSeq struct {
	sync.Mutex
	n int
}

func freshName(t *testing.T) string {
	nameSeq.Lock()
	defer nameSeq.Unlock()
	nameSeq.n++
	return fmt.Sprintf("conf_%d_%d", time.Now().UnixNano()%1_000_000, nameSeq.n)
}

// Run runs the suite.
func Run(t *testing.T, k Kind) {
	t.Run("fifo", func(t *testing.T) { fifo(t, k) })
	t.Run("release returns to the head", func(t *testing.T) { release(t, k) })
	t.Run("leases are exclusive", func(t *testing.T) { exclusive(t, k) })
	t.Run("next waits for a put", func(t *testing.T) { waits(t, k) })
	t.Run("concurrent producers lose nothing", func(t *testing.T) { concurrent(t, k) })
	t.Run("body and metadata round trip", func(t *testing.T) { roundTrip(t, k) })
	if k.Durable {
		t.Run("survives reopening", func(t *testing.T) { durable(t, k) })
	}
	if k.Shared {
		t.Run("two consumers share the work", func(t *testing.T) { shared(t, k) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func put(t *testing.T, s store.Store, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := s.Put(ctx(t), Msg(i)); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
}

func next(t *testing.T, s store.Store) *store.Delivery {
	t.Helper()
	d, err := s.Next(ctx(t), 5*time.Second)
	if err != nil || d == nil {
		t.Fatalf("next: %v %v", d, err)
	}
	return d
}

func fifo(t *testing.T, k Kind) {
	s := k.Open(t, freshName(t))
	put(t, s, 0, 20)
	if n, err := s.Size(ctx(t)); err != nil || n != 20 {
		t.Fatalf("size %d %v", n, err)
	}
	for i := range 20 {
		d := next(t, s)
		if d.Message.ID != Msg(i).ID {
			t.Fatalf("message %d: got %s", i, d.Message.ID)
		}
		if err := d.Ack(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := s.Next(ctx(t), 0); d != nil || err != nil {
		t.Fatalf("empty store gave %v %v", d, err)
	}
	if n, _ := s.Size(ctx(t)); n != 0 {
		t.Fatalf("size after acks %d", n)
	}
}

func release(t *testing.T, k Kind) {
	s := k.Open(t, freshName(t))
	put(t, s, 0, 3)
	d := next(t, s)
	if err := d.Release(ctx(t), 2); err != nil {
		t.Fatal(err)
	}
	again := next(t, s)
	if again.Message.ID != Msg(0).ID {
		t.Fatalf("released message not first again: %s", again.Message.ID)
	}
	_ = again.Ack(ctx(t))
	if n, _ := s.Size(ctx(t)); n != 2 {
		t.Fatalf("size %d", n)
	}
}

func exclusive(t *testing.T, k Kind) {
	s := k.Open(t, freshName(t))
	put(t, s, 0, 2)
	a := next(t, s)
	b := next(t, s)
	if a.Message.ID == b.Message.ID {
		t.Fatalf("the same message was leased twice: %s", a.Message.ID)
	}
	if d, err := s.Next(ctx(t), 0); d != nil || err != nil {
		t.Fatalf("a third lease: %v %v", d, err)
	}
	_ = a.Ack(ctx(t))
	_ = b.Ack(ctx(t))
}

func waits(t *testing.T, k Kind) {
	s := k.Open(t, freshName(t))
	got := make(chan *store.Delivery, 1)
	go func() {
		d, _ := s.Next(context.Background(), 10*time.Second)
		got <- d
	}()
	put(t, s, 0, 1)
	select {
	case d := <-got:
		if d == nil || d.Message.ID != Msg(0).ID {
			t.Fatalf("waiting consumer got %v", d)
		}
		_ = d.Ack(ctx(t))
	case <-time.After(15 * time.Second):
		t.Fatal("a waiting consumer never saw the put")
	}
}

func concurrent(t *testing.T, k Kind) {
	s := k.Open(t, freshName(t))
	const producers, each = 4, 50
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() { put(t, s, p*each, (p+1)*each) })
	}
	wg.Wait()
	seen := map[string]bool{}
	for range producers * each {
		d := next(t, s)
		if seen[d.Message.ID] {
			t.Fatalf("duplicate %s", d.Message.ID)
		}
		seen[d.Message.ID] = true
		_ = d.Ack(ctx(t))
	}
	if len(seen) != producers*each {
		t.Fatalf("got %d of %d", len(seen), producers*each)
	}
}

func roundTrip(t *testing.T, k Kind) {
	s := k.Open(t, freshName(t))
	m := Msg(7)
	m.Body = make([]byte, 256<<10)
	for i := range m.Body {
		m.Body[i] = byte(i * 7)
	}
	m.Axis2 = map[string]string{"messageType": "application/json"}
	if err := s.Put(ctx(t), m); err != nil {
		t.Fatal(err)
	}
	d := next(t, s)
	g := d.Message
	if g.ID != m.ID || string(g.Body) != string(m.Body) || g.Header.Get("X-Seq") != "7" || g.Props["seq"] != "7" || g.Axis2["messageType"] != "application/json" || g.ContentType != m.ContentType {
		t.Fatalf("round trip changed the message: %+v", g)
	}
	_ = d.Ack(ctx(t))
}

func durable(t *testing.T, k Kind) {
	name := freshName(t)
	s := k.Open(t, name)
	put(t, s, 0, 5)
	d := next(t, s)
	_ = d.Ack(ctx(t))
	leased := next(t, s) // leased but not acknowledged: must survive
	_ = leased
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := k.Open(t, name)
	for i := 1; i < 5; i++ {
		d := next(t, s2)
		if d.Message.ID != Msg(i).ID {
			t.Fatalf("after reopening, message %d is %s", i, d.Message.ID)
		}
		_ = d.Ack(ctx(t))
	}
}

func shared(t *testing.T, k Kind) {
	name := freshName(t)
	a, b := k.Open(t, name), k.Open(t, name)
	put(t, a, 0, 40)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for _, s := range []store.Store{a, b} {
		wg.Go(func() {
			for {
				d, err := s.Next(context.Background(), 2*time.Second)
				if err != nil || d == nil {
					return
				}
				mu.Lock()
				seen[d.Message.ID]++
				mu.Unlock()
				_ = d.Ack(context.Background())
			}
		})
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Fatalf("consumers saw %d of 40 messages", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s delivered %d times", id, n)
		}
	}
}
