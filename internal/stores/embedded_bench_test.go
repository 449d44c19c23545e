package stores

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/busbar/busbar/internal/store"
)

// The benchmarks store 1 KiB messages in a file under the test's temporary
// directory, durably (bbolt syncs every commit). The parallel ones run
// embBenchParallelism goroutines per CPU, standing for concurrent client
// requests reaching store mediators; each reports messages per second.

const embBenchParallelism = 32

func embBenchMessage(id string) *store.Message {
	return &store.Message{ID: id, Created: time.Now().UTC(), Method: "POST", To: "http://127.0.0.1:1/orders",
		ContentType: "application/json", Props: map[string]string{"order": id},
		Body: bytes.Repeat([]byte("x"), 1024)}
}

func embBenchStore(b *testing.B) *Embedded {
	s := NewEmbedded("bench", b.TempDir())
	b.Cleanup(func() { _ = s.Close() })
	// Open the file outside the timed part.
	if _, err := s.Size(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

func embReportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

var embBenchSeq atomic.Int64

func embNextBenchMessage() *store.Message {
	return embBenchMessage(fmt.Sprintf("urn:uuid:bench-%d", embBenchSeq.Add(1)))
}

// BenchmarkEmbeddedPut is the store mediator's cost under concurrency:
// puts are group-committed.
func BenchmarkEmbeddedPut(b *testing.B) {
	s := embBenchStore(b)
	ctx := context.Background()
	b.SetParallelism(embBenchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Put(ctx, embNextBenchMessage()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	embReportRate(b)
}

// BenchmarkEmbeddedPutSerial is one producer: one commit (two syncs) per
// message, the floor of Put's latency.
func BenchmarkEmbeddedPutSerial(b *testing.B) {
	s := embBenchStore(b)
	ctx := context.Background()
	for b.Loop() {
		if err := s.Put(ctx, embNextBenchMessage()); err != nil {
			b.Fatal(err)
		}
	}
	embReportRate(b)
}

// BenchmarkEmbeddedPutAck is a message's whole life in the store, under
// concurrency: put, lease, acknowledge.
func BenchmarkEmbeddedPutAck(b *testing.B) {
	s := embBenchStore(b)
	ctx := context.Background()
	b.SetParallelism(embBenchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !embPutAck(b, s, ctx) {
				return
			}
		}
	})
	embReportRate(b)
}

// BenchmarkEmbeddedPutAckSerial is the same with one goroutine, as one
// processor consuming what one client stores.
func BenchmarkEmbeddedPutAckSerial(b *testing.B) {
	s := embBenchStore(b)
	ctx := context.Background()
	for b.Loop() {
		if !embPutAck(b, s, ctx) {
			return
		}
	}
	embReportRate(b)
}

func embPutAck(b *testing.B, s *Embedded, ctx context.Context) bool {
	if err := s.Put(ctx, embNextBenchMessage()); err != nil {
		b.Error(err)
		return false
	}
	// Every goroutine takes one message after its own put is committed,
	// so there is always one to take.
	d, err := s.Next(ctx, time.Second)
	if err != nil || d == nil {
		b.Errorf("next: %v %v", d, err)
		return false
	}
	if err := d.Ack(ctx); err != nil {
		b.Error(err)
		return false
	}
	return true
}

// embPutWith stores m with the store's own record code but commits it with
// commit (one bbolt transaction per message, or bbolt's Batch), bypassing
// the committer: the baselines for the group commit.
func embPutWith(s *Embedded, m *store.Message, commit func(func(*bolt.Tx) error) error) error {
	_, q, err := s.attach()
	if err != nil {
		return err
	}
	data, err := store.Encode(m)
	if err != nil {
		return err
	}
	o := &embOp{kind: embPut, q: q, data: data}
	err = commit(o.apply)
	embFinish([]*embOp{o}, err)
	return err
}

// BenchmarkEmbeddedPutFsyncEach is BenchmarkEmbeddedPut with one commit
// per message: the gain of the group commit is the ratio of the two.
func BenchmarkEmbeddedPutFsyncEach(b *testing.B) {
	s := embBenchStore(b)
	b.SetParallelism(embBenchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := embPutWith(s, embNextBenchMessage(), s.f.db.Update); err != nil {
				b.Error(err)
				return
			}
		}
	})
	embReportRate(b)
}

// BenchmarkEmbeddedPutBoltBatch is BenchmarkEmbeddedPut committed by
// bbolt's own DB.Batch instead of the committer, to compare the two.
func BenchmarkEmbeddedPutBoltBatch(b *testing.B) {
	s := embBenchStore(b)
	b.SetParallelism(embBenchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := embPutWith(s, embNextBenchMessage(), s.f.db.Batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	embReportRate(b)
}

// BenchmarkEmbeddedPutBoltBatchSerial shows what bbolt's Batch costs a
// lone producer: each put waits for the batch timer (MaxBatchDelay).
func BenchmarkEmbeddedPutBoltBatchSerial(b *testing.B) {
	s := embBenchStore(b)
	for b.Loop() {
		if err := embPutWith(s, embNextBenchMessage(), s.f.db.Batch); err != nil {
			b.Fatal(err)
		}
	}
	embReportRate(b)
}
