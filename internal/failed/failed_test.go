package failed_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/store"
)

func open(t *testing.T) *failed.DB {
	t.Helper()
	db, err := failed.Open(filepath.Join(t.TempDir(), "failed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestRecordAndRefail: a message that fails again after a resubmission
// keeps its record and gains an attempt; filters select by artifact,
// endpoint, code, text and time.
func TestRecordAndRefail(t *testing.T) {
	t.Parallel()
	db := open(t)
	msg := &store.Message{ID: "urn:uuid:1", Body: []byte(`{"order":1}`), ContentType: "application/json"}
	rec := func(code string) *failed.Record {
		return &failed.Record{ID: msg.ID, Message: msg, Artifact: "messageProcessor[P]", Endpoint: "Backend", Step: failed.StepProcessor,
			Processor: "P", Store: "S", Code: code, Error: "Error connecting to the back end", Attempts: []failed.Attempt{{At: time.Now(), Code: code}}}
	}
	if err := db.Record(context.Background(), rec("101503")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Update(msg.ID, func(r *failed.Record) error { r.Status = failed.StatusResubmitted; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.Record(context.Background(), rec("101508")); err != nil {
		t.Fatal(err)
	}
	r, err := db.Get(msg.ID)
	if err != nil || len(r.Attempts) != 2 || r.Status != failed.StatusFailed || r.Code != "101508" || string(r.Message.Body) != `{"order":1}` {
		t.Fatalf("record %+v %v", r, err)
	}
	for _, f := range []failed.Filter{{Artifact: "messageProcessor[P]"}, {Endpoint: "backend"}, {Code: "101508"}, {Text: "CONNECTING"}, {From: time.Now().Add(-time.Hour)}} {
		if got, _ := db.List(f, 0); len(got) != 1 {
			t.Errorf("filter %+v matched %d", f, len(got))
		}
	}
	if got, _ := db.List(failed.Filter{Code: "1"}, 0); len(got) != 0 {
		t.Error("code filter matched a different code")
	}
	if err := db.Delete(msg.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(msg.ID); err != failed.ErrNotFound {
		t.Fatalf("after delete: %v", err)
	}
}

// TestBinaryBody: a body that is not UTF-8 survives byte for byte.
func TestBinaryBody(t *testing.T) {
	t.Parallel()
	db := open(t)
	body := []byte{0xff, 0x00, 0xfe, 'x'}
	if err := db.Record(context.Background(), &failed.Record{ID: "b", Message: &store.Message{ID: "b", Body: body}}); err != nil {
		t.Fatal(err)
	}
	r, err := db.Get("b")
	if err != nil || !bytes.Equal(r.Message.Body, body) || r.BodyEncoding != "base64" {
		t.Fatalf("%+v %v", r, err)
	}
}
