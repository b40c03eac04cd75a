package db

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// These tests start real PostgreSQL servers from the binaries on the machine.
// They never skip: without binaries they fail with ErrNoPostgres's message.

func embeddedTestStart(t *testing.T, dir string) *Embedded {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	begin := time.Now()
	e, err := StartEmbedded(ctx, dir, "", slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("StartEmbedded took %v (owned=%v, port %d)", time.Since(begin).Round(time.Millisecond), e.Owned(), e.port)
	t.Cleanup(func() { _ = e.Stop(context.Background()) })
	return e
}

func embeddedTestStop(t *testing.T, e *Embedded) {
	t.Helper()
	begin := time.Now()
	if err := e.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Stop took %v", time.Since(begin).Round(time.Millisecond))
}

func embeddedTestConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// embeddedTestProcs lists the processes whose command line mentions dataDir.
func embeddedTestProcs(t *testing.T, dataDir string) []string {
	t.Helper()
	paths, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte(dataDir)) {
			continue
		}
		found = append(found, filepath.Base(filepath.Dir(p))+": "+strings.ReplaceAll(string(b), "\x00", " "))
	}
	return found
}

func embeddedTestNoProcs(t *testing.T, dataDir string) {
	t.Helper()
	if procs := embeddedTestProcs(t, dataDir); len(procs) > 0 {
		t.Fatalf("processes still running on %s after Stop:\n%s", dataDir, strings.Join(procs, "\n"))
	}
}

// embeddedTestCheckUser asserts, when the test runs as root, that the
// postmaster does not run as root.
func embeddedTestCheckUser(t *testing.T, e *Embedded) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", e.pmPid))
	if err != nil {
		t.Fatalf("postmaster %d: %v", e.pmPid, err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "Uid:" {
			if fields[1] == "0" {
				t.Fatalf("postmaster %d runs as root", e.pmPid)
			}
			return
		}
	}
	t.Fatalf("postmaster %d: no Uid line in /proc status", e.pmPid)
}

func TestEmbeddedStartStopRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir() // 0700 parent: as root this exercises the traversal logic

	e := embeddedTestStart(t, dir)
	if !e.Owned() {
		t.Fatal("first start: Owned() = false")
	}
	embeddedTestCheckUser(t, e)
	if !strings.HasPrefix(e.SuperURL(), "postgres://postgres:") || !strings.Contains(e.SuperURL(), "@127.0.0.1:") ||
		!strings.HasSuffix(e.SuperURL(), "/postgres?sslmode=disable") {
		t.Errorf("SuperURL has an unexpected shape: %s", strings.Replace(e.SuperURL(), e.secrets.Superuser, "***", 1))
	}

	// The app role: reaches tuhono, is no superuser, lacks BYPASSRLS, cannot
	// create in schema public.
	app := embeddedTestConn(t, e.AppURL())
	var one int
	var user, database string
	if err := app.QueryRow(ctx, "SELECT 1, current_user, current_database()").Scan(&one, &user, &database); err != nil {
		t.Fatal(err)
	}
	if one != 1 || user != "tuhono_app" || database != "tuhono" {
		t.Fatalf("got %d %s %s", one, user, database)
	}
	rows, err := app.Query(ctx, "SELECT rolname, rolsuper, rolbypassrls, rolinherit, rolcreaterole FROM pg_roles WHERE rolname IN ('tuhono_app', 'tuhono_owner')")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var name string
		var super, bypass, inherit, createrole bool
		if err := rows.Scan(&name, &super, &bypass, &inherit, &createrole); err != nil {
			t.Fatal(err)
		}
		n++
		if super || bypass || createrole {
			t.Errorf("%s: rolsuper=%v rolbypassrls=%v rolcreaterole=%v, want all false", name, super, bypass, createrole)
		}
		if name == "tuhono_app" && inherit {
			t.Errorf("tuhono_app: rolinherit = true, want NOINHERIT")
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("found %d of the 2 roles", n)
	}
	if _, err := app.Exec(ctx, "CREATE TABLE app_may_not (x int)"); roleSQLState(err) != "42501" {
		t.Errorf("tuhono_app creating a table in public: err = %v, want insufficient_privilege", err)
	}

	// The owner owns schema public and keeps a table across restarts.
	owner := embeddedTestConn(t, e.OwnerURL())
	if _, err := owner.Exec(ctx, "CREATE TABLE embedded_probe (v text); INSERT INTO embedded_probe VALUES ('first run')"); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "pg", "secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("secrets.json mode %v, want 0600", info.Mode().Perm())
	}
	if uid, _ := embeddedOwnerUID(filepath.Join(dir, "pg", "secrets.json")); int(uid) != os.Geteuid() {
		t.Errorf("secrets.json belongs to uid %d, want %d", uid, os.Geteuid())
	}
	app.Close(ctx)
	owner.Close(ctx)
	firstSecrets := e.secrets

	embeddedTestStop(t, e)
	embeddedTestStop(t, e) // idempotent
	embeddedTestNoProcs(t, e.dataDir)

	// Second start on the same directory: same cluster, same passwords.
	e2 := embeddedTestStart(t, dir)
	if !e2.Owned() {
		t.Fatal("second start: Owned() = false")
	}
	if e2.secrets != firstSecrets {
		t.Error("second start generated new passwords")
	}
	embeddedTestCheckUser(t, e2)
	var v string
	if err := embeddedTestConn(t, e2.OwnerURL()).QueryRow(ctx, "SELECT v FROM embedded_probe").Scan(&v); err != nil || v != "first run" {
		t.Fatalf("data of the first run: %q, %v", v, err)
	}
	if err := embeddedTestConn(t, e2.AppURL()).QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	embeddedTestStop(t, e2)
	embeddedTestNoProcs(t, e2.dataDir)
}

func TestEmbeddedAttach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()

	a := embeddedTestStart(t, dir)
	if !a.Owned() {
		t.Fatal("A: Owned() = false")
	}
	b := embeddedTestStart(t, dir)
	if b.Owned() {
		t.Fatal("B: Owned() = true, want an attachment to A's server")
	}
	if b.AppURL() != a.AppURL() || b.SuperURL() != a.SuperURL() || b.OwnerURL() != a.OwnerURL() {
		t.Fatal("B's URLs differ from A's")
	}
	var one int
	if err := embeddedTestConn(t, b.AppURL()).QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}

	// EnsureRoles and EnsureDatabase run concurrently from several sessions.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			if err := EnsureRoles(ctx, b.SuperURL(), b.secrets.Owner, b.secrets.App); err != nil {
				errs <- err
				return
			}
			if err := EnsureDatabase(ctx, b.SuperURL(), "tuhono_conc"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Ensure: %v", err)
	}
	concURL, err := WithCredentials(b.SuperURL(), roleAppName, b.secrets.App, "tuhono_conc")
	if err != nil {
		t.Fatal(err)
	}
	if err := embeddedTestConn(t, concURL).QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}

	embeddedTestStop(t, b) // must not stop A's server
	if err := embeddedTestConn(t, a.AppURL()).QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("A's server stopped by B.Stop: %v", err)
	}
	embeddedTestStop(t, a)
	embeddedTestNoProcs(t, a.dataDir)
	embeddedTestStop(t, b)
}

func TestEmbeddedStalePostmasterPid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()

	e := embeddedTestStart(t, dir)
	embeddedTestStop(t, e)

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		pid  int
	}{
		{"dead pid", dead.ProcessState.Pid()},
		{"pid recycled by another program", os.Getpid()},
	} {
		pidFile := fmt.Sprintf("%d\n%s\n%d\n%d\n\n127.0.0.1\n  5432001         0\nready   \n",
			c.pid, e.dataDir, time.Now().Unix(), 5999)
		if err := os.WriteFile(filepath.Join(e.dataDir, "postmaster.pid"), []byte(pidFile), 0o600); err != nil {
			t.Fatal(err)
		}
		e2 := embeddedTestStart(t, dir)
		if !e2.Owned() {
			t.Fatalf("%s: attached instead of starting", c.what)
		}
		var one int
		if err := embeddedTestConn(t, e2.AppURL()).QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		embeddedTestStop(t, e2)
		embeddedTestNoProcs(t, e2.dataDir)
	}
}

func TestEmbeddedNoPostgres(t *testing.T) {
	_, err := StartEmbedded(context.Background(), t.TempDir(), t.TempDir(), slog.New(slog.NewTextHandler(t.Output(), nil)))
	if !errors.Is(err, ErrNoPostgres) {
		t.Fatalf("err = %v, want ErrNoPostgres", err)
	}
	if strings.Contains(ErrNoPostgres.Error(), "\n") || !strings.Contains(ErrNoPostgres.Error(), "install") {
		t.Errorf("ErrNoPostgres should be one line saying what to install: %q", ErrNoPostgres)
	}
}

func TestEmbeddedWithCredentials(t *testing.T) {
	for _, c := range []struct{ in, user, pass, db, want string }{
		{"postgres://postgres:secret@127.0.0.1:5433/postgres?sslmode=disable", "tuhono_app", "p@ss/w:rd", "tuhono",
			"postgres://tuhono_app:p%40ss%2Fw%3Ard@127.0.0.1:5433/tuhono?sslmode=disable"},
		{"postgresql://u@h1:5432,h2:5432/x?user=evil&password=evil&dbname=evil&sslmode=require", "a", "b", "c",
			"postgresql://a:b@h1:5432,h2:5432/c?sslmode=require"},
		{"postgres://u:p@h/keep", "a", "", "", "postgres://a@h/keep"},
		{"host=localhost port=5433 user=postgres password='it\\'s' dbname=postgres sslmode=disable", "o", `it's \x`, "tuhono",
			`host='localhost' port='5433' sslmode='disable' user='o' password='it\'s \\x' dbname='tuhono'`},
	} {
		got, err := WithCredentials(c.in, c.user, c.pass, c.db)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("WithCredentials(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	if _, err := WithCredentials("postgres://u:hunter2@h:notaport/x", "a", "b", "c"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a bad URL: err = %v, want an error without the password", err)
	}

	lit, err := roleQuoteLiteral(`a'b\c`)
	if err != nil || lit != `E'a''b\\c'` {
		t.Errorf("roleQuoteLiteral = %s, %v", lit, err)
	}
	v, err := roleSCRAMVerifier("x")
	if err != nil || !strings.HasPrefix(v, "SCRAM-SHA-256$4096:") || strings.Count(v, "$") != 2 {
		t.Errorf("roleSCRAMVerifier = %s, %v", v, err)
	}
}
