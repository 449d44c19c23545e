package stores

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

// The resequencing store is the JDBC store with a sequence number per
// message: its table has MI's extra column seq_id, and the number of the
// last acknowledged message is kept per store in MI's tbl_lastprocessid,
// so the order survives restarts and is shared by every node:
//
//	CREATE TABLE <store.jdbc.table> (... the JDBC store's columns ..., seq_id BIGINT NOT NULL);
//	CREATE INDEX <table>_seq_idx ON <table> (seq_id, indexId);
//	CREATE INDEX <table>_leased_idx ON <table> (seq_id) WHERE locked_by IS NOT NULL;
//	CREATE TABLE tbl_lastprocessid (             -- in the store table's schema
//	    statement VARCHAR(200) NOT NULL PRIMARY KEY, -- the store's name (MI)
//	    seq_id    BIGINT NOT NULL                    -- last acknowledged sequence number (MI)
//	);
//
// Next runs in a transaction holding the store's tbl_lastprocessid row
// (FOR UPDATE), which serialises hand-outs across nodes. Messages up to the
// frontier (the highest of the last acknowledged number and the numbers
// currently leased) have been handed out; the free message with the lowest
// number is handed out when its number is at most frontier+1 (the next in
// sequence, or one that arrived after its turn), or when it has waited
// store.resequence.timeout since it was stored (the gap before it is
// skipped). Several consumers may hold consecutive messages at once, as
// in MI with several processor tasks; one consumer gets strict order. Ack
// deletes the row and raises tbl_lastprocessid in one statement.

// Resequencing store class and parameters.
const (
	resequenceClass   = "org.apache.synapse.message.store.impl.resequencer.ResequenceMessageStore"
	paramReseqPath    = "store.resequence.id.path"
	paramReseqTimeout = "store.resequence.timeout"
	lastProcessTable  = "tbl_lastprocessid"
)

func init() {
	attrs := append(jdbcParamDocs(),
		registry.Attr{Name: paramReseqPath, Type: "expression", Required: true, Doc: "XPath or json-eval expression, given in the parameter's " +
			"expression attribute, evaluated on each message when it is stored; it must give an integer sequence number. Numbers start at 1."},
		registry.Attr{Name: paramReseqTimeout, Type: "duration", Required: true, Doc: "Seconds a message waits for missing predecessors " +
			"before the gap is skipped, counted from when it was stored; -1 waits forever."},
	)
	registry.RegisterStore(registry.Spec{
		Element: "resequence",
		Aliases: []string{resequenceClass},
		Summary: "MI's resequencing message store on PostgreSQL: hands messages out in the order of a sequence number " +
			"taken from each message, waiting a bounded time for missing numbers.",
		Doc: "A JDBC message store (same parameters, same table layout plus a seq_id column) whose messages are delivered " +
			"in the order of store.resequence.id.path, evaluated when each message is stored; a message whose number " +
			"cannot be read is refused (the store mediator fails the flow). Numbers start at 1. When the next number is " +
			"missing, delivery waits up to store.resequence.timeout seconds (counted from when the message after the gap " +
			"was stored) and then skips the gap; a missing message that arrives after its turn is delivered as soon as " +
			"possible rather than lost. The last acknowledged number is kept in the table tbl_lastprocessid, per store " +
			"name, so the order survives restarts and is shared by every node on the same table. Give each " +
			"resequencing store its own store.jdbc.table.\n\n" +
			"```xml\n" +
			"<messageStore name=\"OrderedEvents\" class=\"org.apache.synapse.message.store.impl.resequencer.ResequenceMessageStore\">\n" +
			"  <parameter name=\"store.jdbc.connection.url\">jdbc:postgresql://db.example.com:5432/busbar</parameter>\n" +
			"  <parameter name=\"store.jdbc.username\">busbar</parameter>\n" +
			"  <parameter name=\"store.jdbc.password\">secret</parameter>\n" +
			"  <parameter name=\"store.jdbc.table\">ordered_events</parameter>\n" +
			"  <parameter name=\"store.resequence.timeout\">30</parameter>\n" +
			"  <parameter xmlns:m0=\"http://services.samples\" name=\"store.resequence.id.path\"\n" +
			"             expression=\"substring-after(//m0:placeOrder/m0:order/m0:symbol, '-')\"/>\n" +
			"</messageStore>\n" +
			"```",
		Attrs: attrs,
		Differences: append(jdbcDifferences,
			"The gap timeout counts from when the message after the gap was stored (database clock, shared by all nodes), not from the last hand-out of one node.",
			"A message whose number was already passed (it arrived after its gap was skipped) is delivered next instead of rewinding the sequence; the last processed number never goes backwards.",
			"Duplicate sequence numbers are accepted and delivered in arrival order (MI's documented DDL makes seq_id UNIQUE, which refuses the second).",
		),
	}, newResequenceStore)
}

func newResequenceStore(b registry.Builder, def *config.MessageStore, cfg store.Config) (store.Store, error) {
	set, ok := parsePGSettings(b, def, cfg)
	rs, rsOK := parseResequencer(b, def, cfg, set.table)
	if !ok || !rsOK {
		return nil, nil
	}
	return newPGStore(def.Name, "resequence", set, rs), nil
}

// resequencer is what the resequencing store adds to the JDBC store.
type resequencer struct {
	// path gives the sequence number. Put gets a store.Message, not the
	// mediated message, so path runs on the message rebuilt with
	// store.Restore: the same headers, properties and body the store
	// mediator captured a moment before.
	path *expr.Expr
	// timeout is how long a message waits at a gap; negative: forever.
	timeout time.Duration
	sql     reseqSQL
}

// reseqSQL holds the resequencing statements for one table.
type reseqSQL struct {
	ddl, insert, lastDDL, lastInit, lockLast, head, lease, ack string
	// indexes are (name, DDL) pairs: the next free number, and the
	// highest leased one without scanning a backlog.
	indexes [][2]string
}

// parseResequencer reads store.resequence.id.path (an expression attribute,
// as MI writes it, or the parameter's text) and store.resequence.timeout.
func parseResequencer(b registry.Builder, def *config.MessageStore, cfg store.Config, t tableName) (*resequencer, bool) {
	ok := true
	rs := &resequencer{sql: buildReseqSQL(t)}
	var el *config.Element
	for _, c := range def.Elem.ChildrenNamed("parameter") {
		if c.Get("name") == paramReseqPath {
			el = c
		}
	}
	switch {
	case el == nil:
		b.Errorf(def.Pos, "<messageStore> %s needs the parameter %s: an XPath or json-eval expression giving each message's sequence number", def.Name, paramReseqPath)
		ok = false
	default:
		src, pos := strings.TrimSpace(el.Text()), el.Pos
		if a := el.Attr("expression"); a != nil {
			src, pos = a.Value, a.Pos
		}
		if strings.TrimSpace(src) == "" {
			b.Errorf(el.Pos, "%s needs an expression attribute giving each message's sequence number", paramReseqPath)
			ok = false
		} else if rs.path = b.Expr(el, src, pos); rs.path == nil {
			ok = false
		}
	}
	v, given := cfg.Params[paramReseqTimeout]
	if !given {
		b.Errorf(def.Pos, "<messageStore> %s needs the parameter %s: seconds to wait at a gap in the sequence before skipping it (-1: wait forever)", def.Name, paramReseqTimeout)
		return rs, false
	}
	d, err := parseSeconds(v)
	if err != nil {
		b.Errorf(paramAt(def, paramReseqTimeout), "%s=%q must be a number of seconds (-1: wait forever)", paramReseqTimeout, v)
		return rs, false
	}
	rs.timeout = d
	return rs, ok
}

func buildReseqSQL(t tableName) reseqSQL {
	tb, last := t.sql(), t.sibling(lastProcessTable)
	seqIdx, leasedIdx := t.sibling(t.name+"_seq_idx"), t.sibling(t.name+"_leased_idx")
	return reseqSQL{
		ddl: `CREATE TABLE IF NOT EXISTS ` + tb + ` (
	indexId BIGSERIAL PRIMARY KEY,
	msg_id VARCHAR(200) NOT NULL,
	seq_id BIGINT NOT NULL,
	message BYTEA NOT NULL,
	created TIMESTAMPTZ NOT NULL DEFAULT now(),
	attempts INT NOT NULL DEFAULT 0,
	locked_by TEXT,
	locked_until TIMESTAMPTZ)`,
		insert: `WITH ins AS (INSERT INTO ` + tb + ` (msg_id, message, attempts, seq_id) VALUES ($1, $2, $3, $5) RETURNING 1)
SELECT pg_notify($4, '') FROM ins`,
		indexes: [][2]string{
			{seqIdx, `CREATE INDEX IF NOT EXISTS ` + seqIdx + ` ON ` + tb + ` (seq_id, indexId)`},
			{leasedIdx, `CREATE INDEX IF NOT EXISTS ` + leasedIdx + ` ON ` + tb + ` (seq_id) WHERE locked_by IS NOT NULL`},
		},
		lastDDL:  `CREATE TABLE IF NOT EXISTS ` + last + ` (statement VARCHAR(200) NOT NULL PRIMARY KEY, seq_id BIGINT NOT NULL)`,
		lastInit: `INSERT INTO ` + last + ` (statement, seq_id) VALUES ($1, 0) ON CONFLICT (statement) DO NOTHING`,
		lockLast: `SELECT seq_id FROM ` + last + ` WHERE statement = $1 FOR UPDATE`,
		// The free row with the lowest number, how long until it has
		// waited the timeout, and the highest number leased right now.
		head: `SELECT indexId, seq_id, EXTRACT(EPOCH FROM created + make_interval(secs => $1) - now())::float8,
	(SELECT max(seq_id) FROM ` + tb + ` WHERE locked_by IS NOT NULL AND locked_until > now())
FROM ` + tb + ` WHERE locked_until IS NULL OR locked_until <= now()
ORDER BY seq_id, indexId LIMIT 1`,
		lease: `UPDATE ` + tb + ` SET locked_by = $2, locked_until = now() + make_interval(secs => $3)
WHERE indexId = $1 AND (locked_until IS NULL OR locked_until <= now()) RETURNING message, attempts`,
		ack: `WITH del AS (DELETE FROM ` + tb + ` WHERE indexId = $1 AND locked_by = $2 RETURNING seq_id)
INSERT INTO ` + last + ` AS l (statement, seq_id) SELECT $3, seq_id FROM del
ON CONFLICT (statement) DO UPDATE SET seq_id = GREATEST(l.seq_id, EXCLUDED.seq_id)`,
	}
}

// ensureSchema adds the sequence index and the last-processed table, and
// makes sure this store has its row there.
func (r *resequencer) ensureSchema(ctx context.Context, tx pgx.Tx, s *pgStore) error {
	for _, ix := range r.sql.indexes {
		var found *string
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1)::text`, ix[0]).Scan(&found); err != nil {
			return err
		}
		// Checked first: CREATE INDEX IF NOT EXISTS locks the table
		// against writes before it finds the index exists.
		if found == nil {
			if _, err := tx.Exec(ctx, ix[1]); err != nil {
				return fmt.Errorf("creating index %s: %w", ix[0], err)
			}
		}
	}
	if _, err := tx.Exec(ctx, r.sql.lastDDL); err != nil {
		return fmt.Errorf("creating table %s: %w", lastProcessTable, err)
	}
	_, err := tx.Exec(ctx, r.sql.lastInit, s.name)
	return err
}

// sequence evaluates the sequence number of a message being stored.
func (r *resequencer) sequence(m *store.Message) (int64, error) {
	v, err := r.path.EvalString(store.Restore(m))
	if err != nil {
		return 0, fmt.Errorf("message %s: evaluating %s %s: %w", m.ID, paramReseqPath, r.path, err)
	}
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, nil
	}
	// XPath numbers may come back as "3.0"; an integral one is fine.
	if f, err := strconv.ParseFloat(v, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f), nil
	}
	return 0, fmt.Errorf("message %s: %s %s gave %q, not an integer sequence number", m.ID, paramReseqPath, r.path, v)
}

// claim leases the next message in sequence. retryIn, when positive, is
// when a message waiting at a gap may be handed out.
func (r *resequencer) claim(ctx context.Context, s *pgStore, p *pgxpool.Pool) (d *store.Delivery, retryIn time.Duration, err error) {
	for {
		again := false
		err = pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
			var err error
			d, retryIn, again, err = r.claimTx(ctx, s, tx)
			return err
		})
		if err != nil || !again {
			return d, retryIn, err
		}
	}
}

// claimTx decides and leases within one transaction; again asks for
// another look (the row was taken meanwhile, or set aside as unreadable).
func (r *resequencer) claimTx(ctx context.Context, s *pgStore, tx pgx.Tx) (d *store.Delivery, retryIn time.Duration, again bool, err error) {
	last, err := r.lockLast(ctx, tx, s.name)
	if err != nil {
		return nil, 0, false, err
	}
	var id, seq int64
	var left float64
	var leasedMax *int64
	err = tx.QueryRow(ctx, r.sql.head, r.timeout.Seconds()).Scan(&id, &seq, &left, &leasedMax)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	frontier := last
	if leasedMax != nil && *leasedMax > frontier {
		frontier = *leasedMax
	}
	if seq > frontier+1 {
		if r.timeout < 0 {
			return nil, 0, false, nil
		}
		if left > 0 {
			return nil, time.Duration(left*float64(time.Second)) + time.Millisecond, false, nil
		}
		slog.Default().Warn("resequencing store skipped a gap after its timeout", "store", s.name,
			"missing_from", frontier+1, "missing_to", seq-1, "next", seq)
	}
	token := s.token()
	var data []byte
	var attempts int32
	err = tx.QueryRow(ctx, r.sql.lease, id, token, s.set.lease.Seconds()).Scan(&data, &attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, true, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	d, err = s.delivery(ctx, tx, id, token, data, attempts, seq)
	return d, 0, d == nil && err == nil, err
}

// lockLast reads and locks the store's last processed number, creating
// its row if someone removed it.
func (r *resequencer) lockLast(ctx context.Context, tx pgx.Tx, name string) (int64, error) {
	var last int64
	err := tx.QueryRow(ctx, r.sql.lockLast, name).Scan(&last)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := tx.Exec(ctx, r.sql.lastInit, name); err != nil {
			return 0, err
		}
		err = tx.QueryRow(ctx, r.sql.lockLast, name).Scan(&last)
	}
	return last, err
}

// ack deletes the leased row and raises the last processed number in one
// statement, after locking the store's row in tbl_lastprocessid as claims
// do, so the two always lock in the same order.
func (r *resequencer) ack(ctx context.Context, s *pgStore, p *pgxpool.Pool, l *pgLease) error {
	return pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		if _, err := r.lockLast(ctx, tx, s.name); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, r.sql.ack, l.id, l.token, s.name)
		return leaseKept(tag, err)
	})
}
