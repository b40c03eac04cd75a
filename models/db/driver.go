package db

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// The RLS wall costs round trips, not CPU. A naive tenant transaction is four
// of them (BEGIN, SET LOCAL, the statement, COMMIT) against one for a bare
// read. This driver wraps pgx's database/sql driver so that InTenant can
// leave BEGIN and SET LOCAL pending on the connection; they are then sent in
// one pipelined batch with the transaction's first statement: two round trips
// for a one-statement transaction (the batch, then COMMIT). The figures are in
// bench_test.go and the README.

// connector hands out pipelining connections.
type connector struct{ inner driver.Connector }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: dc.(*stdlib.Conn)}, nil
}

func (c connector) Driver() driver.Driver { return c.inner.Driver() }

// conn is pgx's database/sql connection with statements that may wait to be
// sent ahead of the next one.
type conn struct {
	*stdlib.Conn
	pending []string
	stmts   stmtCache

	// A one-statement transaction sends COMMIT in the same batch as its
	// statement: one round trip in all. Then sentCommit is set, a further
	// statement is refused, and committed says the COMMIT succeeded.
	oneStatement bool
	sentCommit   bool
	committed    bool
	// commitNext sends COMMIT in the same batch as the next statement: the
	// last statement of an InTenant transaction registered with
	// Tx.AtCommit (an audit append), so it costs no round trip of its own.
	commitNext bool
}

// errOneStatement refuses a second statement in a one-statement transaction:
// its transaction has already been committed, so the statement would run
// outside the tenant wall (and, with RLS, see nothing).
var errOneStatement = errors.New("db: ReadInTenant runs exactly one statement; use InTenant for more")

// hold queues statements (without arguments) to go out with the next
// statement on this connection; oneStatement adds COMMIT after it.
func (c *conn) hold(oneStatement bool, stmts ...string) {
	c.pending = append(c.pending[:0], stmts...)
	c.oneStatement, c.sentCommit, c.committed, c.commitNext = oneStatement, false, false, false
}

// commitWithNext makes the next statement carry COMMIT in its batch.
func (c *conn) commitWithNext() { c.commitNext = true }

// held reports whether queued statements were never sent (the transaction's
// function ran no statement), and forgets them.
func (c *conn) held() bool {
	n := len(c.pending)
	c.pending = c.pending[:0]
	return n > 0
}

// finished reports whether a one-statement transaction committed in its batch.
func (c *conn) finished() bool { return c.sentCommit && c.committed }

// flush sends pending statements on their own, for the paths that cannot
// carry them (prepare, ping, a driver-level transaction).
func (c *conn) flush(ctx context.Context) error {
	if len(c.pending) == 0 {
		return nil
	}
	b := &pgconn.Batch{}
	for _, s := range c.pending {
		b.ExecParams(s, nil, nil, nil, nil)
	}
	c.pending = c.pending[:0]
	_, err := c.Conn.Conn().PgConn().ExecBatch(ctx, b).ReadAll()
	return err
}

// send pipelines the pending statements and query in one round trip and
// returns the reader positioned on query's result. The query runs as a
// prepared statement of this connection (prepared once, on first use), with
// parameters encoded and result formats chosen exactly as pgx's database/sql
// driver chooses them.
func (c *conn) send(ctx context.Context, query string, argsV []driver.NamedValue) (*pgconn.MultiResultReader, *pgconn.ResultReader, error) {
	pc := c.Conn.Conn()
	sd, evicted, err := c.stmts.get(ctx, pc.PgConn(), query)
	if err != nil {
		c.pending = c.pending[:0]
		return nil, nil, err
	}
	args := make([]any, len(argsV))
	for i, v := range argsV {
		args[i] = v.Value
	}
	var eqb pgx.ExtendedQueryBuilder
	if err := eqb.Build(pc.TypeMap(), sd, args); err != nil {
		c.pending = c.pending[:0]
		return nil, nil, err
	}
	formats := make([]int16, len(sd.Fields))
	for i, f := range sd.Fields {
		if binaryOIDs[f.DataTypeOID] {
			formats[i] = pgtype.BinaryFormatCode
		}
	}
	b := &pgconn.Batch{}
	for _, s := range evicted {
		b.ExecParams("DEALLOCATE "+s, nil, nil, nil, nil)
	}
	for _, s := range c.pending {
		b.ExecParams(s, nil, nil, nil, nil)
	}
	n := len(evicted) + len(c.pending)
	c.pending = c.pending[:0]
	b.ExecStatement(sd, eqb.ParamValues, eqb.ParamFormats, formats)
	if c.oneStatement || c.commitNext {
		b.ExecParams("COMMIT", nil, nil, nil, nil)
		c.sentCommit = true
	}
	mrr := pc.PgConn().ExecBatch(ctx, b)
	for range n {
		if !mrr.NextResult() {
			return nil, nil, closeErr(mrr)
		}
		if _, err := mrr.ResultReader().Close(); err != nil {
			mrr.Close()
			return nil, nil, err
		}
	}
	if !mrr.NextResult() {
		return nil, nil, closeErr(mrr)
	}
	return mrr, mrr.ResultReader(), nil
}

func closeErr(mrr *pgconn.MultiResultReader) error {
	if err := mrr.Close(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

func (c *conn) ExecContext(ctx context.Context, query string, argsV []driver.NamedValue) (driver.Result, error) {
	if c.sentCommit {
		return nil, errOneStatement
	}
	if len(c.pending) == 0 && !c.commitNext {
		return c.Conn.ExecContext(ctx, query, argsV)
	}
	mrr, rr, err := c.send(ctx, query, argsV)
	if err != nil {
		return nil, err
	}
	tag, err := rr.Close()
	if cerr := mrr.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	c.committed = c.sentCommit
	return driver.RowsAffected(tag.RowsAffected()), nil
}

func (c *conn) QueryContext(ctx context.Context, query string, argsV []driver.NamedValue) (driver.Rows, error) {
	if c.sentCommit {
		return nil, errOneStatement
	}
	if len(c.pending) == 0 && !c.commitNext {
		return c.Conn.QueryContext(ctx, query, argsV)
	}
	mrr, rr, err := c.send(ctx, query, argsV)
	if err != nil {
		return nil, err
	}
	return &batchRows{mrr: mrr, rr: rr, m: c.Conn.Conn().TypeMap(), c: c}, nil
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.oneStatement || c.commitNext {
		return nil, errOneStatement
	}
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	return c.Conn.PrepareContext(ctx, query)
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.flush(ctx); err != nil {
		return nil, err
	}
	return c.Conn.BeginTx(ctx, opts)
}

func (c *conn) Ping(ctx context.Context) error {
	if err := c.flush(ctx); err != nil {
		return err
	}
	return c.Conn.Ping(ctx)
}

// ResetSession runs when database/sql takes the connection back: nothing
// queued may survive into another use.
func (c *conn) ResetSession(ctx context.Context) error {
	c.pending = c.pending[:0]
	c.oneStatement, c.sentCommit, c.committed, c.commitNext = false, false, false, false
	return c.Conn.ResetSession(ctx)
}

// binaryOIDs are the types pgx's database/sql driver reads in binary; all
// others arrive as text and are handed over as strings.
var binaryOIDs = map[uint32]bool{
	pgtype.BoolOID: true, pgtype.ByteaOID: true, pgtype.CIDOID: true, pgtype.DateOID: true,
	pgtype.Float4OID: true, pgtype.Float8OID: true, pgtype.Int2OID: true, pgtype.Int4OID: true,
	pgtype.Int8OID: true, pgtype.OIDOID: true, pgtype.TimestampOID: true, pgtype.TimestamptzOID: true,
	pgtype.XIDOID: true,
}

// stmtCache holds the statements this connection prepared for first
// statements, least recently used first out. Its names never collide with
// pgx's own statement cache.
type stmtCache struct {
	order []string
	byKey map[string]*pgconn.StatementDescription
}

const stmtCacheSize = 128

func (s *stmtCache) get(ctx context.Context, pg *pgconn.PgConn, query string) (*pgconn.StatementDescription, []string, error) {
	if sd, ok := s.byKey[query]; ok {
		for i, q := range s.order {
			if q == query {
				copy(s.order[i:], s.order[i+1:])
				s.order[len(s.order)-1] = query
				break
			}
		}
		return sd, nil, nil
	}
	if s.byKey == nil {
		s.byKey = map[string]*pgconn.StatementDescription{}
	}
	var evicted []string
	for len(s.order) >= stmtCacheSize {
		old := s.order[0]
		s.order = s.order[1:]
		evicted = append(evicted, s.byKey[old].Name)
		delete(s.byKey, old)
	}
	sum := sha256.Sum256([]byte(query))
	sd, err := pg.Prepare(ctx, "tuhono_"+hex.EncodeToString(sum[:16]), query, nil)
	if err != nil {
		return nil, nil, err
	}
	s.byKey[query] = sd
	s.order = append(s.order, query)
	return sd, evicted, nil
}

// batchRows is the first statement's result, read from the batch. Values are
// converted exactly as pgx's own database/sql rows convert them, so a query
// scans the same whether it went first in a transaction or not.
type batchRows struct {
	c      *conn
	mrr    *pgconn.MultiResultReader
	rr     *pgconn.ResultReader
	m      *pgtype.Map
	conv   []func([]byte) (driver.Value, error)
	closed bool
}

func (r *batchRows) Columns() []string {
	fds := r.rr.FieldDescriptions()
	names := make([]string, len(fds))
	for i, fd := range fds {
		names[i] = fd.Name
	}
	return names
}

func (r *batchRows) ColumnTypeDatabaseTypeName(i int) string {
	oid := r.rr.FieldDescriptions()[i].DataTypeOID
	if t, ok := r.m.TypeForOID(oid); ok {
		return strings.ToUpper(t.Name)
	}
	return strconv.FormatUint(uint64(oid), 10)
}

// ColumnTypeScanType, ColumnTypeLength and ColumnTypePrecisionScale answer as
// pgx's database/sql rows do: GORM picks Go types for map scans from them.
func (r *batchRows) ColumnTypeScanType(i int) reflect.Type {
	switch r.rr.FieldDescriptions()[i].DataTypeOID {
	case pgtype.Float8OID, pgtype.NumericOID:
		return reflect.TypeFor[float64]()
	case pgtype.Float4OID:
		return reflect.TypeFor[float32]()
	case pgtype.Int8OID:
		return reflect.TypeFor[int64]()
	case pgtype.Int4OID:
		return reflect.TypeFor[int32]()
	case pgtype.Int2OID:
		return reflect.TypeFor[int16]()
	case pgtype.BoolOID:
		return reflect.TypeFor[bool]()
	case pgtype.DateOID, pgtype.TimestampOID, pgtype.TimestamptzOID:
		return reflect.TypeFor[time.Time]()
	case pgtype.ByteaOID:
		return reflect.TypeFor[[]byte]()
	}
	return reflect.TypeFor[string]()
}

func (r *batchRows) ColumnTypeLength(i int) (int64, bool) {
	fd := r.rr.FieldDescriptions()[i]
	switch fd.DataTypeOID {
	case pgtype.TextOID, pgtype.ByteaOID:
		return math.MaxInt64, true
	case pgtype.VarcharOID, pgtype.BPCharOID:
		return int64(fd.TypeModifier - 4), true
	case pgtype.VarbitOID:
		return int64(fd.TypeModifier), true
	}
	return 0, false
}

func (r *batchRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	fd := r.rr.FieldDescriptions()[i]
	if fd.DataTypeOID != pgtype.NumericOID {
		return 0, 0, false
	}
	mod := fd.TypeModifier - 4
	return int64((mod >> 16) & 0xffff), int64(mod & 0xffff), true
}

func (r *batchRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	_, err := r.rr.Close()
	if cerr := r.mrr.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		r.c.committed = r.c.sentCommit
	}
	return err
}

func (r *batchRows) Next(dest []driver.Value) error {
	if r.conv == nil {
		fds := r.rr.FieldDescriptions()
		r.conv = make([]func([]byte) (driver.Value, error), len(fds))
		for i, fd := range fds {
			r.conv[i] = converter(r.m, fd)
		}
	}
	if !r.rr.NextRow() {
		if _, err := r.rr.Close(); err != nil {
			return err
		}
		return io.EOF
	}
	for i, raw := range r.rr.Values() {
		if raw == nil {
			dest[i] = nil
			continue
		}
		v, err := r.conv[i](raw)
		if err != nil {
			return fmt.Errorf("convert field %d: %w", i, err)
		}
		dest[i] = v
	}
	return nil
}

// converter mirrors pgx stdlib's Rows.Next: the Go type each PostgreSQL type
// arrives as through database/sql.
func converter(m *pgtype.Map, fd pgconn.FieldDescription) func([]byte) (driver.Value, error) {
	oid, format := fd.DataTypeOID, fd.Format
	switch oid {
	case pgtype.BoolOID:
		return scanAs(m, oid, format, func(v bool) (driver.Value, error) { return v, nil })
	case pgtype.ByteaOID, pgtype.JSONOID, pgtype.JSONBOID, pgtype.XMLOID:
		return scanAs(m, oid, format, func(v []byte) (driver.Value, error) { return v, nil })
	case pgtype.CIDOID, pgtype.OIDOID, pgtype.XIDOID:
		return scanAs(m, oid, format, func(v pgtype.Uint32) (driver.Value, error) { return v.Value() })
	case pgtype.DateOID:
		return scanAs(m, oid, format, func(v pgtype.Date) (driver.Value, error) { return v.Value() })
	case pgtype.Float4OID:
		return scanAs(m, oid, format, func(v float32) (driver.Value, error) { return float64(v), nil })
	case pgtype.Float8OID:
		return scanAs(m, oid, format, func(v float64) (driver.Value, error) { return v, nil })
	case pgtype.Int2OID:
		return scanAs(m, oid, format, func(v int16) (driver.Value, error) { return int64(v), nil })
	case pgtype.Int4OID:
		return scanAs(m, oid, format, func(v int32) (driver.Value, error) { return int64(v), nil })
	case pgtype.Int8OID:
		return scanAs(m, oid, format, func(v int64) (driver.Value, error) { return v, nil })
	case pgtype.TimestampOID:
		return scanAs(m, oid, format, func(v pgtype.Timestamp) (driver.Value, error) { return v.Value() })
	case pgtype.TimestamptzOID:
		return scanAs(m, oid, format, func(v pgtype.Timestamptz) (driver.Value, error) { return v.Value() })
	}
	return scanAs(m, oid, format, func(v string) (driver.Value, error) { return v, nil })
}

func scanAs[T any](m *pgtype.Map, oid uint32, format int16, out func(T) (driver.Value, error)) func([]byte) (driver.Value, error) {
	var d T
	plan := m.PlanScan(oid, format, &d)
	return func(src []byte) (driver.Value, error) {
		if err := plan.Scan(src, &d); err != nil {
			return nil, err
		}
		return out(d)
	}
}
