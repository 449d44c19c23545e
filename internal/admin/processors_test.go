package admin_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/admin"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/testkit"
)

const storesXML = `<messageStore name="Orders"><parameter name="store.jms.password">secret</parameter><parameter name="store.jms.username">bus</parameter></messageStore>
<messageStore name="Audit"/>`

// procGraph has two stores and three processors: a forwarder (with a
// file name), a deactivated sampler and one that is only an
// engine.Processor.
func procGraph(t *testing.T) (*engine.Graph, *fakeProc, *fakeProc) {
	t.Helper()
	g := testkit.Graph(t, storesXML)
	fwd := &fakeProc{name: "Forwarder", typ: "Scheduled-message-forwarding-processor", store: "Orders", active: true,
		params: map[string]string{"interval": "1000", "max.delivery.attempts": "4", "client.password": "pw"}}
	smp := &fakeProc{name: "Sampler", typ: "Sampling-processor", store: "Audit"}
	g.Processors["Forwarder"] = fileProc{fwd}
	g.Processors["Sampler"] = smp
	g.Processors["Custom"] = bareProc{"Custom"}
	return g, fwd, smp
}

func TestProcessorList(t *testing.T) {
	t.Parallel()
	g, _, _ := procGraph(t)
	s := server(t, fixed{g})
	status, _, body := call(t, "GET", s.URL+"/management/message-processors", "")
	want := `{"count":3,"list":[{"name":"Custom","type":"Custom-message-processor","status":"unknown"},` +
		`{"name":"Forwarder","type":"Scheduled-message-forwarding-processor","status":"active"},` +
		`{"name":"Sampler","type":"Sampling-processor","status":"inactive"}]}`
	if status != 200 || strings.TrimSpace(body) != want {
		t.Fatalf("%d %s", status, body)
	}
	for key, names := range map[string]string{"SAMP": "Sampler", "r": "Forwarder,Sampler", "zzz": ""} {
		_, _, body := call(t, "GET", s.URL+"/management/message-processors?searchKey="+key, "")
		l := decode[admin.ProcessorList](t, body)
		var found []string
		for _, p := range l.List {
			found = append(found, p.Name)
		}
		if strings.Join(found, ",") != names || l.Count != len(found) || !strings.Contains(body, `"list":[`) {
			t.Errorf("searchKey=%s: %s", key, body)
		}
	}
}

func TestProcessorDetail(t *testing.T) {
	t.Parallel()
	g, _, _ := procGraph(t)
	s := server(t, fixed{g})
	status, _, body := call(t, "GET", s.URL+"/management/message-processors?name=Forwarder", "")
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	checks := map[string]any{"name": "Forwarder", "type": "Scheduled-message-forwarding-processor", "status": "active",
		"artifactContainer": "[ Deployed From Artifact Container: busbar ]", "fileName": "Forwarder.xml", "messageStore": "Orders",
		"configuration": `<messageProcessor name="Forwarder" messageStore="Orders"/>`}
	for k, want := range checks {
		if v[k] != want {
			t.Errorf("%s = %v, want %v", k, v[k], want)
		}
	}
	params, _ := json.Marshal(v["parameters"])
	stats, _ := json.Marshal(v["statistics"])
	if string(params) != `{"client.password":"*****","interval":"1000","max.delivery.attempts":"4"}` || string(stats) != `{"delivered":7,"lastError":"none"}` {
		t.Errorf("parameters %s statistics %s", params, stats)
	}

	_, _, body = call(t, "GET", s.URL+"/management/message-processors?name=Sampler", "")
	if strings.Contains(body, "fileName") || !strings.Contains(body, `"status":"inactive"`) {
		t.Errorf("sampler: %s", body)
	}
	_, _, body = call(t, "GET", s.URL+"/management/message-processors?name=Custom", "")
	if !strings.Contains(body, `"type":"Custom-message-processor"`) || !strings.Contains(body, `"parameters":{}`) {
		t.Errorf("custom: %s", body)
	}
	status, _, body = call(t, "GET", s.URL+"/management/message-processors?name=Nope", "")
	if status != 404 || strings.TrimSpace(body) != `{"Error":"Specified message processor ('Nope') not found"}` {
		t.Errorf("unknown: %d %s", status, body)
	}
}

// TestProcessorSwitch: MI's answers and checks, in MI's order.
func TestProcessorSwitch(t *testing.T) {
	t.Parallel()
	g, fwd, _ := procGraph(t)
	s := server(t, fixed{g})
	url := s.URL + "/management/message-processors"
	cases := []struct {
		name, body string
		status     int
		want       string
		active     bool
	}{
		{"deactivate", `{"name":"Forwarder","status":"inactive"}`, 200, `{"Message":"Forwarder : is deactivated"}`, false},
		{"bad status", `{"name":"Forwarder","status":"paused"}`, 400, `{"Error":"Provided state is not valid"}`, false},
		{"activate", `{"name":"Forwarder","status":"ACTIVE"}`, 200, `{"Message":"Forwarder : is activated"}`, true},
		{"unknown", `{"name":"Nope","status":"inactive"}`, 404, `{"Error":"Message processor does not exist"}`, true},
		{"unknown, bad status", `{"name":"Nope","status":"paused"}`, 404, `{"Error":"Message processor does not exist"}`, true},
		{"no status", `{"name":"Forwarder"}`, 400, `{"Error":"Missing parameters in payload"}`, true},
		{"no name", `{"status":"inactive"}`, 400, `{"Error":"Missing parameters in payload"}`, true},
		{"no body", ``, 400, `{"Error":"JSON payload is missing"}`, true},
		{"not managed", `{"name":"Custom","status":"inactive"}`, 501, `{"Error":"Message processor Custom cannot be activated or deactivated"}`, true},
	}
	for _, c := range cases {
		status, _, body := call(t, "POST", url, c.body)
		if status != c.status || strings.TrimSpace(body) != c.want {
			t.Errorf("%s: %d %s", c.name, status, body)
		}
		if fwd.Active() != c.active {
			t.Errorf("%s: active %v", c.name, fwd.Active())
		}
	}
	_, _, body := call(t, "GET", url, "")
	if !strings.Contains(body, `{"name":"Forwarder","type":"Scheduled-message-forwarding-processor","status":"active"}`) {
		t.Errorf("list after switching: %s", body)
	}
}

// TestStores: sizes come from the stores; a store that fails or hangs
// shows -1 with its error and does not fail the list.
func TestStores(t *testing.T) {
	t.Parallel()
	g, fwd, _ := procGraph(t)
	for _, id := range []string{"a", "b"} {
		if err := g.Stores["Orders"].Put(context.Background(), &store.Message{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	g.Stores["Rabbit"] = brokenStore{Store: store.NewMemory("Rabbit"), kind: "rabbitmq"}
	g.Stores["Hung"] = brokenStore{Store: store.NewMemory("Hung"), hang: true}
	fwd.store = "Orders"
	s := httptest.NewServer(admin.Handler(fixed{g}, admin.Options{Token: token, Log: testkit.Logger(t), SizeTimeout: 20 * time.Millisecond}))
	t.Cleanup(s.Close)

	status, _, body := call(t, "GET", s.URL+"/management/message-stores", "")
	l := decode[admin.StoreList](t, body)
	want := []admin.StoreSummary{
		{Name: "Audit", Type: "in-memory-message-store", Kind: "memory", Size: 0},
		{Name: "Hung", Type: "in-memory-message-store", Kind: "memory", Size: -1, Error: "context deadline exceeded"},
		{Name: "Orders", Type: "in-memory-message-store", Kind: "memory", Size: 2},
		{Name: "Rabbit", Type: "rabbitmq-message-store", Kind: "rabbitmq", Size: -1, Error: "dial tcp 127.0.0.1:5672: connection refused"},
	}
	if status != 200 || l.Count != 4 || len(l.List) != 4 {
		t.Fatalf("%d %s", status, body)
	}
	for i := range want {
		if l.List[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, l.List[i], want[i])
		}
	}
	if !strings.Contains(body, `{"name":"Audit","type":"in-memory-message-store","kind":"memory","size":0}`) {
		t.Errorf("an answering store has no error member: %s", body)
	}
	_, _, body = call(t, "GET", s.URL+"/management/message-stores?searchKey=ORD", "")
	if l := decode[admin.StoreList](t, body); l.Count != 1 || l.List[0].Name != "Orders" {
		t.Errorf("searchKey: %s", body)
	}
}

func TestStoreDetail(t *testing.T) {
	t.Parallel()
	g, _, _ := procGraph(t)
	s := server(t, fixed{g})
	status, _, body := call(t, "GET", s.URL+"/management/message-stores?name=Orders", "")
	v := decode[admin.StoreView](t, body)
	if status != 200 || v.Name != "Orders" || v.Type != "in-memory-message-store" || v.Size != 0 || v.Container != admin.ArtifactContainer ||
		v.Properties["store.jms.password"] != "*****" || v.Properties["store.jms.username"] != "bus" ||
		len(v.Processors) != 1 || v.Processors[0] != "Forwarder" {
		t.Fatalf("%d %s", status, body)
	}
	status, _, body = call(t, "GET", s.URL+"/management/message-stores?name=Nope", "")
	if status != 404 || strings.TrimSpace(body) != `{"Error":"Specified message store ('Nope') not found"}` {
		t.Fatalf("unknown: %d %s", status, body)
	}
	_, _, body = call(t, "GET", s.URL+"/management/message-stores?name=Audit", "")
	if !strings.Contains(body, `"properties":{}`) || !strings.Contains(body, `"processors":["Sampler"]`) {
		t.Fatalf("audit: %s", body)
	}
}

// TestManagedRoutesNeedToken: the new routes sit behind the token too.
func TestManagedRoutesNeedToken(t *testing.T) {
	t.Parallel()
	g, _ := withFailed(t, storesXML)
	s := server(t, fixed{g})
	for _, req := range [][2]string{
		{"GET", "/management/message-processors"}, {"POST", "/management/message-processors"},
		{"GET", "/management/message-stores"}, {"GET", "/management/failed-messages"},
		{"GET", "/management/failed-messages/x"}, {"PATCH", "/management/failed-messages/x"},
		{"DELETE", "/management/failed-messages/x"}, {"DELETE", "/management/failed-messages?all=true"},
		{"POST", "/management/failed-messages/x/resubmit"}, {"POST", "/management/failed-messages/resubmit"},
	} {
		if status, _, _ := call(t, req[0], s.URL+req[1], `{"all":true}`, "Authorization", "Bearer wrong"); status != 401 {
			t.Errorf("%v: %d", req, status)
		}
	}
}

func TestManagedNotLoaded(t *testing.T) {
	t.Parallel()
	s := server(t, fixed{})
	for _, p := range []string{"/management/message-processors", "/management/message-stores", "/management/failed-messages"} {
		if status, _, body := call(t, "GET", s.URL+p, ""); status != 503 || !strings.Contains(body, "not loaded") {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
}
