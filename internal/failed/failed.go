// Package failed is Busbar's failed-message store, after IBM's Failed Event
// Manager: a message that could not be delivered and that no client is
// waiting for (a store-and-forward delivery that exhausted its attempts, a
// fault in a flow a processor started) is kept here with its headers,
// properties and body, the whole fault chain, the artifact and endpoint
// involved, timestamps and every attempt. Operators search, inspect, edit,
// resubmit and delete them; a resubmitted message that fails again comes
// back under the same ID with a new attempt recorded.
package failed

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/store"
)

// Steps a message can be resubmitted to.
const (
	// StepProcessor: the message is put back in the processor's store.
	StepProcessor = "processor"
	// StepSequence: the message is injected into the sequence again.
	StepSequence = "sequence"
)

// Statuses of a record.
const (
	StatusFailed      = "failed"
	StatusResubmitted = "resubmitted"
)

// Attempt is one failure of the message.
type Attempt struct {
	At      time.Time `json:"at"`
	Code    string    `json:"code"`
	Message string    `json:"message"`
}

// Record is one failed message.
type Record struct {
	// ID identifies the record; it is the message's ID, so a message that
	// fails again after a resubmission updates its record.
	ID string `json:"id"`
	// Message is the message as it was at the failed step.
	Message *store.Message `json:"message"`
	// Body is Message.Body, kept apart in JSON so it stays readable: as
	// text when it is valid UTF-8, else base64 (BodyEncoding "base64").
	Body         string    `json:"body"`
	BodyEncoding string    `json:"bodyEncoding,omitempty"`
	Artifact     string    `json:"artifact"`
	Endpoint     string    `json:"endpoint,omitempty"`
	Step         string    `json:"step"`
	Processor    string    `json:"processor,omitempty"`
	Store        string    `json:"store,omitempty"`
	Sequence     string    `json:"sequence,omitempty"`
	Code         string    `json:"errorCode"`
	Error        string    `json:"errorMessage"`
	Detail       string    `json:"errorDetail,omitempty"`
	FailInfo     string    `json:"failInfo,omitempty"`
	FirstFailed  time.Time `json:"firstFailed"`
	LastFailed   time.Time `json:"lastFailed"`
	Attempts     []Attempt `json:"attempts"`
	Status       string    `json:"status"`
	Resubmits    int       `json:"resubmits"`
}

// Filter selects records; zero fields match everything.
type Filter struct {
	Artifact string
	Endpoint string
	Code     string
	Status   string
	// Text is searched (case-insensitively) in the error message, the
	// detail, the body and the FAIL_INFO.
	Text     string
	From, To time.Time
}

// Match reports whether r passes the filter.
func (f Filter) Match(r *Record) bool {
	switch {
	case f.Artifact != "" && !strings.EqualFold(f.Artifact, r.Artifact) && !strings.EqualFold(f.Artifact, r.Processor):
		return false
	case f.Endpoint != "" && !strings.EqualFold(f.Endpoint, r.Endpoint):
		return false
	case f.Code != "" && f.Code != r.Code:
		return false
	case f.Status != "" && f.Status != r.Status:
		return false
	case !f.From.IsZero() && r.LastFailed.Before(f.From):
		return false
	case !f.To.IsZero() && r.LastFailed.After(f.To):
		return false
	}
	if f.Text == "" {
		return true
	}
	t := strings.ToLower(f.Text)
	for _, s := range []string{r.Error, r.Detail, r.Body, r.FailInfo} {
		if strings.Contains(strings.ToLower(s), t) {
			return true
		}
	}
	return false
}

// ErrNotFound is returned for an unknown record ID.
var ErrNotFound = errors.New("no failed message with that ID")

var bucket = []byte("failed")

// DB is the failed-message store, kept in one bbolt file under the data
// directory (every write is committed to disk before it returns).
type DB struct {
	db *bolt.DB
}

// Open opens (or creates) the store at path.
func Open(path string) (*DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("opening the failed-message store %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
		db.Close()
		return nil, err
	}
	return &DB{db: db}, nil
}

// Close closes the file.
func (d *DB) Close() error { return d.db.Close() }

// Record adds a failure: a new record, or, for a message already
// recorded, one more attempt on its record (status back to failed).
func (d *DB) Record(_ context.Context, r *Record) error {
	now := time.Now().UTC()
	if r.LastFailed.IsZero() {
		r.LastFailed = now
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if prev := b.Get([]byte(r.ID)); prev != nil {
			var old Record
			if err := json.Unmarshal(prev, &old); err == nil {
				r.FirstFailed = old.FirstFailed
				r.Attempts = append(old.Attempts, r.Attempts...)
				r.Resubmits = old.Resubmits
			}
		}
		if r.FirstFailed.IsZero() {
			r.FirstFailed = r.LastFailed
		}
		r.Status = StatusFailed
		return put(b, r)
	})
}

func put(b *bolt.Bucket, r *Record) error {
	if r.Message != nil {
		r.Body, r.BodyEncoding = string(r.Message.Body), ""
		if !utf8.Valid(r.Message.Body) {
			r.Body, r.BodyEncoding = base64.StdEncoding.EncodeToString(r.Message.Body), "base64"
		}
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put([]byte(r.ID), data)
}

func decode(data []byte) (*Record, error) {
	r := &Record{}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, err
	}
	if r.Message != nil {
		r.Message.Body = []byte(r.Body)
		if r.BodyEncoding == "base64" {
			body, err := base64.StdEncoding.DecodeString(r.Body)
			if err != nil {
				return nil, fmt.Errorf("failed message %s: corrupt body: %w", r.ID, err)
			}
			r.Message.Body = body
		}
	}
	return r, nil
}

// Get returns one record.
func (d *DB) Get(id string) (*Record, error) {
	var r *Record
	err := d.db.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(bucket).Get([]byte(id))
		if data == nil {
			return ErrNotFound
		}
		var err error
		r, err = decode(data)
		return err
	})
	return r, err
}

// List returns the records matching f, most recent failure first, at most
// limit of them (0: all).
func (d *DB) List(f Filter, limit int) ([]*Record, error) {
	var out []*Record
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			r, err := decode(v)
			if err != nil {
				return err
			}
			if f.Match(r) {
				out = append(out, r)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b *Record) int { return b.LastFailed.Compare(a.LastFailed) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// Update changes a record in place (editing its body or headers).
func (d *DB) Update(id string, edit func(*Record) error) (*Record, error) {
	var r *Record
	err := d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		data := b.Get([]byte(id))
		if data == nil {
			return ErrNotFound
		}
		var err error
		if r, err = decode(bytes.Clone(data)); err != nil {
			return err
		}
		if err := edit(r); err != nil {
			return err
		}
		return put(b, r)
	})
	return r, err
}

// Delete removes a record.
func (d *DB) Delete(id string) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b.Get([]byte(id)) == nil {
			return ErrNotFound
		}
		return b.Delete([]byte(id))
	})
}

// Count returns how many records there are.
func (d *DB) Count() (int, error) {
	n := 0
	err := d.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucket).Stats().KeyN; return nil })
	return n, err
}

// Resubmitter puts a failed message back at its failed step; processors
// implement it for their records.
type Resubmitter interface {
	Resubmit(ctx context.Context, r *Record) error
}

// runtimeKey is where the process's failed-message store lives.
const runtimeKey = "failed.db"

// Use makes db the failed-message store of a runtime.
func Use(rt *engine.Runtime, db *DB) { rt.Set(runtimeKey, db) }

// From returns the runtime's failed-message store, or nil when the
// process has none (validate, some tests).
func From(rt *engine.Runtime) *DB {
	if rt == nil {
		return nil
	}
	v, _ := rt.Lookup(runtimeKey)
	db, _ := v.(*DB)
	return db
}
