package audit_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tuhono/tuhono/models/audit"
	"github.com/tuhono/tuhono/models/db"
	"github.com/tuhono/tuhono/models/db/dbtest"
	"github.com/tuhono/tuhono/models/fault"
	"github.com/tuhono/tuhono/tenants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func record(t *testing.T, d *db.DB, ctx context.Context, events ...audit.Event) {
	t.Helper()
	for _, e := range events {
		if err := d.InTenant(ctx, func(tx *db.Tx) error { return audit.Record(tx, e) }); err != nil {
			t.Fatalf("Record %s: %v", e.Action, err)
		}
	}
}

func sealAll(t *testing.T, d *db.DB) int {
	t.Helper()
	n, err := audit.NewSealer(d, dbtest.Quiet).SealOnce(context.Background())
	if err != nil {
		t.Fatalf("SealOnce: %v", err)
	}
	return n
}

func verify(t *testing.T, d *db.DB, ids ...uuid.UUID) []audit.Break {
	t.Helper()
	bs, err := audit.Verify(context.Background(), d, ids)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return bs
}

func list(t *testing.T, d *db.DB, ctx context.Context) []audit.Entry {
	t.Helper()
	var es []audit.Entry
	err := d.ReadInTenant(ctx, func(tx *db.Tx) error {
		var err error
		es, err = audit.List(tx, time.Time{}, audit.MaxList)
		return err
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return es
}

// count runs a count in the tenant's scope as the app role.
func count(t *testing.T, d *db.DB, ctx context.Context, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := d.InTenant(ctx, func(tx *db.Tx) error { return tx.Raw(q, args...).Row().Scan(&n) }); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// asOwner runs stmts as the owner role inside one transaction scoped to
// tenant (FORCE ROW LEVEL SECURITY binds the owner too).
func asOwner(t *testing.T, env *dbtest.Env, tenant uuid.UUID, stmts ...string) error {
	t.Helper()
	return inTx(t, env.OwnerURL, append([]string{"SET LOCAL app.tenant_id = '" + tenant.String() + "'"}, stmts...))
}

// asSuper runs stmts as the superuser with every trigger off, foreign keys
// included: the strongest hand there is.
func asSuper(t *testing.T, env *dbtest.Env, stmts ...string) error {
	t.Helper()
	return inTx(t, env.SuperURL, append([]string{"SET LOCAL session_replication_role = replica"}, stmts...))
}

func inTx(t *testing.T, url string, stmts []string) error {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return tx.Commit(ctx)
}

// unguarded wraps stmt in the owner's disabling and re-enabling of a table's
// append-only trigger.
func unguarded(table, stmt string) []string {
	return []string{
		"ALTER TABLE " + table + " DISABLE TRIGGER " + table + "_append_only",
		stmt,
		"ALTER TABLE " + table + " ENABLE TRIGGER " + table + "_append_only",
	}
}

func sampleEvent(i int) audit.Event {
	return audit.Event{
		Action: audit.ActionRecordRead, ActorUserID: uuid.Must(uuid.NewV7()), ActorRoles: []string{"hip", "gp"},
		PatientID: uuid.Must(uuid.NewV7()), Object: "note", ObjectID: fmt.Sprint("note-", i),
		Reason: "direct care", IP: "203.0.113.7", RequestID: fmt.Sprint("req-", i),
		Detail: map[string]string{"section": "plan", "view": "summary"},
	}
}

func TestRecordSealVerifyList(t *testing.T) {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	actor, subject := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	record(t, env.DB, ctx,
		audit.Event{Action: audit.ActionMembershipCreate, ActorUserID: actor, ActorRoles: []string{"practice_admin"},
			SubjectUserID: subject, Object: "staff", ObjectID: subject.String(), Detail: map[string]string{"roles": "hip"},
			IP: "2001:db8::1", RequestID: "r-1"},
		audit.Event{Action: audit.ActionAuthzDeny, ActorUserID: subject, Object: "note", Reason: "read", Outcome: audit.OutcomeDenied},
		sampleEvent(3),
	)
	if n := count(t, env.DB, ctx, `SELECT count(*) FROM audit_backlog`); n != 3 {
		t.Fatalf("backlog holds %d rows, want 3", n)
	}
	if n := sealAll(t, env.DB); n < 3 {
		t.Fatalf("sealed %d, want at least 3", n)
	}
	if n := count(t, env.DB, ctx, `SELECT count(*) FROM audit_backlog`); n != 0 {
		t.Fatalf("backlog holds %d rows after sealing", n)
	}
	if bs := verify(t, env.DB, tn.ID); len(bs) != 0 {
		t.Fatalf("Verify of an untouched chain: %v", bs)
	}
	if n := sealAll(t, env.DB); n != 0 {
		t.Errorf("a second SealOnce sealed %d", n)
	}

	es := list(t, env.DB, ctx)
	if len(es) != 3 {
		t.Fatalf("List: %d entries, want 3", len(es))
	}
	if es[0].Action != audit.ActionRecordRead || es[2].Action != audit.ActionMembershipCreate {
		t.Errorf("List is not newest first: %s … %s", es[0].Action, es[2].Action)
	}
	seqs := []int64{es[2].Seq, es[1].Seq, es[0].Seq}
	if !reflect.DeepEqual(seqs, []int64{1, 2, 3}) {
		t.Errorf("seqs oldest first = %v, want [1 2 3]", seqs)
	}
	got := es[2]
	want := audit.Entry{ID: got.ID, At: got.At, Action: audit.ActionMembershipCreate, ActorUserID: actor,
		ActorRoles: []string{"practice_admin"}, SubjectUserID: subject, Object: "staff", ObjectID: subject.String(),
		Outcome: audit.OutcomeOK, IP: "2001:db8::1", RequestID: "r-1", Detail: map[string]string{"roles": "hip"}, Seq: 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entry\n got %+v\nwant %+v", got, want)
	}
	if time.Since(got.At) > time.Minute || got.At.IsZero() {
		t.Errorf("at = %v, want about now", got.At)
	}
	if es[1].Outcome != audit.OutcomeDenied || es[1].ActorRoles == nil || len(es[1].ActorRoles) != 0 {
		t.Errorf("denied entry: %+v", es[1])
	}
	if recent := func() int {
		var n int
		env.DB.ReadInTenant(ctx, func(tx *db.Tx) error {
			es, err := audit.List(tx, time.Now().Add(time.Hour), 10)
			n = len(es)
			return err
		})
		return n
	}(); recent != 0 {
		t.Errorf("List since an hour ahead: %d entries", recent)
	}
}

func TestRecordRefusesBadInput(t *testing.T) {
	env := dbtest.New(t)
	ctx, _ := env.Tenant(t)
	for name, e := range map[string]audit.Event{
		"no action":      {},
		"action shape":   {Action: "Record Read"},
		"outcome":        {Action: "export", Outcome: "maybe"},
		"ip":             {Action: "export", IP: "10.0.0.1:443"},
		"nul in reason":  {Action: "export", Reason: "a\x00b"},
		"bad utf-8":      {Action: "export", ObjectID: "\xff"},
		"long reason":    {Action: "export", Reason: strings.Repeat("é", 501)},
		"empty key":      {Action: "export", Detail: map[string]string{"": "x"}},
		"too many roles": {Action: "export", ActorRoles: make([]string, 21)},
	} {
		err := env.DB.InTenant(ctx, func(tx *db.Tx) error { return audit.Record(tx, e) })
		if !errors.Is(err, fault.Invalid) {
			t.Errorf("%s: got %v, want invalid", name, err)
		}
	}
	if n := count(t, env.DB, ctx, `SELECT count(*) FROM audit_events`); n != 0 {
		t.Errorf("%d events recorded from bad input", n)
	}
	// Outside a tenant transaction there is no trail to write to.
	err := env.DB.Platform(context.Background(), "test", func(tx *db.Tx) error {
		return audit.Record(tx, audit.Event{Action: "export"})
	})
	if !errors.Is(err, db.ErrNoTenant) {
		t.Errorf("Record in platform scope: %v", err)
	}
}

// The app role holds SELECT and INSERT only; the owner holds more, and the
// triggers still refuse it.
func TestHistoryCannotBeChanged(t *testing.T) {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	record(t, env.DB, ctx, sampleEvent(1), sampleEvent(2))
	sealAll(t, env.DB)
	before := list(t, env.DB, ctx)

	for _, stmt := range []string{
		`UPDATE audit_events SET action = 'export'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events CASCADE`,
		`UPDATE audit_seals SET hash = prev_hash`,
		`DELETE FROM audit_seals`,
		`TRUNCATE audit_seals`,
		`UPDATE platform_audit_events SET action = 'export'`,
		`DELETE FROM platform_audit_seals`,
	} {
		err := env.DB.InTenant(ctx, func(tx *db.Tx) error { return tx.Exec(stmt).Error })
		if !errors.Is(err, fault.Forbidden) {
			t.Errorf("app role: %s: got %v, want forbidden", stmt, err)
		}
		if err := asOwner(t, env, tn.ID, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("owner: %s: got %v, want the append-only trigger's refusal", stmt, err)
		}
	}
	if after := list(t, env.DB, ctx); !reflect.DeepEqual(before, after) {
		t.Errorf("history changed:\n%+v\n%+v", before, after)
	}
	if bs := verify(t, env.DB, tn.ID); len(bs) != 0 {
		t.Errorf("Verify: %v", bs)
	}
}

func TestOtherTenantSeesNothing(t *testing.T) {
	env := dbtest.New(t)
	ctxA, a := env.Tenant(t)
	ctxB, _ := env.Tenant(t)
	record(t, env.DB, ctxA, sampleEvent(1))
	sealAll(t, env.DB)
	record(t, env.DB, ctxA, sampleEvent(2)) // one left in the backlog

	if es := list(t, env.DB, ctxB); len(es) != 0 {
		t.Errorf("B lists %d of A's events", len(es))
	}
	for _, table := range []string{"audit_events", "audit_seals", "audit_backlog"} {
		if n := count(t, env.DB, ctxB, `SELECT count(*) FROM `+table+` WHERE tenant_id = ?`, a.ID); n != 0 {
			t.Errorf("B counts %d of A's rows in %s", n, table)
		}
	}
	err := env.DB.InTenant(ctxB, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO audit_events (tenant_id, id, action) VALUES (?, ?, 'export')`, a.ID, uuid.Must(uuid.NewV7())).Error
	})
	if !errors.Is(err, fault.Forbidden) {
		t.Errorf("B writing into A's trail: %v, want forbidden", err)
	}
	// The platform trail is the platform's alone.
	if err := audit.RecordPlatform(ctxB, env.DB, audit.Event{Action: audit.ActionSigninFailure, Outcome: audit.OutcomeFailed}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, env.DB, ctxB, `SELECT count(*) FROM platform_audit_events`); n != 0 {
		t.Errorf("a tenant reads %d platform events", n)
	}
	err = env.DB.InTenant(ctxB, func(tx *db.Tx) error {
		return tx.Exec(`INSERT INTO platform_audit_seals (seq, event_id, prev_hash, hash)
			VALUES (999999, ?, '\x00', '\x00')`, uuid.Must(uuid.NewV7())).Error
	})
	if err == nil {
		t.Error("a tenant inserted a platform seal")
	}
}

// tamperCase records five events in a fresh tenant, seals them, tampers, and
// expects Verify to name the first broken link.
type tamperCase struct {
	name   string
	tamper func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, bySeq map[int64]uuid.UUID) uuid.UUID // returns the event named, if not bySeq[seq]
	seq    int64
	why    string
}

func TestTamperingIsDetected(t *testing.T) {
	env := dbtest.New(t)
	exec := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cases := []tamperCase{
		{name: "owner edits an event's action", seq: 3, why: "hash mismatch",
			tamper: func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, ev map[int64]uuid.UUID) uuid.UUID {
				exec(t, asOwner(t, env, tn.ID, unguarded("audit_events",
					"UPDATE audit_events SET action = 'record.create' WHERE id = '"+ev[3].String()+"'")...))
				return uuid.Nil
			}},
		{name: "owner edits an event's detail", seq: 3, why: "hash mismatch",
			tamper: func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, ev map[int64]uuid.UUID) uuid.UUID {
				exec(t, asOwner(t, env, tn.ID, unguarded("audit_events",
					`UPDATE audit_events SET detail = detail || '{"view": "full"}' WHERE id = '`+ev[3].String()+"'")...))
				return uuid.Nil
			}},
		{name: "owner edits two events: the first is named", seq: 2, why: "hash mismatch",
			tamper: func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, ev map[int64]uuid.UUID) uuid.UUID {
				exec(t, asOwner(t, env, tn.ID, unguarded("audit_events",
					"UPDATE audit_events SET reason = 'research' WHERE id IN ('"+ev[4].String()+"', '"+ev[2].String()+"')")...))
				return uuid.Nil
			}},
		{name: "owner edits a seal's hash", seq: 3, why: "hash mismatch",
			tamper: func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, ev map[int64]uuid.UUID) uuid.UUID {
				exec(t, asOwner(t, env, tn.ID, unguarded("audit_seals",
					"UPDATE audit_seals SET hash = sha256('forged') WHERE seq = 3")...))
				return uuid.Nil
			}},
		{name: "owner edits a seal's prev_hash", seq: 4, why: "prev_hash",
			tamper: func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, ev map[int64]uuid.UUID) uuid.UUID {
				exec(t, asOwner(t, env, tn.ID, unguarded("audit_seals",
					"UPDATE audit_seals SET prev_hash = sha256('forged') WHERE seq = 4")...))
				return uuid.Nil
			}},
		{name: "owner deletes a seal", seq: 3, why: "gap in sequence",
			tamper: func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, ev map[int64]uuid.UUID) uuid.UUID {
				exec(t, asOwner(t, env, tn.ID, unguarded("audit_seals", "DELETE FROM audit_seals WHERE seq = 3")...))
				return uuid.Nil // a gap names no event
			}},
		{name: "owner deletes a sealed event", seq: 3, why: "missing event",
			tamper: func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, ev map[int64]uuid.UUID) uuid.UUID {
				exec(t, asOwner(t, env, tn.ID, unguarded("audit_events", "DELETE FROM audit_events WHERE id = '"+ev[3].String()+"'")...))
				return ev[3]
			}},
		{name: "superuser deletes a sealed event, every trigger off", seq: 3, why: "missing event",
			tamper: func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, ev map[int64]uuid.UUID) uuid.UUID {
				exec(t, asSuper(t, env, "DELETE FROM audit_events WHERE id = '"+ev[3].String()+"'"))
				return ev[3]
			}},
		{name: "owner inserts an event with an old time after sealing", seq: 6, why: "old time",
			tamper: func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, ev map[int64]uuid.UUID) uuid.UUID {
				id := uuid.Must(uuid.NewV7())
				exec(t, asOwner(t, env, tn.ID, `INSERT INTO audit_events (tenant_id, id, at, action)
					VALUES ('`+tn.ID.String()+`', '`+id.String()+`', now() - interval '1 hour', 'record.read')`))
				sealAll(t, env.DB) // the sealer cannot tell: Verify can
				return id
			}},
		{name: "owner inserts an old event the sealer never sees", seq: 0, why: "not sealed",
			tamper: func(t *testing.T, env *dbtest.Env, tn tenants.Tenant, ev map[int64]uuid.UUID) uuid.UUID {
				id := uuid.Must(uuid.NewV7())
				exec(t, asOwner(t, env, tn.ID,
					"ALTER TABLE audit_events DISABLE TRIGGER audit_events_enqueue",
					`INSERT INTO audit_events (tenant_id, id, at, action)
					 VALUES ('`+tn.ID.String()+`', '`+id.String()+`', now() - interval '10 minutes', 'record.read')`,
					"ALTER TABLE audit_events ENABLE TRIGGER audit_events_enqueue"))
				return id
			}},
	}
	broken := map[uuid.UUID]int64{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, tn := env.Tenant(t)
			for i := range 5 {
				record(t, env.DB, ctx, sampleEvent(i))
			}
			sealAll(t, env.DB)
			bySeq := map[int64]uuid.UUID{}
			for _, e := range list(t, env.DB, ctx) {
				bySeq[e.Seq] = e.ID
			}
			if len(bySeq) != 5 || bySeq[1] == uuid.Nil || bySeq[5] == uuid.Nil {
				t.Fatalf("chain before tampering: %v", bySeq)
			}
			if bs := verify(t, env.DB, tn.ID); len(bs) != 0 {
				t.Fatalf("Verify before tampering: %v", bs)
			}

			event := tc.tamper(t, env, tn, bySeq)
			if event == uuid.Nil && tc.why != "gap in sequence" {
				event = bySeq[tc.seq]
			}
			bs := verify(t, env.DB, tn.ID)
			if len(bs) != 1 {
				t.Fatalf("Verify: %d breaks, want 1: %v", len(bs), bs)
			}
			b := bs[0]
			if b.TenantID != tn.ID || b.Seq != tc.seq || b.EventID != event || !strings.Contains(b.Why, tc.why) {
				t.Errorf("Verify: %v\nwant seal %d event %s: %q", b, tc.seq, event, tc.why)
			}
			broken[tn.ID] = b.Seq
		})
	}

	// Every tenant and the platform: each tampered chain is among the breaks.
	found := map[uuid.UUID]bool{}
	for _, b := range verify(t, env.DB) {
		if seq, ok := broken[b.TenantID]; ok && seq == b.Seq {
			found[b.TenantID] = true
		}
	}
	if len(found) != len(broken) {
		t.Errorf("Verify of everything found %d of the %d tampered chains", len(found), len(broken))
	}
}

// The owner can rebuild a chain honestly around an edit, which Verify cannot
// see; a head kept outside the database can.
func TestRecordedHeadsCatchARewrittenChain(t *testing.T) {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	for i := range 5 {
		record(t, env.DB, ctx, sampleEvent(i))
	}
	sealAll(t, env.DB)
	heads, err := audit.Heads(context.Background(), env.DB, []uuid.UUID{tn.ID})
	if err != nil || len(heads) != 1 || heads[0].Seq != 5 || len(heads[0].Hash) != 32 {
		t.Fatalf("Heads: %v %v", heads, err)
	}
	bs, err := audit.CheckHeads(context.Background(), env.DB, heads)
	if err != nil || len(bs) != 0 {
		t.Fatalf("CheckHeads of an untouched chain: %v %v", bs, err)
	}

	// Edit event 3, drop seals 3–5 and let the sealer chain them again.
	var third uuid.UUID
	for _, e := range list(t, env.DB, ctx) {
		if e.Seq == 3 {
			third = e.ID
		}
	}
	stmts := unguarded("audit_events", "UPDATE audit_events SET reason = 'research' WHERE id = '"+third.String()+"'")
	stmts = append(stmts, unguarded("audit_seals", "DELETE FROM audit_seals WHERE seq >= 3")...)
	stmts = append(stmts, "INSERT INTO audit_backlog SELECT tenant_id, id FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.tenant_id = e.tenant_id AND s.event_id = e.id)")
	if err := asOwner(t, env, tn.ID, stmts...); err != nil {
		t.Fatal(err)
	}
	sealAll(t, env.DB)
	if bs := verify(t, env.DB, tn.ID); len(bs) != 0 {
		t.Fatalf("a rewritten chain is consistent, yet Verify says %v", bs)
	}
	bs, err = audit.CheckHeads(context.Background(), env.DB, heads)
	if err != nil || len(bs) != 1 || bs[0].Seq != 5 || !strings.Contains(bs[0].Why, "rewritten") {
		t.Fatalf("CheckHeads after a rewrite: %v %v", bs, err)
	}
}

func TestConcurrentSealersMakeOneChain(t *testing.T) {
	env := dbtest.New(t)
	ctx, tn := env.Tenant(t)
	const writers, each = 2, 500
	var wg sync.WaitGroup
	errs := make(chan error, writers+2)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := env.DB.InTenant(ctx, func(tx *db.Tx) error { return audit.Record(tx, sampleEvent(w*each+i)) })
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	done := make(chan struct{})
	var sealers sync.WaitGroup
	for range 2 {
		s := audit.NewSealer(env.DB, dbtest.Quiet)
		sealers.Go(func() {
			for {
				if _, err := s.SealOnce(context.Background()); err != nil {
					errs <- err
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	wg.Wait()
	close(done)
	sealers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sealAll(t, env.DB)

	var n, lo, hi int64
	err := env.DB.InTenant(ctx, func(tx *db.Tx) error {
		return tx.Raw(`SELECT count(*), min(seq), max(seq) FROM audit_seals`).Row().Scan(&n, &lo, &hi)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != writers*each || lo != 1 || hi != writers*each {
		t.Errorf("seals: %d from %d to %d, want %d from 1 to %d", n, lo, hi, writers*each, writers*each)
	}
	if bs := verify(t, env.DB, tn.ID); len(bs) != 0 {
		t.Errorf("Verify: %v", bs)
	}
}

func TestPlatformChain(t *testing.T) {
	env := dbtest.New(t)
	ctx := context.Background()
	user := uuid.Must(uuid.NewV7())
	for _, e := range []audit.Event{
		{Action: audit.ActionSigninFailure, Outcome: audit.OutcomeFailed, Reason: "unknown e-mail", IP: "198.51.100.4", RequestID: "r-9"},
		{Action: audit.ActionSigninSuccess, ActorUserID: user, SubjectUserID: user, IP: "::ffff:198.51.100.4"},
		{Action: audit.ActionRoleGrant, ActorUserID: user, Object: "region", ObjectID: "akl", Detail: map[string]string{"role": "regional_admin"}},
	} {
		if err := audit.RecordPlatform(ctx, env.DB, e); err != nil {
			t.Fatal(err)
		}
	}
	if n := sealAll(t, env.DB); n < 3 {
		t.Fatalf("sealed %d", n)
	}
	if bs := verify(t, env.DB, uuid.Nil); len(bs) != 0 {
		t.Fatalf("Verify of the platform chain: %v", bs)
	}

	var id uuid.UUID
	var seq int64
	var ip string
	err := env.DB.Platform(ctx, "test", func(tx *db.Tx) error {
		return tx.Raw(`SELECT e.id, s.seq, host(e.ip) FROM platform_audit_events e
			JOIN platform_audit_seals s ON s.event_id = e.id WHERE e.action = 'signin.success' AND e.actor_user_id = ?`, user).
			Row().Scan(&id, &seq, &ip)
	})
	if err != nil {
		t.Fatal(err)
	}
	if ip != "198.51.100.4" {
		t.Errorf("an IPv4-mapped address is kept as %q, want the IPv4 form", ip)
	}
	// The superuser edits the platform event, and puts it back so that the
	// shared chain stays whole for every other test.
	edit := func(action string) {
		t.Helper()
		if err := asSuper(t, env, "UPDATE platform_audit_events SET action = '"+action+"' WHERE id = '"+id.String()+"'"); err != nil {
			t.Fatal(err)
		}
	}
	edit("signout")
	t.Cleanup(func() { edit("signin.success") })
	bs := verify(t, env.DB, uuid.Nil)
	if len(bs) != 1 || bs[0].TenantID != uuid.Nil || bs[0].Seq != seq || bs[0].EventID != id || bs[0].Why != "hash mismatch" {
		t.Errorf("Verify after editing platform seal %d: %v", seq, bs)
	}
}
