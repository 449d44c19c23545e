package stores_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/busbar/busbar/internal/store"
	"github.com/busbar/busbar/internal/store/storetest"
	"github.com/busbar/busbar/internal/stores"
	"github.com/busbar/busbar/internal/testkit"
)

// testURL is testkit.PostgresDSN written as MI would, a JDBC URL.
const testURL = "jdbc:postgresql://127.0.0.1:5432/test?sslmode=disable"

const jdbcClass = "org.apache.synapse.message.store.impl.jdbc.JDBCMessageStore"

func suffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// uniqueTable returns a fresh table name, dropped when the test ends.
func uniqueTable(t *testing.T, prefix string) string {
	t.Helper()
	name := prefix + "_" + suffix()
	t.Cleanup(func() { dropTable(t, name) })
	return name
}

// sql runs statements on the test database.
func sql(t *testing.T, stmts ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testkit.PostgresDSN)
	if err != nil {
		t.Fatalf("connecting to the test database: %v", err)
	}
	defer c.Close(ctx)
	for _, s := range stmts {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// queryInt reads one integer.
func queryInt(t *testing.T, q string, args ...any) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testkit.PostgresDSN)
	if err != nil {
		t.Fatalf("connecting to the test database: %v", err)
	}
	defer c.Close(ctx)
	var n int64
	if err := c.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func dropTable(t *testing.T, table string) {
	sql(t, `DROP TABLE IF EXISTS "`+table+`"`)
}

func param(name, value string) string {
	return `<parameter name="` + name + `">` + value + `</parameter>`
}

// jdbcXML is a JDBC <messageStore> on the test database.
func jdbcXML(name, table string, extra ...string) string {
	return `<messageStore name="` + name + `" class="` + jdbcClass + `">` +
		param("store.jdbc.connection.url", testURL) + param("store.jdbc.driver", "org.postgresql.Driver") +
		param("store.jdbc.username", "postgres") + param("store.jdbc.table", table) +
		strings.Join(extra, "") + `</messageStore>`
}

// openStore compiles artifacts and returns the named store; the graph
// (and so the store) closes when the test ends.
func openStore(t *testing.T, artifacts, name string) store.Store {
	t.Helper()
	s := testkit.Graph(t, artifacts).Stores[name]
	if s == nil {
		t.Fatalf("store %s not built", name)
	}
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, s store.Store, m *store.Message) {
	t.Helper()
	if err := s.Put(ctxT(t), m); err != nil {
		t.Fatalf("put %s: %v", m.ID, err)
	}
}

func mustNext(t *testing.T, s store.Store, wait time.Duration) *store.Delivery {
	t.Helper()
	d, err := s.Next(ctxT(t), wait)
	if err != nil || d == nil {
		t.Fatalf("next: %v %v", d, err)
	}
	return d
}

func mustSize(t *testing.T, s store.Store, want int64) {
	t.Helper()
	if n, err := s.Size(ctxT(t)); err != nil || n != want {
		t.Fatalf("size %d (%v), want %d", n, err, want)
	}
}

// TestJDBCConformance runs the store suite; two stores with one name
// share a table, as two nodes would.
func TestJDBCConformance(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "postgres")
	run := suffix()
	storetest.Run(t, storetest.Kind{Durable: true, Shared: true, Open: func(t *testing.T, name string) store.Store {
		table := "bbt_" + run + "_" + name
		t.Cleanup(func() { dropTable(t, table) })
		return openStore(t, jdbcXML(name, table), name)
	}})
}

// TestJDBCLeaseExpiresAcrossNodes: while node A renews its lease, node B
// never gets the message; when A dies (stops renewing, never acks), B gets
// it once the lease has expired, and A's late ack cannot remove it.
func TestJDBCLeaseExpiresAcrossNodes(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "postgres")
	table := uniqueTable(t, "bbt_lease")
	xml := jdbcXML("S", table, param("store.jdbc.lease", "1"))
	a, b := openStore(t, xml, "S"), openStore(t, xml, "S")
	mustPut(t, a, storetest.Msg(1))
	held := mustNext(t, a, 5*time.Second)

	for until := time.Now().Add(2500 * time.Millisecond); time.Now().Before(until); {
		if err := held.Touch(ctxT(t)); err != nil {
			t.Fatalf("touch: %v", err)
		}
		if d, err := b.Next(ctxT(t), 300*time.Millisecond); d != nil || err != nil {
			t.Fatalf("node B got a message node A holds: %v %v", d, err)
		}
	}

	// A is dead from here on: no touch, no ack, no close.
	died := time.Now()
	got := mustNext(t, b, 10*time.Second)
	if got.Message.ID != storetest.Msg(1).ID {
		t.Fatalf("node B got %s", got.Message.ID)
	}
	if waited := time.Since(died); waited > 5*time.Second {
		t.Fatalf("the expired lease took %v to reach node B", waited)
	}
	if err := held.Ack(ctxT(t)); !errors.Is(err, stores.ErrLeaseLost) {
		t.Fatalf("node A's late ack: %v, want ErrLeaseLost", err)
	}
	if err := held.Touch(ctxT(t)); !errors.Is(err, stores.ErrLeaseLost) {
		t.Fatalf("node A's late touch: %v, want ErrLeaseLost", err)
	}
	mustSize(t, b, 1)
	if err := got.Ack(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mustSize(t, b, 0)
}

// TestJDBCCloseGivesLeasesBack: a node that shuts down cleanly hands its
// leased messages to the others at once, with their recorded attempts,
// instead of making them wait for the lease to expire.
func TestJDBCCloseGivesLeasesBack(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "postgres")
	table := uniqueTable(t, "bbt_close")
	a := openStore(t, jdbcXML("S", table), "S")
	b := openStore(t, jdbcXML("S", table), "S")
	mustPut(t, a, storetest.Msg(1))
	mustPut(t, a, storetest.Msg(2))
	first := mustNext(t, a, 5*time.Second)
	if err := first.Release(ctxT(t), 3); err != nil {
		t.Fatal(err)
	}
	first = mustNext(t, a, 5*time.Second)
	if first.Message.ID != storetest.Msg(1).ID || first.Message.Attempts != 3 {
		t.Fatalf("released message came back as %s with %d attempts", first.Message.ID, first.Message.Attempts)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Ack(ctxT(t)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("ack on a closed store: %v", err)
	}
	if err := a.Put(ctxT(t), storetest.Msg(3)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("put on a closed store: %v", err)
	}
	got := mustNext(t, b, 2*time.Second) // far less than the 60 s lease
	if got.Message.ID != storetest.Msg(1).ID || got.Message.Attempts != 3 {
		t.Fatalf("after A closed, B got %s with %d attempts", got.Message.ID, got.Message.Attempts)
	}
}

// TestJDBCUpgradesMILayout: a table created with MI's DDL gets Busbar's
// columns and works; a row Busbar cannot read (MI's Java serialisation) is
// kept and skipped, never dropped.
func TestJDBCUpgradesMILayout(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "postgres")
	table := uniqueTable(t, "bbt_mi")
	sql(t, `CREATE TABLE `+table+` (indexId BIGSERIAL PRIMARY KEY, msg_id VARCHAR(200) NOT NULL, message BYTEA NOT NULL)`,
		`INSERT INTO `+table+` (msg_id, message) VALUES ('urn:uuid:java', '\xaced0005')`)
	s := openStore(t, jdbcXML("S", table), "S")
	mustPut(t, s, storetest.Msg(1))
	d := mustNext(t, s, 5*time.Second)
	if d.Message.ID != storetest.Msg(1).ID {
		t.Fatalf("got %s", d.Message.ID)
	}
	if err := d.Ack(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mustSize(t, s, 1) // the unreadable row is kept
	if d, err := s.Next(ctxT(t), 0); d != nil || err != nil {
		t.Fatalf("the unreadable row was handed out: %v %v", d, err)
	}
	if n := queryInt(t, `SELECT count(*) FROM `+table+` WHERE locked_by = 'busbar:unreadable'`); n != 1 {
		t.Fatalf("%d rows set aside", n)
	}
}

// TestJDBCRefusesResequenceTable: a JDBC store pointed at a resequencing
// store's table says so instead of mixing the two.
func TestJDBCRefusesResequenceTable(t *testing.T) {
	t.Parallel()
	testkit.Service(t, "postgres")
	table := uniqueTable(t, "bbt_mixed")
	sql(t, `CREATE TABLE `+table+` (indexId BIGSERIAL PRIMARY KEY, msg_id VARCHAR(200) NOT NULL, seq_id BIGINT NOT NULL, message BYTEA NOT NULL)`)
	s := openStore(t, jdbcXML("S", table), "S")
	err := s.Put(ctxT(t), storetest.Msg(1))
	if err == nil || !strings.Contains(err.Error(), "belongs to a resequencing store") {
		t.Fatalf("put: %v", err)
	}
}

// TestJDBCUnreachableDatabase: building the store does not connect; a Put
// while the database cannot be reached fails promptly, naming the table.
func TestJDBCUnreachableDatabase(t *testing.T) {
	t.Parallel()
	s := openStore(t, `<messageStore name="S" class="`+jdbcClass+`">`+
		param("store.jdbc.connection.url", "jdbc:postgresql://127.0.0.1:1/test")+`</messageStore>`, "S")
	start := time.Now()
	err := s.Put(ctxT(t), storetest.Msg(1))
	if err == nil || !strings.Contains(err.Error(), "jdbc_message_store") {
		t.Fatalf("put to an unreachable database: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the failing put took %v", took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := s.Next(ctx, time.Hour); err == nil {
		t.Fatal("next on an unreachable database succeeded")
	}
}

// waitListening waits until a connection listens on the table's channel.
func waitListening(t *testing.T, table string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		n := queryInt(t, `SELECT count(*) FROM pg_stat_activity WHERE query = $1`, `LISTEN "busbar_`+table+`"`)
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections listen for table %s", n, table)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pgctl stops or starts the local PostgreSQL cluster.
func pgctl(t *testing.T, action string) error {
	t.Helper()
	versions, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(versions) == 0 {
		t.Fatalf("no PostgreSQL cluster in /etc/postgresql: %v", err)
	}
	out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", versions[0].Name(), "main", action).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctlcluster %s: %v: %s", action, err, out)
	}
	return nil
}

// TestJDBCSurvivesPostgresRestart stops PostgreSQL under a store: puts
// fail promptly while it is down, every message stored before keeps being
// delivered after it is back (a lease held across the outage included),
// and puts succeed again without reopening the store. Not parallel: it
// takes PostgreSQL from every other test for a few seconds.
func TestJDBCSurvivesPostgresRestart(t *testing.T) {
	testkit.ExclusiveService(t, "postgres")
	table := uniqueTable(t, "bbt_restart")
	s := openStore(t, jdbcXML("S", table), "S")
	// Registered last so it runs first: the table is dropped, and the
	// shared lock released, only with PostgreSQL running again.
	t.Cleanup(func() {
		if err := pgctl(t, "start"); err != nil && !strings.Contains(err.Error(), "already running") {
			t.Errorf("restarting PostgreSQL: %v", err)
		}
	})
	// A consumer that waited on the empty store started the listener.
	if d, err := s.Next(ctxT(t), 100*time.Millisecond); d != nil || err != nil {
		t.Fatalf("empty store gave %v %v", d, err)
	}
	waitListening(t, table)
	const n = 10
	for i := range n {
		mustPut(t, s, storetest.Msg(i))
	}
	held := mustNext(t, s, 5*time.Second)

	if err := pgctl(t, "stop"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Put(ctx, storetest.Msg(100)); err == nil {
		t.Fatal("a put succeeded with PostgreSQL stopped")
	}
	if _, err := s.Next(ctx, 0); err == nil {
		t.Fatal("next succeeded with PostgreSQL stopped")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("failing while PostgreSQL is down took %v", took)
	}

	if err := pgctl(t, "start"); err != nil {
		t.Fatal(err)
	}
	recovered := storetest.Msg(n)
	for deadline := time.Now().Add(30 * time.Second); ; {
		pctx, pcancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.Put(pctx, recovered)
		pcancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("puts still fail 30 s after PostgreSQL came back: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitListening(t, table)
	if err := held.Ack(ctxT(t)); err != nil {
		t.Fatalf("the lease held across the restart: %v", err)
	}
	for i := 1; i <= n; i++ {
		d := mustNext(t, s, 5*time.Second)
		if d.Message.ID != storetest.Msg(i).ID {
			t.Fatalf("after the restart message %d is %s", i, d.Message.ID)
		}
		if err := d.Ack(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	}
	mustSize(t, s, 0)
}

// diagAt is where a needle starts in artifacts wrapped by testkit.Compile,
// as file:line:col.
func diagAt(t *testing.T, artifacts, needle string) string {
	t.Helper()
	full := testkit.Definitions(artifacts)
	i := strings.Index(full, needle)
	if i < 0 {
		t.Fatalf("%q not in the configuration", needle)
	}
	line := 1 + strings.Count(full[:i], "\n")
	col := i - strings.LastIndex(full[:i], "\n")
	return fmt.Sprintf("test.xml:%d:%d", line, col)
}

// configCase is a configuration that must fail with a diagnostic at the
// position of at, whose text contains want.
type configCase struct {
	name, artifacts, at, want string
}

func checkConfigErrors(t *testing.T, cases []configCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g, diags := testkit.Compile(c.artifacts)
			if g != nil {
				_ = g.Close()
			}
			want := diagAt(t, c.artifacts, c.at) + ": error: messageStore[S]: " + c.want
			var got []string
			for _, d := range diags.List {
				got = append(got, d.String())
				if strings.HasPrefix(d.String(), want) {
					return
				}
			}
			t.Fatalf("want a diagnostic starting\n  %s\ngot\n  %s", want, strings.Join(got, "\n  "))
		})
	}
}

// TestJDBCConfigErrors: parameter problems are configuration errors at
// the parameter (or at the store when it is missing); none needs the
// database.
func TestJDBCConfigErrors(t *testing.T) {
	t.Parallel()
	def := func(params ...string) string {
		return `<messageStore name="S" class="` + jdbcClass + `">
  ` + strings.Join(params, "\n  ") + `
</messageStore>`
	}
	url := param("store.jdbc.connection.url", testURL)
	checkConfigErrors(t, []configCase{
		{"missing url", def(param("store.jdbc.table", "t")), `<messageStore`,
			"<messageStore> S needs the parameter store.jdbc.connection.url"},
		{"other database", def(param("store.jdbc.connection.url", "jdbc:mysql://localhost:3306/db")), `<parameter name="store.jdbc.connection.url"`,
			"store.jdbc.connection.url: jdbc:mysql databases are not supported: Busbar's JDBC message store supports PostgreSQL only"},
		{"not jdbc", def(param("store.jdbc.connection.url", "postgres://localhost/db")), `<parameter name="store.jdbc.connection.url"`,
			"store.jdbc.connection.url: not a JDBC URL"},
		{"unknown url parameter", def(param("store.jdbc.connection.url", testURL+"&amp;prepareThreshold=0")), `<parameter name="store.jdbc.connection.url"`,
			`store.jdbc.connection.url: URL parameter "prepareThreshold" is not supported (supported: `},
		{"other driver", def(url, param("store.jdbc.driver", "com.mysql.jdbc.Driver")), `<parameter name="store.jdbc.driver"`,
			`store.jdbc.driver "com.mysql.jdbc.Driver" is not supported: Busbar's JDBC message store talks to PostgreSQL only (org.postgresql.Driver)`},
		{"datasource", def(param("store.jdbc.dsName", "jdbc/WSO2CarbonDB")), `<parameter name="store.jdbc.dsName"`,
			"store.jdbc.dsName: datasources are not supported yet"},
		{"bad table", def(url, param("store.jdbc.table", "orders; DROP TABLE x")), `<parameter name="store.jdbc.table"`,
			`store.jdbc.table: "orders; DROP TABLE x" is not a valid SQL table name`},
		{"bad lease", def(url, param("store.jdbc.lease", "0")), `<parameter name="store.jdbc.lease"`,
			`store.jdbc.lease="0" must be a positive number of seconds`},
	})
}

// TestJDBCURLForms: the JDBC URL forms MI users write compile.
func TestJDBCURLForms(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"jdbc:postgresql://db.example.com/busbar",
		"jdbc:postgresql://db1:5432,db2:5433/busbar?targetServerType=primary&amp;ssl=true",
		"jdbc:postgresql://[::1]:5432/busbar?currentSchema=queues&amp;ApplicationName=busbar&amp;connectTimeout=3&amp;socketTimeout=30",
		"jdbc:postgresql:busbar",
		"jdbc:postgresql:/",
		"jdbc:postgresql://localhost/busbar?user=u&amp;password=p%40ss",
	} {
		g, diags := testkit.Compile(`<messageStore name="S" class="` + jdbcClass + `">` + param("store.jdbc.connection.url", u) +
			param("store.jdbc.table", "queues.orders") + `</messageStore>`)
		if g != nil {
			_ = g.Close()
		}
		if diags.HasErrors() {
			t.Errorf("%s: %v", u, diags.Err())
		}
	}
}
