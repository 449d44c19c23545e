package admin_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/admin"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/testkit"
)

// IDs as Synapse makes them, plus one that needs escaping in a path.
const (
	id1 = "urn:uuid:6f1c0b9e-0001-4a55-9c1e-000000000001"
	id2 = "urn:uuid:6f1c0b9e-0002-4a55-9c1e-000000000002"
	id3 = "urn:uuid:6f1c0b9e-0003-4a55-9c1e-000000000003"
	odd = "ID:host/queue?x=1#frag %41"
)

// failedSetup serves a graph with a failed-message store holding four
// records: three from processor Forwarder (one of them at another
// endpoint) and one from a sequence.
func failedSetup(t *testing.T) (string, *engine.Graph, *failed.DB, *fakeProc) {
	t.Helper()
	g, db := withFailed(t, storesXML)
	fwd := &fakeProc{name: "Forwarder", typ: "Scheduled-message-forwarding-processor", store: "Orders", active: true}
	g.Processors["Forwarder"] = fwd
	record(t, db, id1, "Forwarder", "OrdersEP", "101503", "Connection refused", `{"order":1}`, 0)
	record(t, db, id2, "Forwarder", "OrdersEP", "101504", "Read timeout", `{"order":2}`, 10)
	record(t, db, id3, "Forwarder", "StockEP", "101503", "Connection refused to stock", `{"order":3,"note":"URGENT"}`, 20)
	record(t, db, odd, "", "", "0", "XPath error", `<a/>`, 30)
	return server(t, fixed{g}).URL, g, db, fwd
}

// errText is the Error member of an error answer ("" for anything else).
func errText(t *testing.T, body string) string {
	t.Helper()
	return decode[admin.Error](t, body).Error
}

func ids(l admin.FailedList) string {
	var out []string
	for _, m := range l.List {
		out = append(out, m.ID)
	}
	return strings.Join(out, ",")
}

func TestFailedList(t *testing.T) {
	t.Parallel()
	u, _, _, _ := failedSetup(t)
	cases := []struct{ query, want string }{
		{"", odd + "," + id3 + "," + id2 + "," + id1},
		{"?artifact=Forwarder", id3 + "," + id2 + "," + id1},
		{"?artifact=API%5Borders%5D", odd + "," + id3 + "," + id2 + "," + id1},
		{"?endpoint=stockep", id3},
		{"?errorCode=101503", id3 + "," + id1},
		{"?errorCode=101503&endpoint=OrdersEP", id1},
		{"?text=urgent", id3},
		{"?text=TIMEOUT", id2},
		{"?status=failed&from=2026-03-01T12:05:00Z&to=2026-03-01T12:25:00Z", id3 + "," + id2},
		{"?from=2026-03-01T13:05:00%2B01:00", odd + "," + id3 + "," + id2},
		{"?status=resubmitted", ""},
	}
	for _, c := range cases {
		status, _, body := call(t, "GET", u+"/management/failed-messages"+c.query, "")
		l := decode[admin.FailedList](t, body)
		if status != 200 || ids(l) != c.want || l.Count != len(l.List) || !strings.Contains(body, `"list":[`) {
			t.Errorf("%s: %d %s", c.query, status, body)
		}
	}
	_, _, body := call(t, "GET", u+"/management/failed-messages?limit=2", "")
	if l := decode[admin.FailedList](t, body); l.Count != 2 || l.Total != 4 || ids(l) != odd+","+id3 {
		t.Errorf("limit: %s", body)
	}
	_, _, body = call(t, "GET", u+"/management/failed-messages?errorCode=101504", "")
	want := `{"id":"` + id2 + `","artifact":"api[orders]","endpoint":"OrdersEP","processor":"Forwarder","store":"Orders","step":"processor",` +
		`"errorCode":"101504","errorMessage":"Read timeout","firstFailed":"2026-03-01T12:10:00Z","lastFailed":"2026-03-01T12:10:00Z",` +
		`"attempts":1,"status":"failed","resubmits":0,"contentType":"application/json","bodySize":11}`
	if !strings.Contains(body, want) || strings.Contains(body, `"body"`) {
		t.Errorf("summary:\n%s\nwant\n%s", body, want)
	}
}

func TestFailedListRefusesBadFilters(t *testing.T) {
	t.Parallel()
	u, _, _, _ := failedSetup(t)
	for q, want := range map[string]string{
		"?from=yesterday":   `from "yesterday" is not an RFC 3339 time`,
		"?to=2026-03-01":    `to "2026-03-01" is not an RFC 3339 time`,
		"?status=broken":    `status "broken" is not failed or resubmitted`,
		"?limit=-1":         `limit "-1" is not a whole number`,
		"?limit=ten":        `limit "ten" is not a whole number`,
		"?limit=2&status=x": `status "x"`,
	} {
		status, _, body := call(t, "GET", u+"/management/failed-messages"+q, "")
		if status != 400 || !strings.Contains(errText(t, body), want) {
			t.Errorf("%s: %d %s", q, status, body)
		}
	}
}

func TestFailedShow(t *testing.T) {
	t.Parallel()
	u, _, _, _ := failedSetup(t)
	status, _, body := call(t, "GET", u+"/management/failed-messages/"+id3, "")
	r := decode[failed.Record](t, body)
	if status != 200 || r.ID != id3 || r.Body != `{"order":3,"note":"URGENT"}` || r.Message.Header.Get("X-Trace") != "t-"+id3 ||
		r.Message.Props["ORDER"] != id3 || r.FailInfo != "failureString=Connection refused to stock" || len(r.Attempts) != 1 ||
		r.Attempts[0].Code != "101503" || r.Processor != "Forwarder" || r.Status != "failed" {
		t.Fatalf("%d %s", status, body)
	}
	// An ID with "/", "?", "#", "%" and a space, escaped as one segment.
	status, _, body = call(t, "GET", u+"/management/failed-messages/"+url.PathEscape(odd), "")
	if r := decode[failed.Record](t, body); status != 200 || r.ID != odd || r.Body != "<a/>" {
		t.Fatalf("odd ID: %d %s", status, body)
	}
	status, _, body = call(t, "GET", u+"/management/failed-messages/urn:uuid:nope", "")
	if status != 404 || strings.TrimSpace(body) != `{"Error":"Failed message urn:uuid:nope does not exist"}` {
		t.Fatalf("unknown: %d %s", status, body)
	}
}

func TestFailedEdit(t *testing.T) {
	t.Parallel()
	u, _, db, _ := failedSetup(t)
	edit := `{"body":"{\"order\":1,\"fixed\":true}","contentType":"application/vnd.order+json",` +
		`"headers":{"X-Trace":null,"x-fixed-by":"ops"},"properties":{"ORDER":null,"REASON":"typo"}}`
	status, _, body := call(t, "PATCH", u+"/management/failed-messages/"+id1, edit)
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	r, err := db.Get(id1)
	if err != nil {
		t.Fatal(err)
	}
	m := r.Message
	if r.Body != `{"order":1,"fixed":true}` || string(m.Body) != r.Body || m.ContentType != "application/vnd.order+json" ||
		m.Header.Get("Content-Type") != "application/vnd.order+json" || m.Header.Get("X-Trace") != "" ||
		m.Header.Get("X-Fixed-By") != "ops" || m.Props["ORDER"] != "" || m.Props["REASON"] != "typo" || r.Status != "failed" {
		t.Fatalf("record after edit: %+v %+v body %q", r, m, r.Body)
	}
	if !strings.Contains(body, `\"fixed\":true`) {
		t.Errorf("the answer is the edited record: %s", body)
	}
	// PUT is the same edit, for clients without PATCH.
	if status, _, body := call(t, "PUT", u+"/management/failed-messages/"+url.PathEscape(odd), `{"body":"<b/>"}`); status != 200 {
		t.Fatalf("PUT: %d %s", status, body)
	}
	if r, _ := db.Get(odd); r.Body != "<b/>" || r.Message.ContentType != "application/json" {
		t.Fatalf("PUT changed more than the body: %+v", r)
	}

	cases := []struct {
		name, id, body string
		status         int
		want           string
	}{
		{"nothing", id2, `{}`, 400, "nothing to change"},
		{"misspelt", id2, `{"bdy":"x"}`, 400, `unknown field "bdy"`},
		{"no body", id2, ``, 400, "JSON payload is missing"},
		{"unknown", "urn:uuid:nope", `{"body":"x"}`, 404, "Failed message urn:uuid:nope does not exist"},
	}
	for _, c := range cases {
		status, _, body := call(t, "PATCH", u+"/management/failed-messages/"+c.id, c.body)
		if status != c.status || !strings.Contains(errText(t, body), c.want) {
			t.Errorf("%s: %d %s", c.name, status, body)
		}
	}
	if _, err := db.Update(id2, func(r *failed.Record) error { r.Status = failed.StatusResubmitted; return nil }); err != nil {
		t.Fatal(err)
	}
	status, _, body = call(t, "PATCH", u+"/management/failed-messages/"+id2, `{"body":"x"}`)
	if status != 409 || !strings.Contains(body, "has status resubmitted; only a message with status failed can be edited") {
		t.Fatalf("edit while resubmitted: %d %s", status, body)
	}
	if r, _ := db.Get(id2); r.Body != `{"order":2}` {
		t.Fatalf("a refused edit changed the record: %q", r.Body)
	}
}

// TestResubmitOne: the processor gets the (edited) record, which is then
// resubmitted; resubmitting it again is a conflict.
func TestResubmitOne(t *testing.T) {
	t.Parallel()
	u, _, db, fwd := failedSetup(t)
	call(t, "PATCH", u+"/management/failed-messages/"+id1, `{"body":"{\"order\":1,\"fixed\":true}"}`)
	status, _, body := call(t, "POST", u+"/management/failed-messages/"+id1+"/resubmit", "")
	if status != 200 || strings.TrimSpace(body) != `{"Message":"Failed message `+id1+` resubmitted to Forwarder"}` {
		t.Fatalf("%d %s", status, body)
	}
	got := fwd.received()
	if len(got) != 1 || got[0].ID != id1 || string(got[0].Message.Body) != `{"order":1,"fixed":true}` {
		t.Fatalf("the processor got %+v", got)
	}
	if r, _ := db.Get(id1); r.Status != failed.StatusResubmitted || r.Resubmits != 1 {
		t.Fatalf("record %+v", r)
	}
	status, _, body = call(t, "POST", u+"/management/failed-messages/"+id1+"/resubmit", "")
	if status != 409 || !strings.Contains(body, "has status resubmitted; only a message with status failed can be resubmitted") {
		t.Fatalf("again: %d %s", status, body)
	}
	if len(fwd.received()) != 1 {
		t.Fatal("resubmitted twice")
	}
	// force: the store may have lost it (an in-memory store restarted).
	status, _, body = call(t, "POST", u+"/management/failed-messages/"+id1+"/resubmit?force=true", "")
	if r, _ := db.Get(id1); status != 200 || len(fwd.received()) != 2 || r.Status != failed.StatusResubmitted || r.Resubmits != 2 {
		t.Fatalf("forced: %d %s %+v", status, body, r)
	}
}

// TestResubmitFailsAgainAtOnce: a message that fails again before
// Resubmit returns keeps its new failure (status failed, one more
// attempt), and counts the resubmission.
func TestResubmitFailsAgainAtOnce(t *testing.T) {
	t.Parallel()
	u, _, db, fwd := failedSetup(t)
	fwd.onResubmit = func(r *failed.Record) error {
		again := *r
		again.LastFailed = time.Time{}
		again.Attempts = []failed.Attempt{{At: t0.Add(time.Hour), Code: "101503", Message: "still refused"}}
		return db.Record(context.Background(), &again)
	}
	if status, _, body := call(t, "POST", u+"/management/failed-messages/"+id1+"/resubmit", ""); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	r, _ := db.Get(id1)
	if r.Status != failed.StatusFailed || r.Resubmits != 1 || len(r.Attempts) != 2 {
		t.Fatalf("record %+v", r)
	}
}

func TestResubmitConflicts(t *testing.T) {
	t.Parallel()
	u, g, db, fwd := failedSetup(t)
	fwd.onResubmit = func(r *failed.Record) error {
		if r.ID == id2 {
			return errors.New("store Orders: connection refused")
		}
		return nil
	}
	g.Processors["Forwarder"] = fwd
	cases := []struct {
		name, id string
		setup    func()
		status   int
		want     string
	}{
		{"no processor", odd, nil, 409, `failed message ` + odd + ` did not fail in a message processor (step "sequence"), so there is none to resubmit it to`},
		{"unknown", "urn:uuid:nope", nil, 404, "Failed message urn:uuid:nope does not exist"},
		{"refused", id2, nil, 500, "message processor Forwarder could not take failed message " + id2 + " back: store Orders: connection refused"},
		{"gone", id1, func() { delete(g.Processors, "Forwarder") }, 409, "message processor Forwarder, where failed message " + id1 + " failed, is no longer deployed"},
		{"cannot", id1, func() { g.Processors["Forwarder"] = managedOnly{fwd} }, 409, "message processor Forwarder cannot resubmit failed messages"},
	}
	for _, c := range cases {
		if c.setup != nil {
			c.setup()
		}
		status, _, body := call(t, "POST", u+"/management/failed-messages/"+url.PathEscape(c.id)+"/resubmit", "")
		if status != c.status || !strings.Contains(errText(t, body), c.want) {
			t.Errorf("%s: %d %s", c.name, status, body)
		}
	}
	for _, id := range []string{id1, id2, odd} {
		if r, _ := db.Get(id); r.Status != failed.StatusFailed || r.Resubmits != 0 {
			t.Errorf("%s after refusals: %+v", id, r)
		}
	}
}

func TestResubmitBulk(t *testing.T) {
	t.Parallel()
	u, _, db, fwd := failedSetup(t)
	url := u + "/management/failed-messages/resubmit"
	status, _, body := call(t, "POST", url, `{"errorCode":"101503"}`)
	if status != 200 || strings.TrimSpace(body) != `{"resubmitted":2,"failed":[]}` {
		t.Fatalf("by code: %d %s", status, body)
	}
	if got := fwd.received(); len(got) != 2 || got[0].ID != id1 || got[1].ID != id3 {
		t.Fatalf("order: want oldest first, got %v", got)
	}
	status, _, body = call(t, "POST", url, `{"all":true}`)
	want := `{"resubmitted":1,"failed":[{"id":"` + odd + `","error":"failed message ` + odd + ` did not fail in a message processor (step \"sequence\"), so there is none to resubmit it to"}]}`
	if status != 200 || strings.TrimSpace(body) != want {
		t.Fatalf("all: %d %s", status, body)
	}
	if r, _ := db.Get(id2); r.Status != failed.StatusResubmitted {
		t.Fatalf("id2 %+v", r)
	}
	status, _, body = call(t, "POST", url, `{"ids":["`+id1+`","urn:uuid:nope"]}`)
	if status != 200 || !strings.Contains(body, `"resubmitted":0`) || !strings.Contains(body, "has status resubmitted") ||
		!strings.Contains(body, `{"id":"urn:uuid:nope","error":"Failed message urn:uuid:nope does not exist"}`) {
		t.Fatalf("ids: %d %s", status, body)
	}
	status, _, body = call(t, "POST", url, `{"status":"resubmitted","force":true}`)
	if status != 200 || strings.TrimSpace(body) != `{"resubmitted":3,"failed":[]}` || len(fwd.received()) != 6 {
		t.Fatalf("forced: %d %s", status, body)
	}
	for b, want := range map[string]string{
		`{}`:                          `give ids, at least one filter, or "all":true`,
		`{"ids":["a"],"all":true}`:    "give ids, or filters, or all, not several",
		`{"status":"resubmitted"}`:    "only messages with status failed can be resubmitted",
		`{"from":"now"}`:              `from "now" is not an RFC 3339 time`,
		`{"all":true,"artefact":"x"}`: `unknown field "artefact"`,
		`{"all":true} {"all":true}`:   "more than one JSON value",
	} {
		status, _, body := call(t, "POST", url, b)
		if status != 400 || !strings.Contains(errText(t, body), want) {
			t.Errorf("%s: %d %s", b, status, body)
		}
	}
}

func TestFailedDelete(t *testing.T) {
	t.Parallel()
	u, _, db, _ := failedSetup(t)
	base := u + "/management/failed-messages"
	status, _, body := call(t, "DELETE", base+"/"+url.PathEscape(odd), "")
	if status != 200 || strings.TrimSpace(body) != `{"Message":"Failed message `+odd+` deleted"}` {
		t.Fatalf("%d %s", status, body)
	}
	if status, _, _ := call(t, "DELETE", base+"/"+url.PathEscape(odd), ""); status != 404 {
		t.Fatalf("again: %d", status)
	}
	if status, _, body := call(t, "DELETE", base, ""); status != 400 || !strings.Contains(body, "all=true") {
		t.Fatalf("no filter: %d %s", status, body)
	}
	status, _, body = call(t, "DELETE", base+"?endpoint=OrdersEP&errorCode=101504", "")
	if status != 200 || strings.TrimSpace(body) != `{"deleted":1}` {
		t.Fatalf("filtered: %d %s", status, body)
	}
	if _, err := db.Get(id2); !errors.Is(err, failed.ErrNotFound) {
		t.Fatalf("id2 still there: %v", err)
	}
	status, _, body = call(t, "DELETE", base+"?all=true", "")
	if n, _ := db.Count(); status != 200 || strings.TrimSpace(body) != `{"deleted":2}` || n != 0 {
		t.Fatalf("all: %d %s (%d left)", status, body, n)
	}
}

// TestFailedNotEnabled: without a failed-message store every route says
// so with 503.
func TestFailedNotEnabled(t *testing.T) {
	t.Parallel()
	s := server(t, fixed{testkit.Graph(t, storesXML)})
	for _, req := range [][2]string{
		{"GET", "/management/failed-messages"}, {"GET", "/management/failed-messages/x"},
		{"PATCH", "/management/failed-messages/x"}, {"DELETE", "/management/failed-messages/x"},
		{"DELETE", "/management/failed-messages?all=true"}, {"POST", "/management/failed-messages/x/resubmit"},
		{"POST", "/management/failed-messages/resubmit"},
	} {
		status, _, body := call(t, req[0], s.URL+req[1], `{"all":true}`)
		if status != 503 || strings.TrimSpace(body) != `{"Error":"the failed-message store is not enabled"}` {
			t.Errorf("%v: %d %s", req, status, body)
		}
	}
}
