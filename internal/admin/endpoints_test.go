package admin_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/admin"
	"github.com/busbar/busbar/internal/endpoint"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/testkit"
)

const token = "s3cret-token"

// artifacts has one endpoint of each leaf kind; Backend has explicit
// suspension settings so the advanced view has something to show.
const artifacts = `
<endpoint name="Backend"><address uri="http://127.0.0.1:1/orders">
  <markForSuspension><errorCodes>101504, 101505</errorCodes><retriesBeforeSuspension>2</retriesBeforeSuspension><retryDelay>500</retryDelay></markForSuspension>
  <suspendOnFailure><errorCodes>101503</errorCodes><initialDuration>1000</initialDuration><progressionFactor>2</progressionFactor><maximumDuration>8000</maximumDuration></suspendOnFailure>
</address></endpoint>
<endpoint name="StockHTTP"><http uri-template="http://127.0.0.1:1/stock/{uri.var.id}" method="get"/></endpoint>
<endpoint name="ToDefault"><default/></endpoint>`

type fixed struct{ g *engine.Graph }

func (f fixed) Graph() *engine.Graph { return f.g }

// server serves the management API over g on 127.0.0.1:0.
func server(t *testing.T, src admin.GraphSource) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(admin.Handler(src, admin.Options{Token: token, Log: testkit.Logger(t)}))
	t.Cleanup(s.Close)
	return s
}

func call(t *testing.T, method, url, body string, auth ...string) (int, http.Header, string) {
	t.Helper()
	if auth == nil {
		auth = []string{"Authorization", "Bearer " + token}
	}
	r := testkit.Do(t, method, url, "application/json", body, auth...)
	return r.Status, r.Header, r.Body
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	return v
}

func tracker(t *testing.T, g *engine.Graph, name string) *endpoint.Tracker {
	t.Helper()
	ep, ok := g.Endpoints[name].(interface{ Tracker() *endpoint.Tracker })
	if !ok {
		t.Fatalf("endpoint %s has no tracker", name)
	}
	return ep.Tracker()
}

func TestListAndSearch(t *testing.T) {
	t.Parallel()
	g := testkit.Graph(t, artifacts)
	tracker(t, g, "StockHTTP").SwitchOff()
	s := server(t, fixed{g})

	status, _, body := call(t, "GET", s.URL+"/management/endpoints", "")
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	got := decode[admin.EndpointList](t, body)
	want := []admin.EndpointSummary{
		{Name: "Backend", Type: "address", IsActive: true, State: "ACTIVE"},
		{Name: "StockHTTP", Type: "http", IsActive: false, State: "OFF"},
		{Name: "ToDefault", Type: "default", IsActive: true, State: "ACTIVE"},
	}
	if got.Count != 3 || len(got.List) != 3 {
		t.Fatalf("list %s", body)
	}
	for i := range want {
		if got.List[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, got.List[i], want[i])
		}
	}

	for key, names := range map[string]string{"sTOCK": "StockHTTP", "t": "StockHTTP,ToDefault", "zzz": ""} {
		_, _, body := call(t, "GET", s.URL+"/management/endpoints?searchKey="+key, "")
		res := decode[admin.EndpointList](t, body)
		var found []string
		for _, e := range res.List {
			found = append(found, e.Name)
		}
		if strings.Join(found, ",") != names || res.Count != len(found) || !strings.Contains(body, `"list":[`) {
			t.Errorf("searchKey=%s: %s", key, body)
		}
	}
}

// TestDetailAfterRealFailure: a message sent through an endpoint whose
// backend refuses connections suspends it, and the detail shows the
// suspension with its code and the definition's advanced settings.
func TestDetailAfterRealFailure(t *testing.T) {
	t.Parallel()
	addr := closedPort(t)
	srv := testkit.Serve(t, `
<endpoint name="Refused"><address uri="http://`+addr+`/x">
  <suspendOnFailure><initialDuration>60000</initialDuration></suspendOnFailure>
</address></endpoint>
<api name="a" context="/a"><resource methods="GET"><inSequence><call><endpoint key="Refused"/></call><respond/></inSequence></resource></api>`)
	testkit.Do(t, "GET", srv.URL+"/a", "", "")
	s := server(t, srv.In)

	status, _, body := call(t, "GET", s.URL+"/management/endpoints?endpointName=Refused", "")
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	v := decode[admin.EndpointView](t, body)
	if v.Name != "Refused" || v.Type != "address" || v.IsActive || v.State != "SUSPENDED" || *v.LastSuspendDuration != 60000 || *v.RemainingRetries != 0 {
		t.Fatalf("view %s", body)
	}
	next, err := time.Parse(time.RFC3339, v.NextRetryTime)
	if err != nil || time.Until(next) < 50*time.Second {
		t.Fatalf("nextRetryTime %q: %v", v.NextRetryTime, err)
	}
	if len(v.Transitions) != 1 || v.Transitions[0].From != "ACTIVE" || v.Transitions[0].To != "SUSPENDED" || v.Transitions[0].Code != "101503" {
		t.Fatalf("transitions %+v", v.Transitions)
	}
	if !strings.Contains(v.Configuration, `<endpoint`) || !strings.Contains(v.Configuration, `name="Refused"`) || !strings.Contains(v.Configuration, `uri="http://`+addr+`/x"`) {
		t.Fatalf("configuration %q", v.Configuration)
	}
	if v.Advanced == nil || v.Advanced.SuspendState.InitialDuration != 60000 || v.Advanced.SuspendState.MaxDuration != 1<<63-1 || v.Tracing != "disabled" {
		t.Fatalf("advanced %s", body)
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestDetailFields: with a fixed clock, a timeout-class fault moves the
// endpoint to TIMEOUT and every field has an exact value, including MI's
// misspelt "reties".
func TestDetailFields(t *testing.T) {
	t.Parallel()
	g := testkit.Graph(t, artifacts)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("X", 3600))
	g.Options.Runtime.Now = func() time.Time { return now }
	if out := tracker(t, g, "Backend").OnFault(fault.Num(fault.ConnectionTimeout)); out != endpoint.TimedOut {
		t.Fatalf("outcome %v", out)
	}
	s := server(t, fixed{g})

	_, _, body := call(t, "GET", s.URL+"/management/endpoints?endpointName=Backend", "")
	var raw map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	adv := raw["advanced"].(map[string]any)
	checks := map[string]any{
		"state": "TIMEOUT", "isActive": false, "remainingRetries": 1.0, "lastSuspendDuration": -1.0,
		"nextRetryTime": "2026-03-01T11:00:00.5Z", "type": "address", "tracing": "disabled",
	}
	for k, want := range checks {
		if raw[k] != want {
			t.Errorf("%s = %v, want %v", k, raw[k], want)
		}
	}
	ts, _ := json.Marshal(adv["timeoutState"])
	ss, _ := json.Marshal(adv["suspendState"])
	if string(ts) != `{"errorCodes":[101504,101505],"reties":2,"retryDelay":500}` ||
		string(ss) != `{"errorCodes":[101503],"initialDuration":1000,"maxDuration":8000,"progressionFactor":2}` {
		t.Errorf("advanced %s %s", ts, ss)
	}
	tr := raw["transitions"].([]any)[0].(map[string]any)
	if tr["at"] != "2026-03-01T11:00:00Z" || tr["from"] != "ACTIVE" || tr["to"] != "TIMEOUT" || tr["code"] != "101504" {
		t.Errorf("transition %v", tr)
	}

	_, _, body = call(t, "GET", s.URL+"/management/endpoints?endpointName=ToDefault", "")
	if strings.Contains(body, "nextRetryTime") || !strings.Contains(body, `"errorCodes":[]`) || !strings.Contains(body, `"maxDuration":9223372036854775807`) {
		t.Errorf("active endpoint view %s", body)
	}
}

// TestSwitch: MI's messages and status codes for switching off and on,
// and the state they leave.
func TestSwitch(t *testing.T) {
	t.Parallel()
	g := testkit.Graph(t, artifacts)
	s := server(t, fixed{g})
	url := s.URL + "/management/endpoints"
	cases := []struct {
		name, body string
		status     int
		want       string
		state      endpoint.State
	}{
		{"off", `{"name":"Backend","status":"inactive"}`, 200, `{"Message":"Backend is switched Off"}`, endpoint.Off},
		{"off again", `{"name":"Backend","status":"INACTIVE"}`, 200, `{"Message":"Backend is switched Off"}`, endpoint.Off},
		{"bad status", `{"name":"Backend","status":"paused"}`, 400, `{"Error":"Provided state is not valid"}`, endpoint.Off},
		{"on", `{"name":"Backend","status":"Active"}`, 200, `{"Message":"Backend is switched On"}`, endpoint.Active},
		{"unknown", `{"name":"Nope","status":"active"}`, 404, `{"Error":"Endpoint does not exist"}`, endpoint.Active},
		{"no body", ``, 400, `{"Error":"JSON payload is missing"}`, endpoint.Active},
		{"no name", `{"status":"active"}`, 400, `{"Error":"Missing parameters in payload"}`, endpoint.Active},
		{"no status", `{"name":"Backend"}`, 400, `{"Error":"Missing parameters in payload"}`, endpoint.Active},
		{"trace", `{"name":"Backend","trace":"enable"}`, 400, `{"Error":"Busbar does not support endpoint tracing"}`, endpoint.Active},
	}
	for _, c := range cases {
		status, h, body := call(t, "POST", url, c.body)
		if status != c.status || strings.TrimSpace(body) != c.want || h.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", c.name, status, body)
		}
		if st := tracker(t, g, "Backend").State(); st != c.state {
			t.Errorf("%s: state %v, want %v", c.name, st, c.state)
		}
	}
	status, _, body := call(t, "POST", url, `{"name":`)
	if status != 400 || !strings.Contains(body, "invalid JSON payload") {
		t.Errorf("broken JSON: %d %s", status, body)
	}
	trs := tracker(t, g, "Backend").Status().Transitions
	if len(trs) != 2 || trs[0].Reason != "switched off" || trs[1].Reason != "switched on" {
		t.Errorf("transitions %+v", trs)
	}
}

// TestAuth: every management route needs the exact token; /healthz does
// not.
func TestAuth(t *testing.T) {
	t.Parallel()
	s := server(t, fixed{testkit.Graph(t, artifacts)})
	for _, auth := range [][]string{
		{"X-None", "x"},
		{"Authorization", "Bearer wrong"},
		{"Authorization", "Bearer " + token + "x"},
		{"Authorization", "Basic " + token},
		{"Authorization", "Bearer "},
	} {
		for _, req := range [][2]string{{"GET", "/management/endpoints"}, {"POST", "/management/endpoints"}, {"GET", "/management/nothing"}} {
			status, h, body := call(t, req[0], s.URL+req[1], `{"name":"Backend","status":"inactive"}`, auth...)
			if status != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(body, `"Error":`) {
				t.Errorf("%v %v: %d %v %s", auth, req, status, h, body)
			}
		}
	}
	if status, _, _ := call(t, "GET", s.URL+"/management/endpoints", "", "Authorization", "bearer "+token); status != 200 {
		t.Errorf("lower-case scheme: %d", status)
	}
	if status, _, body := call(t, "GET", s.URL+"/management/nothing", ""); status != 404 || !strings.Contains(body, `"Error":`) {
		t.Errorf("unknown resource: %d %s", status, body)
	}
	if status, _, body := call(t, "GET", s.URL+"/healthz", "", "X-None", "x"); status != 200 || !strings.Contains(body, "ready") {
		t.Errorf("healthz: %d %s", status, body)
	}
}

// TestEmptyTokenLocks: a handler built without a token refuses everyone.
func TestEmptyTokenLocks(t *testing.T) {
	t.Parallel()
	s := httptest.NewServer(admin.Handler(fixed{testkit.Graph(t, artifacts)}, admin.Options{}))
	defer s.Close()
	if status, _, _ := call(t, "GET", s.URL+"/management/endpoints", "", "Authorization", "Bearer "); status != 401 {
		t.Fatalf("status %d", status)
	}
}

func TestNotLoaded(t *testing.T) {
	t.Parallel()
	s := server(t, fixed{})
	if status, _, body := call(t, "GET", s.URL+"/management/endpoints", ""); status != 503 || !strings.Contains(body, "not loaded") {
		t.Fatalf("%d %s", status, body)
	}
	if status, _, _ := call(t, "GET", s.URL+"/healthz", ""); status != 503 {
		t.Fatalf("healthz %d", status)
	}
}

func TestUnknownDetail(t *testing.T) {
	t.Parallel()
	s := server(t, fixed{testkit.Graph(t, artifacts)})
	if status, _, body := call(t, "GET", s.URL+"/management/endpoints?endpointName=Nope", ""); status != 404 || strings.TrimSpace(body) != `{"Error":"Endpoint does not exist"}` {
		t.Fatalf("%d %s", status, body)
	}
}

// TestGroupView: a failover lists its children with their own states and
// its failover count; switching "children" switches them (JMX semantics),
// switching the group itself turns it OFF.
func TestGroupView(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()
	g := testkit.Graph(t, fmt.Sprintf(`<endpoint name="G"><failover><endpoint name="A"><address uri="http://%s/"/></endpoint><endpoint name="B"><address uri="http://%s/"/></endpoint></failover></endpoint>`, down, down))
	h := admin.Handler(fixed{g}, admin.Options{Token: "t", Log: testkit.Logger(t)})
	do := func(method, target, body string) (int, map[string]any) {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	code, v := do("GET", "/management/endpoints?endpointName=G", "")
	kids, _ := v["children"].([]any)
	if code != 200 || v["type"] != "failover" || len(kids) != 2 || v["retries"] != float64(0) {
		t.Fatalf("view %d %v", code, v)
	}
	if code, _ := do("POST", "/management/endpoints", `{"name":"G","status":"inactive","children":true}`); code != 200 {
		t.Fatalf("switch children: %d", code)
	}
	_, v = do("GET", "/management/endpoints?endpointName=G", "")
	kids, _ = v["children"].([]any)
	if v["state"] != "ACTIVE" || kids[0].(map[string]any)["state"] != "OFF" || kids[1].(map[string]any)["state"] != "OFF" {
		t.Fatalf("after switching children: %v", v)
	}
	do("POST", "/management/endpoints", `{"name":"G","status":"inactive"}`)
	if _, v = do("GET", "/management/endpoints?endpointName=G", ""); v["state"] != "OFF" {
		t.Fatalf("group not switched off: %v", v)
	}
}
