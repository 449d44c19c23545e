package stores

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

// EmbeddedClass is the <messageStore class> of Busbar's embedded durable
// store.
const EmbeddedClass = "busbar.EmbeddedStore"

// jmsStoreClass is MI's JMS store. Busbar has no JMS client, so artifacts
// naming it are kept in the embedded store: they load unchanged and their
// messages stay durable, which is what a JMS store was chosen for.
const jmsStoreClass = "org.apache.synapse.message.store.impl.jms.JmsStore"

// StoresFile is the database file, in the data directory, that holds every
// embedded store of a process (one bucket per store name).
const StoresFile = "stores.db"

func init() {
	registry.RegisterStore(registry.Spec{
		Element: "embedded",
		Aliases: []string{EmbeddedClass, jmsStoreClass},
		Summary: "Busbar's durable store: messages are kept on disk under --data-dir and survive restarts and crashes; nothing to install.",
		Doc: "The default for anything that must survive a restart. Every embedded store of a process is a bucket in one " +
			"database file, <data-dir>/" + StoresFile + ", opened on first use (validate never opens it). A message is on " +
			"disk before the store mediator lets the flow go on: each write is a transaction committed with fdatasync, and " +
			"messages stored at the same moment share one commit, so durability does not cost one disk flush per message. " +
			"Messages are delivered in the order they were stored; a processor holds a message until it acknowledges or " +
			"releases it (or Busbar stops), and a released message is first in line again with its delivery attempts " +
			"recorded. An acknowledgement is written with the next commit, so a crash just after one may deliver that " +
			"message again, never lose it. The file is locked by the process using it: two Busbar processes need two data " +
			"directories, and nodes that share their stores use PostgreSQL, RabbitMQ or NATS JetStream. The store has no " +
			"parameters of its own; store.producer.guaranteed.delivery.enable and store.failover.message.store.name are " +
			"read by the store mediator. MI's JMS store class (" + jmsStoreClass + ") is accepted and kept here, with a " +
			"warning: no broker is contacted and the JMS connection parameters are ignored.",
		Differences: []string{"A JMS store (" + jmsStoreClass + ") is kept in the embedded store on the local disk, not in a " +
			"JMS broker, so two Busbar nodes do not share it; its JMS parameters are ignored."},
	}, newEmbeddedStore)
}

// newEmbeddedStore is the registry factory. It touches nothing on disk: the
// file is opened by the store's first operation, so validate never does.
func newEmbeddedStore(b registry.Builder, def *config.MessageStore, cfg store.Config) (store.Store, error) {
	if def.Class == jmsStoreClass {
		pos := def.Pos
		if def.Elem != nil {
			if a := def.Elem.Attr("class"); a != nil {
				pos = a.Pos
			}
		}
		b.Warnf(pos, "JMS is not supported; store %s is kept in Busbar's embedded durable store", def.Name)
	}
	return NewEmbedded(def.Name, cfg.DataDir), nil
}

// Embedded is the embedded durable store: a bucket named after the store
// in the bbolt file <dataDir>/stores.db, shared by every embedded store of
// the process and opened on the first operation.
//
// Records are keyed by the bucket's sequence (big-endian, so key order is
// arrival order) and hold store.Encode of the message. Leases are kept in
// memory, shared by every Embedded value of one name (two exist during a
// hot reload): bbolt locks the file, so no other process can hold one.
//
// Disk-sync policy: bbolt commits every write transaction with fdatasync
// (NoSync and NoGrowSync are never set), and Put returns only after the
// commit holding its message has synced, so an acknowledged message is on
// disk. Writes are group-committed by one committer goroutine per file:
// whatever arrives while a commit is syncing goes into the next one, so
// concurrent producers share a sync instead of paying one each, and a lone
// producer pays exactly one (no batching delay). Acks join the next commit
// without waiting for it: a crash can at worst lose an ack, which only
// redelivers the message.
type Embedded struct {
	name string
	dir  string

	// closed is set once by Close; it is read under the queue's lock so a
	// lease is never granted to a closed store (see Close).
	closed atomic.Bool
	// done is closed by Close, to wake this store's waiting consumers.
	done chan struct{}

	mu sync.Mutex // guards f and q
	f  *embFile
	q  *embQueue
}

// NewEmbedded returns the embedded store name kept under dataDir. It does
// not touch the disk; an empty dataDir (validate) makes every operation
// fail.
func NewEmbedded(name, dataDir string) *Embedded {
	return &Embedded{name: name, dir: dataDir, done: make(chan struct{})}
}

// Name is the store's name.
func (s *Embedded) Name() string { return s.name }

// Kind is "embedded".
func (s *Embedded) Kind() string { return "embedded" }

// attach opens the shared file (first use) and joins the store's queue.
func (s *Embedded) attach() (*embFile, *embQueue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, nil, store.ErrClosed
	}
	if s.q != nil {
		return s.f, s.q, nil
	}
	if s.dir == "" {
		return nil, nil, fmt.Errorf("message store %s: there is no data directory, so the embedded store is not opened (as when validating)", s.name)
	}
	if s.name == "" {
		return nil, nil, errors.New("an embedded message store needs a name")
	}
	f, err := embAcquire(s.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("message store %s: %w", s.name, err)
	}
	q, err := f.queue(s.name)
	if err != nil {
		_ = embReleaseFile(f)
		return nil, nil, fmt.Errorf("message store %s: %w", s.name, err)
	}
	s.f, s.q = f, q
	return f, q, nil
}

// Put stores the message and returns once the commit holding it has been
// synced to disk. A cancelled ctx makes Put return early with an error,
// though the message may still be committed (a duplicate, never a loss).
func (s *Embedded) Put(ctx context.Context, m *store.Message) error {
	f, q, err := s.attach()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := store.Encode(m)
	if err != nil {
		return err
	}
	if int64(len(data)) > bolt.MaxValueSize {
		return fmt.Errorf("message store %s: message %s is too large to store (%d bytes)", s.name, m.ID, len(data))
	}
	o := &embOp{kind: embPut, q: q, data: data, done: make(chan error, 1)}
	if err := f.submit(o); err != nil {
		return err
	}
	select {
	case err := <-o.done:
		if err != nil {
			return fmt.Errorf("message store %s: storing message %s: %w", s.name, m.ID, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("message store %s: gave up waiting for message %s to be committed (it may still be stored): %w", s.name, m.ID, ctx.Err())
	}
}

// Next leases the oldest message nobody holds, waiting up to wait for one.
func (s *Embedded) Next(ctx context.Context, wait time.Duration) (*store.Delivery, error) {
	f, q, err := s.attach()
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		d, arrived, err := s.take(f, q)
		if d != nil || err != nil {
			return d, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		t := time.NewTimer(left)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-s.done:
			t.Stop()
			return nil, store.ErrClosed
		case <-arrived:
			t.Stop()
		case <-t.C:
			return nil, nil
		}
	}
}

// take leases the first available record, or returns the channel that
// is closed when one may have become available.
func (s *Embedded) take(f *embFile, q *embQueue) (*store.Delivery, <-chan struct{}, error) {
	q.mu.Lock()
	if s.closed.Load() {
		q.mu.Unlock()
		return nil, nil, store.ErrClosed
	}
	var (
		key   uint64
		val   []byte
		found bool
	)
	// Records below floor are all leased, being acked or bad, so the scan
	// starts there instead of walking past every held message each time.
	err := f.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(q.bucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(embKey(q.floor)); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				continue // not one of ours
			}
			n := binary.BigEndian.Uint64(k)
			if q.unavailable(n) {
				continue
			}
			// v lives in the mmap only while the transaction does.
			key, val, found = n, bytes.Clone(v), true
			return nil
		}
		return nil
	})
	if err != nil {
		q.mu.Unlock()
		if errors.Is(err, berrors.ErrDatabaseNotOpen) {
			return nil, nil, store.ErrClosed
		}
		return nil, nil, fmt.Errorf("message store %s: reading the next message: %w", s.name, err)
	}
	if !found {
		arrived := q.arrived
		q.mu.Unlock()
		return nil, arrived, nil
	}
	l := &embLease{s: s, f: f, q: q, key: key}
	q.leased[key] = l
	q.floor = key
	q.mu.Unlock()

	m, err := store.Decode(val)
	if err != nil {
		// A record that is not a message would block the queue if it
		// stayed first in line; it is kept in the file (never deleted
		// here) and skipped until the process restarts.
		q.mu.Lock()
		delete(q.leased, key)
		q.bad[key] = struct{}{}
		q.mu.Unlock()
		return nil, nil, fmt.Errorf("message store %s: record %d in %s is not a Busbar message; it is left in place and skipped: %w", s.name, key, f.path, err)
	}
	return &store.Delivery{Message: m, Ops: l}, nil, nil
}

// Size counts the messages kept, leased ones included.
func (s *Embedded) Size(context.Context) (int64, error) {
	_, q, err := s.attach()
	if err != nil {
		return 0, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count, nil
}

// Close releases the store. Messages it leased and did not settle become
// available to the other consumers of the queue (a store of the same name
// in the graph that replaced this one) and stay on disk; the file closes
// when its last store does, after the pending commits.
func (s *Embedded) Close() error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return nil
	}
	s.closed.Store(true)
	close(s.done)
	f, q := s.f, s.q
	s.mu.Unlock()
	if q == nil {
		return nil
	}
	q.dropLeases(s)
	return embReleaseFile(f)
}

var (
	_ store.Store       = (*Embedded)(nil)
	_ store.DeliveryOps = (*embLease)(nil)
)

// embLease is one leased record.
type embLease struct {
	s     *Embedded
	f     *embFile
	q     *embQueue
	key   uint64
	state embLeaseState // guarded by q.mu
}

// embLeaseState is where a lease is in its life.
type embLeaseState uint8

const (
	embHeld embLeaseState = iota
	embReleasing
	embAcked
	embReleased
	// embDropped: the store closed while holding it; the message went
	// back to the queue.
	embDropped
)

// errEmbNotHeld is returned when a lease was settled already.
var errEmbNotHeld = errors.New("the message is no longer leased by this consumer")

// check reports why the lease cannot be settled now, nil when it can.
func (l *embLease) check() error {
	switch l.state {
	case embHeld:
		return nil
	case embDropped:
		return store.ErrClosed
	}
	return errEmbNotHeld
}

// Ack removes the message. The deletion joins the next group commit and
// Ack does not wait for it: the message is gone for every consumer at
// once, and if the commit is lost (a crash) or fails the message is
// delivered again, never lost.
func (l *embLease) Ack(context.Context) error {
	q := l.q
	q.mu.Lock()
	if l.state == embAcked {
		q.mu.Unlock()
		return nil
	}
	if err := l.check(); err != nil {
		q.mu.Unlock()
		return err
	}
	l.state = embAcked
	delete(q.leased, l.key)
	q.acked[l.key] = struct{}{}
	q.count--
	q.mu.Unlock()
	if err := l.f.submit(&embOp{kind: embAck, q: q, key: l.key}); err != nil {
		q.mu.Lock()
		q.ackFailed(l.key)
		q.mu.Unlock()
		return err
	}
	return nil
}

// Release rewrites the record with the attempts made so far and makes it
// available again; it waits for the commit, because a release is rare
// (a failed delivery) and the next consumer must read the new count.
func (l *embLease) Release(ctx context.Context, attempts int) error {
	q := l.q
	q.mu.Lock()
	if err := l.check(); err != nil {
		q.mu.Unlock()
		return err
	}
	l.state = embReleasing
	q.mu.Unlock()
	o := &embOp{kind: embRelease, q: q, key: l.key, attempts: attempts, lease: l, done: make(chan error, 1)}
	if err := l.f.submit(o); err != nil {
		q.mu.Lock()
		q.unlease(l)
		q.mu.Unlock()
		return err
	}
	select {
	case err := <-o.done:
		if err != nil {
			return fmt.Errorf("message store %s: the message is available again but its %d attempts were not recorded: %w", l.s.name, attempts, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Touch only reports a lease lost to Close: leases do not expire, they
// last as long as the process.
func (l *embLease) Touch(context.Context) error {
	l.q.mu.Lock()
	defer l.q.mu.Unlock()
	if l.state == embDropped {
		return store.ErrClosed
	}
	return nil
}

// embQueue is the in-memory state of one store name in an open file, shared
// by every Embedded value of that name.
type embQueue struct {
	bucket []byte

	mu     sync.Mutex
	leased map[uint64]*embLease
	// acked are records whose deletion is not committed yet.
	acked map[uint64]struct{}
	// bad are records that do not decode; they are skipped.
	bad map[uint64]struct{}
	// floor is a key at or below the first available record: every
	// record below it is leased, being acked or bad.
	floor uint64
	count int64
	// stored says a commit added records; the committer wakes consumers
	// once per commit.
	stored bool
	// arrived is closed and replaced when a record may have become
	// available, to wake consumers waiting in Next.
	arrived chan struct{}
}

// unavailable reports whether Next must skip key. q.mu is held.
func (q *embQueue) unavailable(key uint64) bool {
	if _, ok := q.leased[key]; ok {
		return true
	}
	if _, ok := q.acked[key]; ok {
		return true
	}
	_, ok := q.bad[key]
	return ok
}

// available notes that key is available again. q.mu is held.
func (q *embQueue) available(key uint64) {
	q.floor = min(q.floor, key)
	q.wake()
}

// wake wakes the consumers waiting in Next. q.mu is held.
func (q *embQueue) wake() {
	close(q.arrived)
	q.arrived = make(chan struct{})
}

// unlease ends a lease, making the message available. q.mu is held.
func (q *embQueue) unlease(l *embLease) {
	if q.leased[l.key] != l {
		return
	}
	delete(q.leased, l.key)
	l.state = embReleased
	q.available(l.key)
}

// ackFailed undoes an ack whose deletion was not committed, so the
// message is delivered again. q.mu is held.
func (q *embQueue) ackFailed(key uint64) {
	if _, ok := q.acked[key]; !ok {
		return
	}
	delete(q.acked, key)
	q.count++
	q.available(key)
}

// dropLeases gives back every message s holds.
func (q *embQueue) dropLeases(s *Embedded) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for key, l := range q.leased {
		if l.s == s {
			delete(q.leased, key)
			l.state = embDropped
			q.floor = min(q.floor, key)
		}
	}
	q.wake()
}

// embKey is a record's key: big-endian, so bbolt's byte order is the
// arrival order.
func embKey(n uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n) }

// embFiles are the open database files by absolute path: bbolt locks a file
// for one handle, so the stores of a process must share it.
var embFiles = struct {
	mu sync.Mutex
	m  map[string]*embFile
}{m: map[string]*embFile{}}

// embLockTimeout bounds the wait for the file lock, held when another
// process uses the same data directory.
const embLockTimeout = 2 * time.Second

// embFile is an open stores.db with its committer.
type embFile struct {
	path string
	db   *bolt.DB
	refs int // guarded by embFiles.mu

	qmu    sync.Mutex
	queues map[string]*embQueue

	cmu      sync.Mutex
	cond     *sync.Cond // signalled on new work and on stop
	pending  []*embOp
	stopping bool
	stopped  chan struct{}
}

// embAcquire opens dir's file or takes one more reference to it.
func embAcquire(dir string) (*embFile, error) {
	path, err := filepath.Abs(filepath.Join(dir, StoresFile))
	if err != nil {
		return nil, err
	}
	embFiles.mu.Lock()
	defer embFiles.mu.Unlock()
	if f := embFiles.m[path]; f != nil {
		f.refs++
		return f, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: embLockTimeout,
		// The hashmap freelist stays fast when a long backlog has been
		// consumed and the file is full of free pages.
		FreelistType: bolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: the file is locked by another process (two Busbar processes cannot share a data directory)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	f := &embFile{path: path, db: db, refs: 1, queues: map[string]*embQueue{}, stopped: make(chan struct{})}
	f.cond = sync.NewCond(&f.cmu)
	go f.commitLoop()
	embFiles.m[path] = f
	return f, nil
}

// embReleaseFile drops a reference; the last one commits what is pending and
// closes the file. It runs under embFiles.mu so that a store opening the same
// file meanwhile waits for the lock to be free instead of timing out.
func embReleaseFile(f *embFile) error {
	embFiles.mu.Lock()
	defer embFiles.mu.Unlock()
	f.refs--
	if f.refs > 0 {
		return nil
	}
	delete(embFiles.m, f.path)
	f.cmu.Lock()
	f.stopping = true
	f.cond.Broadcast()
	f.cmu.Unlock()
	<-f.stopped
	return f.db.Close()
}

// queue returns the state of a store name, counting its records the first
// time. Nothing is written: the bucket is created by the first Put.
func (f *embFile) queue(name string) (*embQueue, error) {
	f.qmu.Lock()
	defer f.qmu.Unlock()
	if q := f.queues[name]; q != nil {
		return q, nil
	}
	q := &embQueue{bucket: []byte(name), leased: map[uint64]*embLease{}, acked: map[uint64]struct{}{},
		bad: map[uint64]struct{}{}, arrived: make(chan struct{})}
	// No commit can touch this bucket before the queue exists (every
	// write goes through it), so the count cannot race with one.
	err := f.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(q.bucket); b != nil {
			q.count = int64(b.Stats().KeyN)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.path, err)
	}
	f.queues[name] = q
	return q, nil
}

// embOpKind is what an embOp writes.
type embOpKind uint8

const (
	embPut embOpKind = iota
	embAck
	embRelease
)

// embOp is one write waiting for the committer.
type embOp struct {
	kind     embOpKind
	q        *embQueue
	key      uint64    // ack, release
	data     []byte    // put
	attempts int       // release
	lease    *embLease // release
	// done receives the commit's outcome; nil for acks, which nobody
	// waits for.
	done chan error
}

// submit queues a write for the next commit.
func (f *embFile) submit(o *embOp) error {
	f.cmu.Lock()
	defer f.cmu.Unlock()
	if f.stopping {
		return store.ErrClosed
	}
	f.pending = append(f.pending, o)
	f.cond.Signal()
	return nil
}

// Limits of one group commit, so that a burst of large messages does not
// build one huge transaction; the rest goes into the next commit.
const (
	embMaxBatchOps   = 4096
	embMaxBatchBytes = 16 << 20
)

// commitLoop commits pending writes until the file is closing and nothing
// is pending. It never waits for more work to arrive once some is pending:
// the writes that arrive during a commit's sync make up the next batch, so
// batches grow with the load and a lone writer pays one sync.
func (f *embFile) commitLoop() {
	defer close(f.stopped)
	for {
		f.cmu.Lock()
		for len(f.pending) == 0 && !f.stopping {
			f.cond.Wait()
		}
		if len(f.pending) == 0 {
			f.cmu.Unlock()
			return
		}
		n, size := 0, 0
		for n < len(f.pending) && n < embMaxBatchOps && (n == 0 || size+len(f.pending[n].data) <= embMaxBatchBytes) {
			size += len(f.pending[n].data)
			n++
		}
		batch := slices.Clone(f.pending[:n])
		f.pending = slices.Delete(f.pending, 0, n) // zeroes the tail: no op is kept alive
		f.cmu.Unlock()
		f.commit(batch)
	}
}

// commit writes ops in one transaction. An op that fails on its own (its
// record cannot be written) is taken out with its error and the rest are
// committed without it, as bbolt's Batch does; a failed commit fails them
// all.
func (f *embFile) commit(ops []*embOp) {
	for len(ops) > 0 {
		failed := -1
		var opErr error
		err := f.db.Update(func(tx *bolt.Tx) error {
			for i, o := range ops {
				if err := o.apply(tx); err != nil {
					failed, opErr = i, err
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			embFinish(ops[failed:failed+1], opErr)
			ops = append(ops[:failed], ops[failed+1:]...)
			continue
		}
		embFinish(ops, err)
		return
	}
}

// apply performs the op in a write transaction.
func (o *embOp) apply(tx *bolt.Tx) error {
	switch o.kind {
	case embPut:
		b, err := tx.CreateBucketIfNotExists(o.q.bucket)
		if err != nil {
			return err
		}
		// Records are appended at the end: full pages instead of bbolt's
		// default half-full splits write about a quarter fewer pages per
		// message and keep the file a third smaller.
		b.FillPercent = 1.0
		// The sequence is above every key unless the bucket was
		// tampered with; the check costs one lookup and guarantees a
		// record is never overwritten.
		for {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if k := embKey(seq); b.Get(k) == nil {
				o.key = seq
				return b.Put(k, o.data)
			}
		}
	case embAck:
		if b := tx.Bucket(o.q.bucket); b != nil {
			return b.Delete(embKey(o.key))
		}
	case embRelease:
		b := tx.Bucket(o.q.bucket)
		if b == nil {
			return nil
		}
		b.FillPercent = 1.0
		k := embKey(o.key)
		v := b.Get(k)
		if v == nil {
			return nil
		}
		m, err := store.Decode(v)
		if err != nil {
			return nil // it decoded when leased; leave it as it is
		}
		m.Attempts = o.attempts
		data, err := store.Encode(m) // a copy: v is invalid once the page changes
		if err != nil {
			return err
		}
		return b.Put(k, data)
	}
	return nil
}

// embFinish updates the queues for committed (err nil) or failed ops, then
// tells their waiters: the queues are updated first, so that a Put that
// has returned is counted and visible to Next.
func embFinish(ops []*embOp, err error) {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		err = store.ErrClosed
	}
	for _, o := range ops {
		q := o.q
		q.mu.Lock()
		switch o.kind {
		case embPut:
			if err == nil {
				q.count++
				q.stored = true
			}
		case embAck:
			if err == nil {
				delete(q.acked, o.key)
			} else {
				q.ackFailed(o.key)
			}
		case embRelease:
			q.unlease(o.lease)
		}
		q.mu.Unlock()
	}
	// One wake-up per queue and commit, not one per message.
	for _, o := range ops {
		q := o.q
		q.mu.Lock()
		if q.stored {
			q.stored = false
			q.wake()
		}
		q.mu.Unlock()
	}
	for _, o := range ops {
		if o.done != nil {
			o.done <- err
		}
	}
}
