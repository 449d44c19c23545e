package stores_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/store/storetest"
	"github.com/busbar/busbar/internal/testkit"
)

const reseqClass = "org.apache.synapse.message.store.impl.resequencer.ResequenceMessageStore"

// symbolPath is MI's documented example: the number after the dash in
// the order's symbol, with the prefix declared on the parameter.
const symbolPath = `<parameter xmlns:m0="http://services.samples" name="store.resequence.id.path" expression="substring-after(//m0:placeOrder/m0:order/m0:symbol, '-')"/>`

// reseqXML is a resequencing <messageStore> on the test database.
func reseqXML(name, table, idPath, timeout string) string {
	return `<messageStore name="` + name + `" class="` + reseqClass + `">` +
		param("store.jdbc.connection.url", testURL) + param("store.jdbc.username", "postgres") +
		param("store.jdbc.table", table) + idPath + param("store.resequence.timeout", timeout) + `</messageStore>`
}

// uniqueStoreName returns a store name of its own, whose row in
// tbl_lastprocessid is removed when the test ends.
func uniqueStoreName(t *testing.T) string {
	name := "R_" + suffix()
	t.Cleanup(func() { forgetLast(t, name) })
	return name
}

func forgetLast(t *testing.T, name string) {
	sql(t, `DELETE FROM tbl_lastprocessid WHERE statement = '`+name+`'`)
}

// order is a placeOrder message whose symbol carries the sequence number.
func order(seq string) *store.Message {
	return &store.Message{ID: "urn:uuid:order-" + seq, Created: time.Now().UTC(), Method: "POST", ContentType: "application/xml",
		Body: []byte(`<m0:placeOrder xmlns:m0="http://services.samples"><m0:order><m0:symbol>IBM-` + seq + `</m0:symbol></m0:order></m0:placeOrder>`)}
}

func ackNext(t *testing.T, s store.Store, wait time.Duration, wantSeq int) {
	t.Helper()
	d := mustNext(t, s, wait)
	if want := order(fmt.Sprint(wantSeq)).ID; d.Message.ID != want {
		t.Fatalf("got %s, want %s", d.Message.ID, want)
	}
	if err := d.Ack(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// TestResequenceConformance runs the store suite with the sequence number
// in a property; storetest numbers its messages from 0 in put order, so
// the queue is the same FIFO (a lone message 7 waits the 1 s gap timeout).
func TestResequenceConformance(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "postgres")
	run := suffix()
	storetest.Run(t, storetest.Kind{Durable: true, Shared: true, Open: func(t *testing.T, name string) store.Store {
		table := "bbt_" + run + "_" + name
		t.Cleanup(func() {
			dropTable(t, table)
			forgetLast(t, name)
		})
		return openStore(t, reseqXML(name, table, `<parameter name="store.resequence.id.path" expression="$ctx:seq"/>`, "1"), name)
	}})
}

// TestResequenceOrder: messages come out in sequence-number order
// whatever the order they were stored in; a gap is waited for up to the
// timeout (counted from when the message after it was stored) and then
// skipped; a message arriving after its turn is delivered at once; the
// last processed number survives a new store on the same table.
func TestResequenceOrder(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "postgres")
	table, name := uniqueTable(t, "bbt_reseq"), uniqueStoreName(t)
	s := openStore(t, reseqXML(name, table, symbolPath, "2"), name)
	for _, n := range []string{"3", "1", "2"} {
		mustPut(t, s, order(n))
	}
	for want := 1; want <= 3; want++ {
		ackNext(t, s, 5*time.Second, want)
	}

	stored := time.Now()
	mustPut(t, s, order("5"))
	ackNext(t, s, 10*time.Second, 5)
	if waited := time.Since(stored); waited < 1950*time.Millisecond {
		t.Fatalf("message 5 was handed out after %v, before the 2 s gap timeout", waited)
	}

	mustPut(t, s, order("4")) // after its turn: no waiting
	ackNext(t, s, 0, 4)
	if last := queryInt(t, `SELECT seq_id FROM tbl_lastprocessid WHERE statement = $1`, name); last != 5 {
		t.Fatalf("last processed %d, want 5", last)
	}

	// A restarted node (a new store, a long timeout) goes on from 6.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, reseqXML(name, table, symbolPath, "60"), name)
	mustPut(t, s2, order("7"))
	mustPut(t, s2, order("6"))
	ackNext(t, s2, 0, 6)
	ackNext(t, s2, 0, 7)
	mustSize(t, s2, 0)
}

// TestResequenceWaitsForever: with a timeout of -1 a gap is never
// skipped; the missing message releases the ones behind it.
func TestResequenceWaitsForever(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "postgres")
	table, name := uniqueTable(t, "bbt_reseq"), uniqueStoreName(t)
	s := openStore(t, reseqXML(name, table, symbolPath, "-1"), name)
	mustPut(t, s, order("2"))
	if d, err := s.Next(ctxT(t), 1500*time.Millisecond); d != nil || err != nil {
		t.Fatalf("message 2 was handed out before 1: %v %v", d, err)
	}
	mustPut(t, s, order("1"))
	ackNext(t, s, 5*time.Second, 1)
	ackNext(t, s, 0, 2)
}

// TestResequenceReleaseKeepsOrder: a released message is the next one
// handed out again, and while it is leased the following number may go to
// a second consumer, but nothing past a gap does.
func TestResequenceReleaseKeepsOrder(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "postgres")
	table, name := uniqueTable(t, "bbt_reseq"), uniqueStoreName(t)
	xml := reseqXML(name, table, symbolPath, "60")
	a, b := openStore(t, xml, name), openStore(t, xml, name)
	for _, n := range []string{"1", "2", "4"} {
		mustPut(t, a, order(n))
	}
	first := mustNext(t, a, 5*time.Second)
	second := mustNext(t, b, 5*time.Second)
	if first.Message.ID != order("1").ID || second.Message.ID != order("2").ID {
		t.Fatalf("handed out %s and %s", first.Message.ID, second.Message.ID)
	}
	if d, err := b.Next(ctxT(t), 0); d != nil || err != nil {
		t.Fatalf("message 4 was handed out across the gap at 3: %v %v", d, err)
	}
	if err := first.Release(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	ackNext(t, b, 0, 1)
	if err := second.Ack(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mustPut(t, a, order("3"))
	ackNext(t, a, 5*time.Second, 3)
	ackNext(t, b, 5*time.Second, 4)
}

// TestResequenceUnreadableNumber: a message whose sequence number cannot
// be read is refused, so the store mediator fails the flow.
func TestResequenceUnreadableNumber(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "postgres")
	table, name := uniqueTable(t, "bbt_reseq"), uniqueStoreName(t)
	s := openStore(t, reseqXML(name, table, symbolPath, "1"), name)
	err := s.Put(ctxT(t), order("x"))
	if err == nil || !strings.Contains(err.Error(), `gave "x", not an integer sequence number`) {
		t.Fatalf("put: %v", err)
	}
	mustSize(t, s, 0)
}

// TestResequenceConfigErrors: the resequencing parameters are checked when
// the configuration compiles, at the parameter that is wrong.
func TestResequenceConfigErrors(t *testing.T) {
	t.Parallel()
	def := func(params ...string) string {
		return `<messageStore name="S" class="` + reseqClass + `">
  ` + param("store.jdbc.connection.url", testURL) + `
  ` + strings.Join(params, "\n  ") + `
</messageStore>`
	}
	timeout := param("store.resequence.timeout", "5")
	checkConfigErrors(t, []configCase{
		{"missing id path", def(timeout), `<messageStore`,
			"<messageStore> S needs the parameter store.resequence.id.path"},
		{"bad id path", def(timeout, `<parameter name="store.resequence.id.path" expression="//m0:order["/>`), `expression="//m0:order["`,
			"invalid XPath"},
		{"empty id path", def(timeout, `<parameter name="store.resequence.id.path"/>`), `<parameter name="store.resequence.id.path"`,
			"store.resequence.id.path needs an expression attribute"},
		{"missing timeout", def(symbolPath), `<messageStore`,
			"<messageStore> S needs the parameter store.resequence.timeout"},
		{"bad timeout", def(symbolPath, param("store.resequence.timeout", "soon")), `<parameter name="store.resequence.timeout"`,
			`store.resequence.timeout="soon" must be a number of seconds`},
	})
}
