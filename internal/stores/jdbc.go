package stores

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

// The JDBC message store keeps messages in one PostgreSQL table per store,
// in MI's layout (indexId, msg_id, message) plus the columns Busbar needs
// for leases shared by several nodes. The message column holds
// store.Encode's record, the format the embedded store keeps too, so a
// message moves between kinds unchanged. The store creates the table when
// it is missing and adds Busbar's columns to a table in MI's older layout:
//
//	CREATE TABLE jdbc_message_store (
//	    indexId      BIGSERIAL PRIMARY KEY,              -- arrival order (MI)
//	    msg_id       VARCHAR(200) NOT NULL,              -- the Synapse MessageID (MI)
//	    message      BYTEA NOT NULL,                     -- store.Encode(message) (MI: Java-serialised)
//	    created      TIMESTAMPTZ NOT NULL DEFAULT now(), -- when stored, database clock
//	    attempts     INT NOT NULL DEFAULT 0,             -- delivery attempts recorded by Release
//	    locked_by    TEXT,                               -- lease holder: "<node>/<lease number>"
//	    locked_until TIMESTAMPTZ                         -- lease end, database clock
//	);
//
// A row is free when locked_until is NULL or past; Next claims the free row
// with the lowest indexId (FOR UPDATE SKIP LOCKED, so nodes never wait on
// each other) and sets the lease columns; Touch moves locked_until on;
// Release clears them and records attempts; Ack deletes the row. Every
// lease operation is conditional on locked_by still naming the lease, so a
// node whose lease expired and was taken over cannot acknowledge or
// release someone else's delivery. Put and Release send a NOTIFY on a
// channel derived from the table name to wake consumers waiting in Next.

// Synapse class names and parameters of the PostgreSQL stores.
const (
	jdbcClass = "org.apache.synapse.message.store.impl.jdbc.JDBCMessageStore"

	paramJDBCURL      = "store.jdbc.connection.url"
	paramJDBCDriver   = "store.jdbc.driver"
	paramJDBCUser     = "store.jdbc.username"
	paramJDBCPassword = "store.jdbc.password"
	paramJDBCTable    = "store.jdbc.table"
	paramJDBCDSName   = "store.jdbc.dsName"
	paramJDBCICClass  = "store.jdbc.icClass"
	paramJDBCLease    = "store.jdbc.lease"

	defaultJDBCTable = "jdbc_message_store"
	defaultLease     = 60 * time.Second
	postgresDriver   = "org.postgresql.Driver"
)

// Timing of the PostgreSQL stores.
const (
	// pollInterval bounds how long a waiting Next trusts LISTEN/NOTIFY
	// alone: a notification lost while the listening connection was down,
	// or a lease that expired on another node, is seen within it.
	pollInterval = time.Second
	// connectTimeout is PgJDBC's default connectTimeout; without one a
	// blackholed server would hold the pool's background dial for minutes.
	connectTimeout = 10 * time.Second
	// closeTimeout bounds the lease hand-back when a store closes.
	closeTimeout = 5 * time.Second
)

// ddlLockKey is the advisory lock every Busbar node takes while creating
// or upgrading a store's tables: two nodes starting together would
// otherwise race in CREATE TABLE IF NOT EXISTS and one would fail.
const ddlLockKey int64 = 0x6275736261720001 // "busbar" 0x00 0x01

// unreadable marks a row whose message column is not a Busbar record (for
// example one written by MI). It stays in the table, counted by Size, but is
// never handed out again.
const unreadable = "busbar:unreadable"

// ErrLeaseLost is returned by Ack, Release and Touch on a PostgreSQL
// store's delivery when the lease is no longer this consumer's: it expired
// and another node took the message, or it was already given back. The
// message is not lost; it may be delivered again.
var ErrLeaseLost = errors.New("message store lease lost: the message expired to another consumer or was already given back")

func init() {
	registry.RegisterStore(registry.Spec{
		Element: "jdbc",
		Aliases: []string{jdbcClass},
		Summary: "MI's JDBC message store on PostgreSQL: a durable queue in a table that several Busbar nodes share, " +
			"each message leased to one consumer at a time.",
		Doc: "Messages are kept in the table store.jdbc.table (created when missing; MI's layout plus created, attempts, " +
			"locked_by and locked_until columns), oldest first. A consumer leases a message for store.jdbc.lease " +
			"seconds and renews the lease while it retries; a node that dies loses its leases when they expire and " +
			"another node then delivers those messages. A Put returns only once the row is committed; while " +
			"PostgreSQL is unreachable it fails at once (the store mediator then fails the flow, so the client " +
			"hears about it) and the store reconnects by itself when the database is back. Waiting consumers are " +
			"woken by LISTEN/NOTIFY and poll every second as a fallback. The database is reached only when the store " +
			"is first used, never by `busbar validate`. Only PostgreSQL is supported: the driver, if given, must be " +
			"org.postgresql.Driver, and datasources (store.jdbc.dsName) are not supported yet. Unquoted table names " +
			"are folded to lower case, as PostgreSQL does. Each store needs its own table: nodes that name the same " +
			"table share one queue.\n\n" +
			"```xml\n" +
			"<messageStore name=\"Orders\" class=\"org.apache.synapse.message.store.impl.jdbc.JDBCMessageStore\">\n" +
			"  <parameter name=\"store.jdbc.connection.url\">jdbc:postgresql://db.example.com:5432/busbar?sslmode=require</parameter>\n" +
			"  <parameter name=\"store.jdbc.driver\">org.postgresql.Driver</parameter>\n" +
			"  <parameter name=\"store.jdbc.username\">busbar</parameter>\n" +
			"  <parameter name=\"store.jdbc.password\">secret</parameter>\n" +
			"  <parameter name=\"store.jdbc.table\">orders_store</parameter>\n" +
			"</messageStore>\n" +
			"```",
		Attrs:       jdbcParamDocs(),
		Differences: jdbcDifferences,
	}, newJDBCStore)
}

// jdbcDifferences lists where the PostgreSQL stores deliberately differ
// from MI's JDBC store.
var jdbcDifferences = []string{
	"Messages are leased rather than merely peeked, so several processors or nodes on one table never deliver the same message at once; a dead node's leases expire after store.jdbc.lease seconds.",
	"The message column holds Busbar's record (JSON head and body bytes), not a Java-serialised message context.",
	"A row that is not a Busbar record is kept and skipped (its lease is set to never expire) and logged, never discarded.",
}

// jdbcParamDocs documents the parameters shared by the JDBC and the
// resequencing store.
func jdbcParamDocs() []registry.Attr {
	return []registry.Attr{
		{Name: paramJDBCURL, Required: true, Doc: "PostgreSQL JDBC URL: jdbc:postgresql://host[:port][,host2[:port]]/database[?parameters]. " +
			"URL parameters understood: user, password, sslmode, ssl, sslcert, sslkey, sslrootcert, sslpassword, connectTimeout, " +
			"loginTimeout, ApplicationName, currentSchema, options, targetServerType; socketTimeout and tcpKeepAlive are " +
			"accepted and ignored (each operation is bounded by its caller's deadline). Any other database is a configuration error."},
		{Name: paramJDBCDriver, Doc: "JDBC driver class; only " + postgresDriver + " is accepted."},
		{Name: paramJDBCUser, Doc: "Database user (overrides a user given in the URL)."},
		{Name: paramJDBCPassword, Doc: "Database password (overrides a password given in the URL)."},
		{Name: paramJDBCTable, Default: defaultJDBCTable, Doc: "Table holding the messages: a SQL identifier, optionally schema-qualified (schema.table)."},
		{Name: paramJDBCLease, Type: "duration", Default: "60", Doc: "Busbar: seconds a consumer holds a message before another node may take it, renewed while it retries."},
		{Name: paramJDBCDSName, Doc: "Datasource name: not supported yet (a configuration error); give store.jdbc.connection.url."},
	}
}

func newJDBCStore(b registry.Builder, def *config.MessageStore, cfg store.Config) (store.Store, error) {
	set, ok := parsePGSettings(b, def, cfg)
	if !ok {
		return nil, nil
	}
	return newPGStore(def.Name, "jdbc", set, nil), nil
}

// pgSettings are the checked connection parameters of a PostgreSQL store.
type pgSettings struct {
	dsn   string
	table tableName
	lease time.Duration
}

// paramAt returns the position of a <parameter name>, or the store's own
// position when the parameter is absent.
func paramAt(def *config.MessageStore, name string) config.Pos {
	for _, p := range def.Params {
		if p.Name == name {
			return p.Pos
		}
	}
	return def.Pos
}

// parsePGSettings checks the store.jdbc.* parameters, reporting every
// problem at its parameter; ok is false when any was reported.
func parsePGSettings(b registry.Builder, def *config.MessageStore, cfg store.Config) (pgSettings, bool) {
	ok := true
	fail := func(param, format string, args ...any) {
		b.Errorf(paramAt(def, param), format, args...)
		ok = false
	}
	_, dsName := cfg.Params[paramJDBCDSName]
	if _, icClass := cfg.Params[paramJDBCICClass]; dsName || icClass {
		p := paramJDBCDSName
		if !dsName {
			p = paramJDBCICClass
		}
		fail(p, "%s: datasources are not supported yet; give %s (jdbc:postgresql://host:port/database)", p, paramJDBCURL)
	}
	if d := cfg.Param(paramJDBCDriver, ""); d != "" && d != postgresDriver {
		fail(paramJDBCDriver, "%s %q is not supported: Busbar's JDBC message store talks to PostgreSQL only (%s)", paramJDBCDriver, d, postgresDriver)
	}
	var set pgSettings
	switch u := cfg.Param(paramJDBCURL, ""); {
	case u == "" && !dsName:
		fail(paramJDBCURL, "<messageStore> %s needs the parameter %s (jdbc:postgresql://host:port/database)", def.Name, paramJDBCURL)
	case u != "":
		dsn, err := jdbcToDSN(u, cfg.Param(paramJDBCUser, ""), cfg.Param(paramJDBCPassword, ""))
		if err != nil {
			fail(paramJDBCURL, "%s: %v", paramJDBCURL, err)
		}
		set.dsn = dsn
	}
	t, err := parseTableName(cfg.Param(paramJDBCTable, defaultJDBCTable))
	if err != nil {
		fail(paramJDBCTable, "%s: %v", paramJDBCTable, err)
	}
	set.table = t
	set.lease = defaultLease
	if v, given := cfg.Params[paramJDBCLease]; given {
		d, err := parseSeconds(v)
		if err != nil || d <= 0 {
			fail(paramJDBCLease, "%s=%q must be a positive number of seconds", paramJDBCLease, v)
		}
		set.lease = d
	}
	return set, ok
}

// parseSeconds reads a number of seconds, decimals allowed.
func parseSeconds(v string) (time.Duration, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0, err
	}
	if f > 1e9 || f < -1e9 {
		return 0, fmt.Errorf("%v seconds is out of range", f)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// jdbcParams maps PgJDBC URL parameters to libpq/pgx ones ("" means
// accepted and ignored).
var jdbcParams = map[string]string{
	"user": "user", "password": "password", "sslmode": "sslmode", "sslcert": "sslcert", "sslkey": "sslkey",
	"sslrootcert": "sslrootcert", "sslpassword": "sslpassword", "connectTimeout": "connect_timeout",
	"loginTimeout": "connect_timeout", "ApplicationName": "application_name", "currentSchema": "search_path",
	"options": "options", "targetServerType": "target_session_attrs", "ssl": "sslmode",
	// Go enables TCP keep-alive on every connection, and every store
	// operation is bounded by its caller's context.
	"socketTimeout": "", "tcpKeepAlive": "",
}

// targetServerTypes maps PgJDBC's targetServerType values to
// target_session_attrs.
var targetServerTypes = map[string]string{
	"any": "any", "primary": "primary", "master": "primary", "secondary": "standby", "slave": "standby",
	"preferSecondary": "prefer-standby", "preferSlave": "prefer-standby",
}

// jdbcToDSN turns a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db?p=v,
// jdbc:postgresql:db, jdbc:postgresql:/) into a pgx connection URL. user
// and password, when given, win over the URL's.
func jdbcToDSN(jdbc, user, password string) (string, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(jdbc), "jdbc:")
	if !ok {
		return "", fmt.Errorf("not a JDBC URL; expected jdbc:postgresql://host:port/database")
	}
	kind, rest, _ := strings.Cut(rest, ":")
	if kind != "postgresql" {
		return "", fmt.Errorf("jdbc:%s databases are not supported: Busbar's JDBC message store supports PostgreSQL only (jdbc:postgresql://host:port/database)", kind)
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	hosts, db := "localhost:5432", rest
	if r, ok := strings.CutPrefix(rest, "//"); ok {
		hosts, db, _ = strings.Cut(r, "/")
		if hosts == "" || strings.Contains(hosts, "@") {
			return "", fmt.Errorf("give the server as jdbc:postgresql://host:port/database (user and password go in %s and %s)", paramJDBCUser, paramJDBCPassword)
		}
	} else {
		db = strings.TrimPrefix(db, "/")
	}
	q, err := jdbcQuery(rawQuery)
	if err != nil {
		return "", err
	}
	if user != "" {
		q.Set("user", user)
	}
	if password != "" {
		q.Set("password", password)
	}
	u := &url.URL{Scheme: "postgres", Host: hosts, Path: "/" + db}
	if v := q.Get("user"); v != "" {
		if p, has := q["password"]; has {
			u.User = url.UserPassword(v, p[0])
		} else {
			u.User = url.User(v)
		}
	}
	q.Del("user")
	q.Del("password")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// jdbcQuery translates the URL's parameters, rejecting unknown ones so a
// setting never silently does nothing.
func jdbcQuery(raw string) (url.Values, error) {
	in, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("bad URL parameters: %v", err)
	}
	out := url.Values{}
	for k, vs := range in {
		to, known := jdbcParams[k]
		if !known {
			names := make([]string, 0, len(jdbcParams))
			for n := range jdbcParams {
				names = append(names, n)
			}
			slices.Sort(names)
			return nil, fmt.Errorf("URL parameter %q is not supported (supported: %s)", k, strings.Join(names, ", "))
		}
		v := vs[len(vs)-1]
		switch k {
		case "ssl":
			// PgJDBC's ssl=true verifies the server fully unless sslmode
			// says otherwise.
			if v == "true" && in.Get("sslmode") == "" {
				out.Set("sslmode", "verify-full")
			}
			continue
		case "targetServerType":
			t, ok := targetServerTypes[v]
			if !ok {
				return nil, fmt.Errorf("targetServerType=%q is not supported (any, primary, secondary, preferSecondary)", v)
			}
			v = t
		}
		if to != "" {
			out.Set(to, v)
		}
	}
	return out, nil
}

// tableName is a validated, lower-cased table name, optionally
// schema-qualified.
type tableName struct{ schema, name string }

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// parseTableName validates a table name. Names are folded to lower case
// and always quoted in SQL, as an unquoted name in MI's DDL is folded by
// PostgreSQL, and quoting keeps reserved words usable.
func parseTableName(s string) (tableName, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) > 2 {
		return tableName{}, fmt.Errorf("%q is not a table name: give table or schema.table", s)
	}
	for _, p := range parts {
		if !identRE.MatchString(p) {
			return tableName{}, fmt.Errorf("%q is not a valid SQL table name: use letters, digits and underscores, starting with a letter or underscore, at most 63 characters, optionally schema-qualified", s)
		}
	}
	if len(parts) == 2 {
		return tableName{schema: strings.ToLower(parts[0]), name: strings.ToLower(parts[1])}, nil
	}
	return tableName{name: strings.ToLower(parts[0])}, nil
}

// sql is the quoted name for statements.
func (t tableName) sql() string { return t.sibling(t.name) }

// sibling is another object's quoted name in the same schema.
func (t tableName) sibling(name string) string {
	if len(name) > 63 {
		name = name[:63]
	}
	if t.schema != "" {
		return pgx.Identifier{t.schema, name}.Sanitize()
	}
	return pgx.Identifier{name}.Sanitize()
}

func (t tableName) String() string {
	if t.schema != "" {
		return t.schema + "." + t.name
	}
	return t.name
}

// channel is the NOTIFY channel of the table: readable when it fits in an
// identifier, hashed otherwise. Nodes sharing the table share the channel.
func (t tableName) channel() string {
	c := "busbar_" + strings.ReplaceAll(t.String(), ".", "_")
	if len(c) <= 63 {
		return c
	}
	h := fnv.New64a()
	h.Write([]byte(t.String()))
	return fmt.Sprintf("busbar_%.30s_%x", t.name, h.Sum64())
}

// pgSQL holds a store's statements with its table names filled in.
type pgSQL struct {
	ddl, insert, claim, ack, release, touch, giveBack, quarantine, size string
}

func buildSQL(t tableName) pgSQL {
	tb := t.sql()
	return pgSQL{
		ddl: `CREATE TABLE IF NOT EXISTS ` + tb + ` (
	indexId BIGSERIAL PRIMARY KEY,
	msg_id VARCHAR(200) NOT NULL,
	message BYTEA NOT NULL,
	created TIMESTAMPTZ NOT NULL DEFAULT now(),
	attempts INT NOT NULL DEFAULT 0,
	locked_by TEXT,
	locked_until TIMESTAMPTZ)`,
		// One statement: the row and its notification commit together.
		insert: `WITH ins AS (INSERT INTO ` + tb + ` (msg_id, message, attempts) VALUES ($1, $2, $3) RETURNING 1)
SELECT pg_notify($4, '') FROM ins`,
		claim: `UPDATE ` + tb + ` SET locked_by = $1, locked_until = now() + make_interval(secs => $2)
WHERE indexId = (SELECT indexId FROM ` + tb + ` WHERE locked_until IS NULL OR locked_until <= now()
	ORDER BY indexId LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING indexId, message, attempts`,
		ack:        `DELETE FROM ` + tb + ` WHERE indexId = $1 AND locked_by = $2`,
		release:    `UPDATE ` + tb + ` SET locked_by = NULL, locked_until = NULL, attempts = $3 WHERE indexId = $1 AND locked_by = $2`,
		touch:      `UPDATE ` + tb + ` SET locked_until = now() + make_interval(secs => $3) WHERE indexId = $1 AND locked_by = $2`,
		giveBack:   `UPDATE ` + tb + ` SET locked_by = NULL, locked_until = NULL WHERE starts_with(locked_by, $1)`,
		quarantine: `UPDATE ` + tb + ` SET locked_by = '` + unreadable + `', locked_until = 'infinity' WHERE indexId = $1`,
		size:       `SELECT count(*) FROM ` + tb,
	}
}

// busbarColumns are added to a table in MI's layout.
var busbarColumns = []struct{ name, def string }{
	{"created", "TIMESTAMPTZ NOT NULL DEFAULT now()"},
	{"attempts", "INT NOT NULL DEFAULT 0"},
	{"locked_by", "TEXT"},
	{"locked_until", "TIMESTAMPTZ"},
}

// pgStore is a store.Store on a PostgreSQL table: the JDBC store, or the
// resequencing store when rs is set. Each pgStore is one consumer "node":
// its leases carry its node id.
type pgStore struct {
	name, kind string
	set        pgSettings
	rs         *resequencer
	sql        pgSQL
	channel    string
	leaseSeq   atomic.Uint64

	// schema is a one-slot semaphore held while creating the tables, so a
	// waiting caller can give up with its context.
	schema   chan struct{}
	schemaOK atomic.Bool

	mu        sync.Mutex
	node      string
	pool      *pgxpool.Pool
	closed    bool
	listening bool
	// arrived is closed and replaced on every wake-up (a NOTIFY, a local
	// Put or Release, a listener reconnect), like the memory store's.
	arrived chan struct{}
	life    context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

func newPGStore(name, kind string, set pgSettings, rs *resequencer) *pgStore {
	life, stop := context.WithCancel(context.Background())
	return &pgStore{name: name, kind: kind, set: set, rs: rs, sql: buildSQL(set.table), channel: set.table.channel(),
		schema: make(chan struct{}, 1), arrived: make(chan struct{}), life: life, stop: stop}
}

// Name is the store's name.
func (s *pgStore) Name() string { return s.name }

// Kind is "jdbc" or "resequence".
func (s *pgStore) Kind() string { return s.kind }

// conn returns the pool, creating it on first use, and makes sure the
// tables exist. Creating a pgx pool does not dial; connections are made
// (and remade after PostgreSQL restarts) by the pool on demand.
func (s *pgStore) conn(ctx context.Context) (*pgxpool.Pool, error) {
	p, err := s.openPool()
	if err != nil || s.schemaOK.Load() {
		return p, err
	}
	select {
	case s.schema <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.schema }()
	if s.schemaOK.Load() {
		return p, nil
	}
	if err := s.ensureSchema(ctx, p); err != nil {
		return nil, err
	}
	s.schemaOK.Store(true)
	return p, nil
}

func (s *pgStore) openPool() (*pgxpool.Pool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	if s.pool != nil {
		return s.pool, nil
	}
	// pgx (github.com/jackc/pgx/v5) is the well-kept PostgreSQL driver
	// for Go; its pool reconnects by itself and pings connections that
	// sat idle, so a database restart costs at most one failed operation.
	cfg, err := pgxpool.ParseConfig(s.set.dsn)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL connection settings: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout <= 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	s.pool, s.node = p, nodeID()
	return p, nil
}

// nodeID names this store value in locked_by: the host and process help
// an operator looking at a lease; the random part keeps two stores in one
// process apart.
func nodeID() string {
	host, _ := os.Hostname()
	var r [6]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(r[:]))
}

// ensureSchema creates the store's tables or adds Busbar's columns to a
// table in MI's layout, under an advisory lock so that nodes starting
// together do not race.
func (s *pgStore) ensureSchema(ctx context.Context, p *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, ddlLockKey); err != nil {
			return err
		}
		ddl := s.sql.ddl
		if s.rs != nil {
			ddl = s.rs.sql.ddl
		}
		if _, err := tx.Exec(ctx, ddl); err != nil {
			return fmt.Errorf("creating table %s: %w", s.set.table, err)
		}
		cols, err := columns(ctx, tx, s.set.table)
		if err != nil {
			return err
		}
		for _, c := range busbarColumns {
			if !cols[c.name] {
				if _, err := tx.Exec(ctx, `ALTER TABLE `+s.set.table.sql()+` ADD COLUMN IF NOT EXISTS `+c.name+` `+c.def); err != nil {
					return fmt.Errorf("adding column %s to table %s: %w", c.name, s.set.table, err)
				}
			}
		}
		switch {
		case s.rs == nil && cols["seq_id"]:
			return fmt.Errorf("table %s has a seq_id column: it belongs to a resequencing store; give this JDBC store its own %s", s.set.table, paramJDBCTable)
		case s.rs != nil && !cols["seq_id"]:
			return fmt.Errorf("table %s has no seq_id column: it is not a resequencing store's table (a JDBC store's?); give this store its own %s", s.set.table, paramJDBCTable)
		case s.rs != nil:
			return s.rs.ensureSchema(ctx, tx, s)
		}
		return nil
	})
}

// columns lists a table's column names.
func columns(ctx context.Context, tx pgx.Tx, t tableName) (map[string]bool, error) {
	rows, err := tx.Query(ctx, `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, t.sql())
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", t, err)
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// run performs op on the pool. An operation that failed before anything
// reached the server (typically on a pooled connection that died with a
// database restart) is tried once more on a fresh connection; anything
// else is returned, so that a Put whose outcome is unknown is reported as
// failed rather than guessed.
func (s *pgStore) run(ctx context.Context, op func(ctx context.Context, p *pgxpool.Pool) error) error {
	p, err := s.conn(ctx)
	if err == nil {
		err = op(ctx, p)
		if err != nil && pgconn.SafeToRetry(err) && ctx.Err() == nil {
			err = op(ctx, p)
		}
	}
	if err != nil {
		if errors.Is(err, store.ErrClosed) || errors.Is(err, ErrLeaseLost) {
			return err
		}
		return fmt.Errorf("PostgreSQL table %s: %w", s.set.table, err)
	}
	return nil
}

// Put stores a message; it returns nil only once the row is committed.
func (s *pgStore) Put(ctx context.Context, m *store.Message) error {
	var seq int64
	if s.rs != nil {
		var err error
		if seq, err = s.rs.sequence(m); err != nil {
			return err
		}
	}
	data, err := store.Encode(m)
	if err != nil {
		return err
	}
	err = s.run(ctx, func(ctx context.Context, p *pgxpool.Pool) error {
		if s.rs != nil {
			_, err := p.Exec(ctx, s.rs.sql.insert, msgIDColumn(m.ID), data, m.Attempts, s.channel, seq)
			return err
		}
		_, err := p.Exec(ctx, s.sql.insert, msgIDColumn(m.ID), data, m.Attempts, s.channel)
		return err
	})
	if err != nil {
		return err
	}
	s.wake()
	return nil
}

// msgIDColumn fits an ID into MI's VARCHAR(200) column; the full ID is in
// the record.
func msgIDColumn(id string) string {
	if utf8.RuneCountInString(id) <= 200 {
		return id
	}
	return string([]rune(id)[:200])
}

// Next leases the first free message, waiting up to wait for one. While
// waiting it wakes on NOTIFY, on local puts, and at least every
// pollInterval (or when the resequencer says a gap times out).
func (s *pgStore) Next(ctx context.Context, wait time.Duration) (*store.Delivery, error) {
	deadline := time.Now().Add(wait)
	for {
		arrived, err := s.arrivals()
		if err != nil {
			return nil, err
		}
		var d *store.Delivery
		var retryIn time.Duration
		err = s.run(ctx, func(ctx context.Context, p *pgxpool.Pool) error {
			var err error
			if s.rs != nil {
				d, retryIn, err = s.rs.claim(ctx, s, p)
			} else {
				d, err = s.claim(ctx, p)
			}
			return err
		})
		if err != nil || d != nil {
			return d, err
		}
		if wait > 0 {
			// A consumer that waits will wait again: listen from now on.
			s.listen()
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		pause := min(left, pollInterval)
		if retryIn > 0 {
			pause = min(pause, retryIn)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-arrived:
			t.Stop()
		case <-t.C:
		}
	}
}

// arrivals returns the channel the next wake-up closes.
func (s *pgStore) arrivals() (chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, store.ErrClosed
	}
	return s.arrived, nil
}

// wake releases every waiting Next to look again.
func (s *pgStore) wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		close(s.arrived)
		s.arrived = make(chan struct{})
	}
}

// claim leases the oldest free row.
func (s *pgStore) claim(ctx context.Context, p *pgxpool.Pool) (*store.Delivery, error) {
	for {
		token := s.token()
		var id int64
		var data []byte
		var attempts int32
		err := p.QueryRow(ctx, s.sql.claim, token, s.set.lease.Seconds()).Scan(&id, &data, &attempts)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if d, err := s.delivery(ctx, p, id, token, data, attempts, 0); d != nil || err != nil {
			return d, err
		}
	}
}

// token names one lease: this node and a lease number.
func (s *pgStore) token() string {
	s.mu.Lock()
	node := s.node
	s.mu.Unlock()
	return node + "/" + strconv.FormatUint(s.leaseSeq.Add(1), 10)
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// delivery decodes a leased row. A row that is not a Busbar record is
// set aside for good (kept, never handed out again) and (nil, nil) is
// returned so the caller claims the next one.
func (s *pgStore) delivery(ctx context.Context, p execer, id int64, token string, data []byte, attempts int32, seq int64) (*store.Delivery, error) {
	m, err := store.Decode(data)
	if err != nil {
		slog.Default().Error("message store row is not a Busbar message; it is kept in the table and skipped",
			"store", s.name, "table", s.set.table.String(), "indexId", id, "error", err)
		if _, err := p.Exec(ctx, s.sql.quarantine, id); err != nil {
			return nil, err
		}
		return nil, nil
	}
	m.Attempts = int(attempts)
	return &store.Delivery{Message: m, Ops: &pgLease{s: s, id: id, token: token, seq: seq}}, nil
}

// Size counts the rows, leased and set-aside ones included.
func (s *pgStore) Size(ctx context.Context) (int64, error) {
	var n int64
	err := s.run(ctx, func(ctx context.Context, p *pgxpool.Pool) error {
		return p.QueryRow(ctx, s.sql.size).Scan(&n)
	})
	return n, err
}

// Close stops the listener, gives this node's leases back (the messages
// stay stored and are first in line for the next consumer; a node that
// dies without closing loses them when they expire instead) and closes
// the pool. It is safe to call more than once.
func (s *pgStore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.arrived)
	p, node := s.pool, s.node
	s.stop()
	s.mu.Unlock()
	s.wg.Wait()
	if p == nil {
		return nil
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	tag, err := p.Exec(ctx, s.sql.giveBack, node+"/")
	if err != nil {
		return fmt.Errorf("closing message store %s: giving its leases back (they expire by themselves): %w", s.name, err)
	}
	if tag.RowsAffected() > 0 {
		_, _ = p.Exec(ctx, `SELECT pg_notify($1, '')`, s.channel)
	}
	return nil
}

// listen starts the LISTEN goroutine once a consumer waits.
func (s *pgStore) listen() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.listening || s.pool == nil {
		return
	}
	s.listening = true
	cfg := s.pool.Config().ConnConfig
	s.wg.Add(1)
	go s.listenLoop(cfg)
}

// listenLoop keeps one connection listening on the store's channel until
// the store closes, reconnecting with a growing pause when PostgreSQL is
// away. Waiters poll meanwhile, so a lost notification only delays them.
func (s *pgStore) listenLoop(cfg *pgx.ConnConfig) {
	defer s.wg.Done()
	const minPause, maxPause = 100 * time.Millisecond, 5 * time.Second
	pause := minPause
	for {
		listened := s.listenOnce(cfg)
		if s.life.Err() != nil {
			return
		}
		s.wake()
		if listened {
			pause = minPause
		}
		t := time.NewTimer(pause)
		select {
		case <-s.life.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, maxPause)
	}
}

// listenOnce listens until the connection fails; it reports whether it
// got as far as listening.
func (s *pgStore) listenOnce(cfg *pgx.ConnConfig) bool {
	c, err := pgx.ConnectConfig(s.life, cfg.Copy())
	if err != nil {
		return false
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = c.Close(ctx)
	}()
	if _, err := c.Exec(s.life, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return false
	}
	// Anything put while the listener was away is found by this wake-up.
	s.wake()
	for {
		if _, err := c.WaitForNotification(s.life); err != nil {
			return true
		}
		s.wake()
	}
}

// pgLease is one leased row.
type pgLease struct {
	s     *pgStore
	id    int64
	token string
	// seq is the row's sequence number (resequencing store).
	seq int64
}

// Ack deletes the row if the lease is still this consumer's.
func (l *pgLease) Ack(ctx context.Context) error {
	return l.s.run(ctx, func(ctx context.Context, p *pgxpool.Pool) error {
		if l.s.rs != nil {
			return l.s.rs.ack(ctx, l.s, p, l)
		}
		tag, err := p.Exec(ctx, l.s.sql.ack, l.id, l.token)
		return leaseKept(tag, err)
	})
}

// Release frees the row, first in line again, recording attempts.
func (l *pgLease) Release(ctx context.Context, attempts int) error {
	err := l.s.run(ctx, func(ctx context.Context, p *pgxpool.Pool) error {
		tag, err := p.Exec(ctx, l.s.sql.release, l.id, l.token, attempts)
		return leaseKept(tag, err)
	})
	if err == nil {
		l.s.notify(ctx)
	}
	return err
}

// notify wakes consumers on every node. It is best effort, outside the
// operation it follows so that a failure cannot make that operation run
// twice: a consumer that misses it polls within pollInterval.
func (s *pgStore) notify(ctx context.Context) {
	s.wake()
	s.mu.Lock()
	p := s.pool
	s.mu.Unlock()
	if p != nil {
		_, _ = p.Exec(ctx, `SELECT pg_notify($1, '')`, s.channel)
	}
}

// Touch renews the lease for another lease period from now.
func (l *pgLease) Touch(ctx context.Context) error {
	return l.s.run(ctx, func(ctx context.Context, p *pgxpool.Pool) error {
		tag, err := p.Exec(ctx, l.s.sql.touch, l.id, l.token, l.s.set.lease.Seconds())
		return leaseKept(tag, err)
	})
}

// leaseKept turns "no row matched the lease" into ErrLeaseLost.
func leaseKept(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrLeaseLost
	}
	return nil
}

var (
	_ store.Store       = (*pgStore)(nil)
	_ store.DeliveryOps = (*pgLease)(nil)
)
