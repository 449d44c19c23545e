package stores_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/store/storetest"
	"github.com/busbar/busbar/internal/stores"
	"github.com/busbar/busbar/internal/testkit"
)

func embCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func embOpen(t *testing.T, dir, name string) *stores.Embedded {
	s := stores.NewEmbedded(name, dir)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestEmbeddedConformance(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	storetest.Run(t, storetest.Kind{
		Open:    func(t *testing.T, name string) store.Store { return embOpen(t, dir, name) },
		Durable: true,
		Shared:  true,
	})
}

func embNext(t *testing.T, s store.Store) *store.Delivery {
	t.Helper()
	d, err := s.Next(embCtx(t), 5*time.Second)
	if err != nil || d == nil {
		t.Fatalf("next: %v %v", d, err)
	}
	return d
}

func TestEmbeddedReleaseAttemptsSurviveReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := stores.NewEmbedded("retries", dir)
	for i := range 2 {
		if err := s.Put(embCtx(t), storetest.Msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	d := embNext(t, s)
	if err := d.Release(embCtx(t), 3); err != nil {
		t.Fatal(err)
	}
	// Released in this process: first in line again, with its attempts.
	d = embNext(t, s)
	if d.Message.ID != storetest.Msg(0).ID || d.Message.Attempts != 3 {
		t.Fatalf("after release: %s attempts %d", d.Message.ID, d.Message.Attempts)
	}
	if err := d.Release(embCtx(t), 4); err != nil {
		t.Fatal(err)
	}
	if err := d.Ack(embCtx(t)); err == nil {
		t.Fatal("a released lease was acknowledged")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := embOpen(t, dir, "retries")
	if n, err := s2.Size(embCtx(t)); err != nil || n != 2 {
		t.Fatalf("size after reopening %d %v", n, err)
	}
	d = embNext(t, s2)
	if d.Message.ID != storetest.Msg(0).ID || d.Message.Attempts != 4 {
		t.Fatalf("after reopening: %s attempts %d, want %s attempts 4", d.Message.ID, d.Message.Attempts, storetest.Msg(0).ID)
	}
	if d.Message.Props["seq"] != "0" || string(d.Message.Body) != `{"seq":0}` {
		t.Fatalf("release changed the message: %+v", d.Message)
	}
	if err := d.Ack(embCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := d.Ack(embCtx(t)); err != nil {
		t.Fatalf("a second ack of the same lease: %v", err)
	}
	if d := embNext(t, s2); d.Message.ID != storetest.Msg(1).ID || d.Message.Attempts != 0 {
		t.Fatalf("second message: %s attempts %d", d.Message.ID, d.Message.Attempts)
	}
}

func TestEmbeddedValidateModeNeverOpens(t *testing.T) {
	t.Parallel()
	s := stores.NewEmbedded("orders", "")
	ctx := embCtx(t)
	if err := s.Put(ctx, storetest.Msg(1)); err == nil || !strings.Contains(err.Error(), "no data directory") {
		t.Fatalf("put without a data directory: %v", err)
	}
	if _, err := s.Next(ctx, time.Second); err == nil || !strings.Contains(err.Error(), "orders") {
		t.Fatalf("next without a data directory: %v", err)
	}
	if _, err := s.Size(ctx); err == nil {
		t.Fatal("size without a data directory")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Through the registry, as validate compiles (testkit's options have
	// no data directory): the store is built and not opened.
	g, diags := testkit.Compile(`<messageStore name="orders" class="busbar.EmbeddedStore"/>`)
	if g == nil || diags.HasErrors() || len(diags.Warnings()) != 0 {
		t.Fatalf("compile: %v", diags.List)
	}
	defer g.Close()
	st := g.Stores["orders"]
	if st == nil || st.Kind() != "embedded" {
		t.Fatalf("store %v", st)
	}
	if err := st.Put(ctx, storetest.Msg(1)); err == nil || !strings.Contains(err.Error(), "no data directory") {
		t.Fatalf("put in a validate graph: %v", err)
	}
}

func TestEmbeddedOpensOnFirstUse(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	opts := testkit.DefaultOptions
	opts.DataDir = dataDir
	g := testkit.GraphWith(t, `<messageStore name="orders" class="busbar.EmbeddedStore"/>`, opts)
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("compiling touched the data directory: %v", err)
	}
	st := g.Stores["orders"]
	if err := st.Put(embCtx(t), storetest.Msg(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, stores.StoresFile)); err != nil {
		t.Fatalf("the first put did not create the file: %v", err)
	}
}

func TestEmbeddedStoresShareOneFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := stores.NewEmbedded("a", dir), stores.NewEmbedded("b", dir)
	ctx := embCtx(t)
	for i := range 3 {
		if err := a.Put(ctx, storetest.Msg(i)); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, storetest.Msg(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	// Each store is its own queue.
	if d := embNext(t, a); d.Message.ID != storetest.Msg(0).ID {
		t.Fatalf("a gave %s", d.Message.ID)
	}
	if d := embNext(t, b); d.Message.ID != storetest.Msg(100).ID {
		t.Fatalf("b gave %s", d.Message.ID)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || entries[0].Name() != stores.StoresFile {
		t.Fatalf("data directory holds %v %v, want only %s", entries, err, stores.StoresFile)
	}
	// Closing one store leaves the file open for the other.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, storetest.Msg(103)); err != nil {
		t.Fatalf("b after a closed: %v", err)
	}
	if n, err := b.Size(ctx); err != nil || n != 4 {
		t.Fatalf("b size %d %v", n, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// The last close released the file: it can be opened (and locked)
	// again, and holds one bucket per store.
	db, err := bolt.Open(filepath.Join(dir, stores.StoresFile), 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatalf("the file is still held after the last store closed: %v", err)
	}
	defer db.Close()
	counts := map[string]int{}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			counts[string(name)] = bk.Stats().KeyN
			return nil
		})
	})
	if err != nil || len(counts) != 2 || counts["a"] != 3 || counts["b"] != 4 {
		t.Fatalf("buckets %v %v", counts, err)
	}
}

// Two stores of one name are two consumers of one queue (a hot reload):
// a lease held by one that closes goes to the other.
func TestEmbeddedCloseGivesLeasesToTheOtherConsumer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old, repl := embOpen(t, dir, "q"), embOpen(t, dir, "q")
	if err := old.Put(embCtx(t), storetest.Msg(1)); err != nil {
		t.Fatal(err)
	}
	held := embNext(t, old)
	if err := held.Touch(embCtx(t)); err != nil {
		t.Fatalf("touch: %v", err)
	}
	if d, err := repl.Next(embCtx(t), 0); d != nil || err != nil {
		t.Fatalf("a leased message was leased again: %v %v", d, err)
	}
	got := make(chan *store.Delivery, 1)
	go func() {
		d, _ := repl.Next(context.Background(), 10*time.Second)
		got <- d
	}()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-got:
		if d == nil || d.Message.ID != storetest.Msg(1).ID {
			t.Fatalf("the waiting consumer got %v", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("closing the holder did not wake the other consumer")
	}
	if err := held.Touch(embCtx(t)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("touch of a lease given back by Close: %v", err)
	}
	if err := held.Ack(embCtx(t)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("ack through a closed store: %v", err)
	}
	if _, err := old.Next(embCtx(t), 0); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("next on a closed store: %v", err)
	}
	if err := old.Put(embCtx(t), storetest.Msg(2)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("put on a closed store: %v", err)
	}
}

func TestEmbeddedCloseWakesItsWaitingConsumer(t *testing.T) {
	t.Parallel()
	s := stores.NewEmbedded("q", t.TempDir())
	if n, err := s.Size(embCtx(t)); err != nil || n != 0 {
		t.Fatalf("size %d %v", n, err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := s.Next(context.Background(), time.Minute)
		errc <- err
	}()
	// Close may run before the consumer starts waiting; either way Next
	// must end with ErrClosed, long before its minute.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, store.ErrClosed) {
			t.Fatalf("next ended with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("close did not wake the waiting consumer")
	}
}

func TestEmbeddedPutHonoursACancelledContext(t *testing.T) {
	t.Parallel()
	s := embOpen(t, t.TempDir(), "q")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, storetest.Msg(1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("put with a cancelled context: %v", err)
	}
	if n, _ := s.Size(embCtx(t)); n != 0 {
		t.Fatalf("size %d", n)
	}
}

func TestEmbeddedFileLockedByAnotherHandle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// bbolt's flock is per open file, so a second handle in this process
	// stands in for another Busbar process on the same data directory.
	db, err := bolt.Open(filepath.Join(dir, stores.StoresFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := embOpen(t, dir, "q")
	if err := s.Put(embCtx(t), storetest.Msg(1)); err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("put on a locked file: %v", err)
	}
}

func TestEmbeddedJMSClassIsKeptEmbedded(t *testing.T) {
	t.Parallel()
	const artifact = `<messageStore name="jq" class="org.apache.synapse.message.store.impl.jms.JmsStore">
  <parameter name="java.naming.factory.initial">org.apache.activemq.jndi.ActiveMQInitialContextFactory</parameter>
  <parameter name="java.naming.provider.url">tcp://localhost:61616</parameter>
  <parameter name="store.jms.destination">orders</parameter>
  <parameter name="store.producer.guaranteed.delivery.enable">false</parameter>
</messageStore>`
	g, diags := testkit.Compile(artifact)
	if g == nil || diags.HasErrors() {
		t.Fatalf("a JMS store does not load: %v", diags.Err())
	}
	defer g.Close()
	ws := diags.Warnings()
	want := "JMS is not supported; store jq is kept in Busbar's embedded durable store"
	if len(ws) != 1 || ws[0].Msg != want {
		t.Fatalf("warnings %v, want %q", ws, want)
	}
	if ws[0].Pos.Line != 1 {
		t.Fatalf("warning at %v, want the class attribute on line 1", ws[0].Pos)
	}
	if st := g.Stores["jq"]; st == nil || st.Kind() != "embedded" {
		t.Fatalf("store %v", st)
	}

	// With a data directory it is durable like any embedded store.
	dir := t.TempDir()
	opts := testkit.DefaultOptions
	opts.DataDir = dir
	st := testkit.GraphWith(t, artifact, opts).Stores["jq"]
	if err := st.Put(embCtx(t), storetest.Msg(9)); err != nil {
		t.Fatal(err)
	}
	reopened := embOpen(t, dir, "jq")
	if n, err := reopened.Size(embCtx(t)); err != nil || n != 1 {
		t.Fatalf("the JMS store's message is not in %s: %d %v", stores.StoresFile, n, err)
	}
}

// A record that is not a message is reported once and skipped, never
// deleted; a bucket whose sequence is behind its keys (written by another
// tool) never has a record overwritten.
func TestEmbeddedForeignRecords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, stores.StoresFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	good, err := store.Encode(storetest.Msg(2))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("q"))
		if err != nil {
			return err
		}
		// Keys 1 and 2 with the bucket's sequence left at 0.
		if err := b.Put([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte("not a message")); err != nil {
			return err
		}
		return b.Put([]byte{0, 0, 0, 0, 0, 0, 0, 2}, good)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := embOpen(t, dir, "q")
	if err := s.Put(embCtx(t), storetest.Msg(3)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Size(embCtx(t)); err != nil || n != 3 {
		t.Fatalf("size %d %v, want 3 (a record was overwritten?)", n, err)
	}
	if _, err := s.Next(embCtx(t), 0); err == nil || !strings.Contains(err.Error(), "not a Busbar message") {
		t.Fatalf("next over a foreign record: %v", err)
	}
	for _, want := range []int{2, 3} {
		d := embNext(t, s)
		if d.Message.ID != storetest.Msg(want).ID {
			t.Fatalf("got %s, want %s", d.Message.ID, storetest.Msg(want).ID)
		}
		if err := d.Ack(embCtx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := s.Next(embCtx(t), 0); d != nil || err != nil {
		t.Fatalf("after the messages: %v %v", d, err)
	}
	if n, _ := s.Size(embCtx(t)); n != 1 {
		t.Fatalf("size %d: the foreign record must stay", n)
	}
}

// The crash tests re-execute the test binary as a child that stores
// messages and prints each ID only after its Put returned; the parent
// kills it with SIGKILL and checks, in the file the child left, that every
// printed ID is there.
const (
	embChildModeEnv = "BUSBAR_EMBEDDED_CRASH_CHILD"
	embChildDirEnv  = "BUSBAR_EMBEDDED_CRASH_DIR"
	embCrashStore   = "crash"
)

// TestEmbeddedCrashChild is the child's body; it does nothing in a normal
// run. Mode "produce" stores from 8 goroutines and prints "PUT id" after
// each Put. Mode "consume" also runs 2 consumers that release each
// message once (printing "RETRY id" after Release returned) and
// acknowledge it the second time ("DONE id" after Ack returned); the
// releases, each waiting for its commit, keep a backlog in the store.
func TestEmbeddedCrashChild(t *testing.T) {
	mode := os.Getenv(embChildModeEnv)
	if mode == "" {
		t.Skip("runs only as the child of the crash tests")
	}
	s := stores.NewEmbedded(embCrashStore, os.Getenv(embChildDirEnv))
	// The parent kills the child long before this; it only bounds a child
	// whose parent died.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out sync.Mutex
	say := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...) // unbuffered: one write per line
	}
	body := bytes.Repeat([]byte("x"), 1024)
	var wg sync.WaitGroup
	for p := range 8 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				m := storetest.Msg(i)
				m.ID, m.Body = fmt.Sprintf("p%d-%d", p, i), body
				if err := s.Put(ctx, m); err != nil {
					say("ERR put %s: %v", m.ID, err)
					return
				}
				say("PUT %s", m.ID)
			}
		})
	}
	if mode == "consume" {
		for range 2 {
			wg.Go(func() {
				for ctx.Err() == nil {
					d, err := s.Next(ctx, 100*time.Millisecond)
					if err != nil {
						say("ERR next: %v", err)
						return
					}
					if d == nil {
						continue
					}
					if d.Message.Attempts == 0 {
						if err := d.Release(ctx, 1); err != nil {
							say("ERR release %s: %v", d.Message.ID, err)
							return
						}
						say("RETRY %s", d.Message.ID)
						continue
					}
					if err := d.Ack(ctx); err != nil {
						say("ERR ack %s: %v", d.Message.ID, err)
						return
					}
					say("DONE %s", d.Message.ID)
				}
			})
		}
	}
	wg.Wait()
}

// embChildLog is what a child printed: the IDs by line kind.
type embChildLog struct {
	put, retry, done map[string]bool
}

// embCrashRun runs a child in mode until it has acknowledged at least puts
// messages, consumed at least dones and left at least backlog of them
// unconsumed, then kills it with SIGKILL.
func embCrashRun(t *testing.T, dir, mode string, puts, dones, backlog int) embChildLog {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmbeddedCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), embChildModeEnv+"="+mode, embChildDirEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A child that stops printing is killed rather than hanging the test.
	watchdog := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()
	log := embChildLog{put: map[string]bool{}, retry: map[string]bool{}, done: map[string]bool{}}
	killed := false
	sc := bufio.NewScanner(stdout)
	// Lines still in the pipe after the kill were printed, so what they
	// report had returned: they are read to the end.
	for sc.Scan() {
		kind, id, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "PUT":
			log.put[id] = true
		case "RETRY":
			log.retry[id] = true
		case "DONE":
			log.done[id] = true
		case "ERR":
			t.Errorf("child: %s", sc.Text())
		}
		if !killed && len(log.put) >= puts && len(log.done) >= dones && len(log.put)-len(log.done) >= backlog {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("the child ended before being killed (%v, %d puts, %d consumed):\n%s", err, len(log.put), len(log.done), stderr.String())
	}
	return log
}

// embFound is a message found after the crash.
type embFound struct {
	n        int // times delivered (must be 1)
	attempts int
}

// embReopenAll leases every message in the store the child left.
func embReopenAll(t *testing.T, dir string) map[string]*embFound {
	t.Helper()
	s := stores.NewEmbedded(embCrashStore, dir)
	defer s.Close()
	found := map[string]*embFound{}
	total := 0
	for {
		d, err := s.Next(embCtx(t), 0)
		if err != nil {
			t.Fatalf("reading after the crash: %v", err)
		}
		if d == nil {
			break
		}
		if len(d.Message.Body) != 1024 {
			t.Fatalf("message %s has a %d-byte body", d.Message.ID, len(d.Message.Body))
		}
		f := found[d.Message.ID]
		if f == nil {
			f = &embFound{}
			found[d.Message.ID] = f
		}
		f.n++
		f.attempts = d.Message.Attempts
		total++
	}
	for id, f := range found {
		if f.n > 1 {
			t.Errorf("%s is stored %d times", id, f.n)
		}
	}
	if n, err := s.Size(embCtx(t)); err != nil || n != int64(total) {
		t.Fatalf("size %d %v, but %d messages were delivered", n, err, total)
	}
	return found
}

func embCrashRounds() int {
	if testing.Short() {
		return 1
	}
	return 3
}

func TestEmbeddedCrashLosesNoAcknowledgedPut(t *testing.T) {
	t.Parallel()
	for round := range embCrashRounds() {
		dir := t.TempDir()
		log := embCrashRun(t, dir, "produce", 300, 0, 0)
		found := embReopenAll(t, dir)
		var lost []string
		for id := range log.put {
			if found[id] == nil {
				lost = append(lost, id)
			}
		}
		extras := 0
		for id := range found {
			if !log.put[id] {
				extras++ // committed, but killed before the child printed it
			}
		}
		sort.Strings(lost)
		t.Logf("round %d: %d acknowledged, %d found, %d lost, %d unacknowledged extras", round, len(log.put), len(found), len(lost), extras)
		if len(lost) > 0 {
			t.Fatalf("acknowledged messages lost in the crash: %v", lost)
		}
	}
}

func TestEmbeddedCrashDuringConsumptionLosesNothing(t *testing.T) {
	t.Parallel()
	for round := range embCrashRounds() {
		dir := t.TempDir()
		log := embCrashRun(t, dir, "consume", 300, 100, 50)
		found := embReopenAll(t, dir)
		var lost, forgot []string
		unconsumed, redelivered, extras := 0, 0, 0
		for id := range log.put {
			if log.done[id] {
				continue
			}
			unconsumed++
			switch f := found[id]; {
			case f == nil:
				lost = append(lost, id)
			case log.retry[id] && f.attempts < 1:
				forgot = append(forgot, id) // a Release returned, so its count is on disk
			}
		}
		for id := range found {
			switch {
			case log.done[id]:
				redelivered++ // its ack was not committed yet: at least once
			case !log.put[id]:
				extras++ // committed, but killed before the child printed it
			}
		}
		sort.Strings(lost)
		t.Logf("round %d: %d acknowledged puts, %d consumed, %d released once, %d acknowledged and unconsumed: %d lost; "+
			"%d consumed but found again (ack not committed yet), %d unacknowledged extras",
			round, len(log.put), len(log.done), len(log.retry), unconsumed, len(lost), redelivered, extras)
		if len(lost) > 0 {
			t.Fatalf("acknowledged, unconsumed messages lost in the crash: %v", lost)
		}
		if len(forgot) > 0 {
			t.Fatalf("released messages lost their recorded attempt: %v", forgot)
		}
	}
}
