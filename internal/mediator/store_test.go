package mediator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/testkit"
)

// brokenStore refuses every message.
type brokenStore struct{ store.Store }

func (brokenStore) Put(context.Context, *store.Message) error { return errors.New("disk on fire") }

func storeCfg() string {
	return `<messageStore name="S"/><messageStore name="Fallback"/><messageStore name="Primary">
  <parameter name="store.producer.guaranteed.delivery.enable">true</parameter>
  <parameter name="store.failover.message.store.name">Fallback</parameter></messageStore>`
}

// TestStoreMediator: the message is kept with its headers, properties and
// body; the onStore sequence runs first; a dynamic store name works; a
// missing store fails; a failing store falls back to its guaranteed-
// delivery failover store, and fails the flow when there is none.
func TestStoreMediator(t *testing.T) {
	t.Parallel()
	g := testkit.Graph(t, `<sequence name="__test"><store messageStore="{$ctx:target}" sequence="mark"/><property name="after" value="1"/></sequence>
<sequence name="mark"><property name="marked" value="yes"/></sequence>`+storeCfg())
	res := testkit.RunOn(t, g, "__test", testkit.Input{Body: `{"order":1}`, ContentType: "application/json", Header: map[string][]string{"X-Trace": {"t1"}}, Props: map[string]string{"target": "S"}})
	if res.Err != nil || !res.Continue || res.Prop("after") != "1" {
		t.Fatalf("flow: %+v", res)
	}
	d, err := g.Stores["S"].Next(context.Background(), time.Second)
	if err != nil || d == nil {
		t.Fatalf("nothing stored: %v", err)
	}
	m := d.Message
	if string(m.Body) != `{"order":1}` || m.Header.Get("X-Trace") != "t1" || m.Props["marked"] != "yes" || m.ContentType != "application/json" {
		t.Fatalf("stored %+v", m)
	}

	res = testkit.RunOn(t, g, "__test", testkit.Input{Body: `{}`, ContentType: "application/json", Props: map[string]string{"target": "Nope"}})
	if res.Err == nil || !strings.Contains(res.Err.Message, `"Nope" does not exist`) {
		t.Fatalf("missing store: %v", res.Err)
	}

	g.Stores["Primary"] = brokenStore{g.Stores["Primary"]}
	res = testkit.RunOn(t, g, "__test", testkit.Input{Body: `{"k":2}`, ContentType: "application/json", Props: map[string]string{"target": "Primary"}})
	if res.Err != nil {
		t.Fatalf("failover store not used: %v", res.Err)
	}
	if n, _ := g.Stores["Fallback"].Size(context.Background()); n != 1 {
		t.Fatalf("failover store holds %d", n)
	}
	g.Stores["S"] = brokenStore{g.Stores["S"]}
	res = testkit.RunOn(t, g, "__test", testkit.Input{Body: `{}`, ContentType: "application/json", Props: map[string]string{"target": "S"}})
	if res.Err == nil || res.Err.Status != 503 || !strings.Contains(res.Err.Message, "Failed to store message") {
		t.Fatalf("broken store: %v", res.Err)
	}
}

// TestStoreAnswers202: an API that stores and ends answers 202; a store
// that fails answers 503 with the reason.
func TestStoreAnswers202(t *testing.T) {
	t.Parallel()
	srv := testkit.Serve(t, `<api name="q" context="/q"><resource methods="POST"><inSequence>
  <property name="FORCE_SC_ACCEPTED" value="true" scope="axis2"/><property name="OUT_ONLY" value="true"/>
  <store messageStore="S"/></inSequence></resource></api>`+storeCfg())
	r := testkit.Do(t, "POST", srv.URL+"/q", "application/json", `{"a":1}`)
	if r.Status != 202 || r.Body != "" {
		t.Fatalf("got %d %q", r.Status, r.Body)
	}
	if n, _ := srv.In.Graph().Stores["S"].Size(context.Background()); n != 1 {
		t.Fatalf("store holds %d", n)
	}
	srv.In.Graph().Stores["S"] = brokenStore{srv.In.Graph().Stores["S"]}
	r = testkit.Do(t, "POST", srv.URL+"/q", "application/json", `{"a":1}`)
	if r.Status != 503 || !strings.Contains(r.Body, "Failed to store message") {
		t.Fatalf("broken store: %d %q", r.Status, r.Body)
	}
}
