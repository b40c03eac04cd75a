package db

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoPostgres means no PostgreSQL server binaries (initdb, pg_ctl, postgres)
// could be found, so the embedded database cannot start.
var ErrNoPostgres = errors.New("no PostgreSQL server binaries found (looked in PG_BIN_DIR, PATH and /usr/lib/postgresql/*/bin): install them, e.g. apt-get install postgresql, or set PG_BIN_DIR")

// embeddedMinMajor is the oldest PostgreSQL the schema supports.
const embeddedMinMajor = 15

// embeddedDatabase is the application database of the embedded cluster.
const embeddedDatabase = "tuhono"

// embeddedLogRotateSize: postgres.log is moved to postgres.log.1 at start
// when it has grown past this.
const embeddedLogRotateSize = 10 << 20

// Embedded is a project-local PostgreSQL cluster kept under a directory (by
// default ./.tuhono): dir/pg/data holds the cluster, dir/pg/secrets.json the
// generated passwords (0600), dir/pg/postgres.log the server log and
// dir/pg/lock serialises starting and stopping between processes.
//
// The server listens on 127.0.0.1 only, on a free port chosen at each start,
// with no Unix socket. When this process is root, every PostgreSQL program
// runs as user postgres (or nobody), since PostgreSQL refuses to run as root.
type Embedded struct {
	dir     string // absolute
	pgDir   string
	dataDir string
	logPath string
	log     *slog.Logger
	runAs   *embeddedRunAs
	secrets embeddedSecrets
	bins    *embeddedBins // nil when attached

	port  int
	pmPid int
	owned bool

	mu      sync.Mutex
	stopped bool
}

type embeddedSecrets struct {
	Superuser string `json:"superuser_password"`
	Owner     string `json:"owner_password"`
	App       string `json:"app_password"`
}

type embeddedBins struct {
	dir                     string
	initdb, pgCtl, postgres string
	major                   int
	versionText             string
}

// StartEmbedded starts the project-local cluster kept in dir, creating it on
// first use (initdb, then roles tuhono_owner and tuhono_app and database
// tuhono), or attaches to it when another process already runs it. In the
// latter case Owned reports false and Stop leaves the server running. The
// returned server accepts connections on all three URLs.
func StartEmbedded(ctx context.Context, dir, binDir string, log *slog.Logger) (*Embedded, error) {
	e, err := startEmbedded(ctx, dir, binDir, log)
	if err != nil {
		return nil, fmt.Errorf("db.StartEmbedded: %w", err)
	}
	return e, nil
}

// SuperURL is the DSN of the superuser postgres on database postgres.
func (e *Embedded) SuperURL() string { return e.url("postgres", e.secrets.Superuser, "postgres") }

// OwnerURL is the DSN of role tuhono_owner (owner of the schema, runs
// migrations) on database tuhono.
func (e *Embedded) OwnerURL() string {
	return e.url(roleOwnerName, e.secrets.Owner, embeddedDatabase)
}

// AppURL is the DSN of role tuhono_app (no ownership, no BYPASSRLS) on
// database tuhono.
func (e *Embedded) AppURL() string { return e.url(roleAppName, e.secrets.App, embeddedDatabase) }

// Owned reports whether this process started the server (and Stop stops it).
func (e *Embedded) Owned() bool { return e.owned }

// Stop stops the server with a fast shutdown when this process started it;
// otherwise it does nothing. It is idempotent. It finishes stopping even when
// ctx is already cancelled (as it is after Ctrl-C), bounded by PostgreSQL's
// own shutdown timeout, so that no server is left behind.
func (e *Embedded) Stop(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.owned || e.stopped {
		return nil
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	release, err := embeddedFlock(lctx, filepath.Join(e.pgDir, "lock"), e.log)
	if err != nil {
		return fmt.Errorf("db.Embedded.Stop: %w", err)
	}
	defer release()
	if err := e.stopServer(); err != nil {
		return fmt.Errorf("db.Embedded.Stop: %w", err)
	}
	e.stopped = true
	e.log.Info("embedded postgres: stopped", "dir", e.dir)
	return nil
}

func (e *Embedded) url(user, password, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(e.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func startEmbedded(ctx context.Context, dir, binDir string, log *slog.Logger) (*Embedded, error) {
	if log == nil {
		log = slog.Default()
	}
	if dir == "" {
		return nil, errors.New("empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// With no cluster yet and no binaries to make one, say so before
	// touching the file system: one clear line, nothing half-made.
	if _, err := os.Stat(filepath.Join(abs, "pg", "data", "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if _, err := embeddedFindBins(ctx, binDir, 0, ""); err != nil {
			return nil, err
		}
	}
	runAs, err := embeddedLookupRunAs()
	if err != nil {
		return nil, err
	}
	e := &Embedded{
		dir:     abs,
		pgDir:   filepath.Join(abs, "pg"),
		dataDir: filepath.Join(abs, "pg", "data"),
		logPath: filepath.Join(abs, "pg", "postgres.log"),
		log:     log,
		runAs:   runAs,
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, err
	}
	if err := os.Mkdir(e.pgDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	if runAs != nil {
		// pg stays root's (it holds secrets.json); the server's user may
		// only traverse it to its data directory and log.
		info, err := os.Stat(e.pgDir)
		if err != nil {
			return nil, err
		}
		if info.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(e.pgDir, info.Mode().Perm()|0o001); err != nil {
				return nil, err
			}
		}
		if err := runAs.ensureTraversable(abs, log); err != nil {
			return nil, err
		}
	}

	release, err := embeddedFlock(ctx, filepath.Join(e.pgDir, "lock"), log)
	if err != nil {
		return nil, err
	}
	defer release()

	dataVersion, err := e.clusterVersion()
	if err != nil {
		return nil, err
	}
	if e.secrets, err = e.loadSecrets(dataVersion > 0); err != nil {
		return nil, err
	}

	if dataVersion > 0 {
		attached, err := e.tryAttach(ctx)
		if err != nil {
			return nil, err
		}
		if attached {
			log.Info("embedded postgres: attached to the running server", "dir", abs, "port", e.port, "pid", e.pmPid)
			return e, nil
		}
	}

	if e.bins, err = embeddedFindBins(ctx, binDir, dataVersion, e.dataDir); err != nil {
		return nil, err
	}
	if runAs != nil {
		log.Info("embedded postgres: running as root, so PostgreSQL runs as an unprivileged user", "user", runAs.name)
	}
	if dataVersion == 0 {
		if err := e.initCluster(ctx); err != nil {
			return nil, err
		}
	} else if runAs == nil {
		if uid, ok := embeddedOwnerUID(e.dataDir); ok && int(uid) != os.Geteuid() {
			return nil, fmt.Errorf("%s belongs to uid %d, not to you (uid %d): run as that user or as root, or remove %s to start afresh (its data is lost)",
				e.dataDir, uid, os.Geteuid(), e.pgDir)
		}
	}
	if err := runAs.chownTree(e.dataDir); err != nil {
		return nil, fmt.Errorf("give %s to user %s: %w", e.dataDir, runAs.name, err)
	}
	if err := e.prepareLog(); err != nil {
		return nil, err
	}

	if err := e.startServer(); err != nil {
		return nil, err
	}
	e.owned = true
	if err := e.finishStart(ctx); err != nil {
		if serr := e.stopServer(); serr != nil {
			log.Error("embedded postgres: stopping after a failed start", "err", serr)
		}
		e.owned = false
		return nil, err
	}
	log.Info("embedded postgres: started", "dir", abs, "port", e.port, "pid", e.pmPid,
		"version", e.bins.versionText)
	return e, nil
}

// finishStart waits for the server to answer and sets up roles and database
// (idempotent, so an interrupted first start is completed by the next one).
func (e *Embedded) finishStart(ctx context.Context) error {
	if err := e.waitReady(ctx, 30*time.Second); err != nil {
		return err
	}
	if err := EnsureRoles(ctx, e.SuperURL(), e.secrets.Owner, e.secrets.App); err != nil {
		return err
	}
	return EnsureDatabase(ctx, e.SuperURL(), embeddedDatabase)
}

// clusterVersion returns the major version in data/PG_VERSION, 0 when there
// is no cluster yet.
func (e *Embedded) clusterVersion() (int, error) {
	b, err := os.ReadFile(filepath.Join(e.dataDir, "PG_VERSION"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the cluster in %s: %w (was it created by another user? run as that user or as root)", e.dataDir, err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%s/PG_VERSION is not a version number", e.dataDir)
	}
	return v, nil
}

// loadSecrets reads dir/pg/secrets.json, or creates it when there is no
// cluster yet.
func (e *Embedded) loadSecrets(clusterExists bool) (embeddedSecrets, error) {
	path := filepath.Join(e.pgDir, "secrets.json")
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && clusterExists:
		return embeddedSecrets{}, fmt.Errorf("%s is missing but the cluster in %s exists, so its passwords are lost: remove %s to start afresh (its data is lost)",
			path, e.dataDir, e.pgDir)
	case errors.Is(err, fs.ErrNotExist):
		s := embeddedSecrets{Superuser: embeddedPassword(), Owner: embeddedPassword(), App: embeddedPassword()}
		out, _ := json.MarshalIndent(s, "", "  ")
		if err := embeddedWriteFileAtomic(path, append(out, '\n'), 0o600); err != nil {
			return embeddedSecrets{}, err
		}
		return s, nil
	case err != nil:
		return embeddedSecrets{}, err
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return embeddedSecrets{}, err
		}
	}
	var s embeddedSecrets
	if err := json.Unmarshal(b, &s); err != nil {
		return embeddedSecrets{}, fmt.Errorf("%s does not parse (fix it, or remove %s to start afresh)", path, e.pgDir)
	}
	for _, p := range []string{s.Superuser, s.Owner, s.App} {
		if p == "" || strings.ContainsFunc(p, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			return embeddedSecrets{}, fmt.Errorf("%s lacks a password or holds an unusable one (fix it, or remove %s to start afresh)", path, e.pgDir)
		}
	}
	return s, nil
}

// embeddedPassword is 32 random bytes, base64url: URL- and SQL-safe.
func embeddedPassword() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func embeddedWriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// --- binaries ---------------------------------------------------------------

// embeddedFindBins picks the directory holding initdb, pg_ctl and postgres:
// binDir (PG_BIN_DIR) when set (and only it), else PATH, else the highest
// /usr/lib/postgresql/*/bin (Debian), /usr/pgsql-*/bin (RHEL) or
// /usr/local/pgsql/bin. For an existing cluster it takes the first one of
// the cluster's major version; for a new one the first of 15 or newer.
func embeddedFindBins(ctx context.Context, explicit string, clusterMajor int, dataDir string) (*embeddedBins, error) {
	var cands []string
	if explicit != "" {
		cands = []string{explicit}
	} else {
		for _, name := range []string{"pg_ctl", "initdb", "postgres"} {
			p, err := exec.LookPath(name)
			if err != nil {
				continue
			}
			if r, err := filepath.EvalSymlinks(p); err == nil {
				cands = append(cands, filepath.Dir(r))
			}
			cands = append(cands, filepath.Dir(p))
		}
		cands = append(cands, embeddedGlobVersions("/usr/lib/postgresql/*/bin")...)
		cands = append(cands, embeddedGlobVersions("/usr/pgsql-*/bin")...)
		cands = append(cands, "/usr/local/pgsql/bin")
	}
	var found []*embeddedBins
	seen := map[string]bool{}
	for _, d := range cands {
		d = filepath.Clean(d)
		if seen[d] {
			continue
		}
		seen[d] = true
		b := &embeddedBins{
			dir:      d,
			initdb:   filepath.Join(d, "initdb"),
			pgCtl:    filepath.Join(d, "pg_ctl"),
			postgres: filepath.Join(d, "postgres"),
		}
		if !embeddedExecutable(b.initdb) || !embeddedExecutable(b.pgCtl) || !embeddedExecutable(b.postgres) {
			continue
		}
		out, err := exec.CommandContext(ctx, b.postgres, "--version").Output()
		if err != nil {
			continue
		}
		b.versionText = strings.TrimSpace(string(out))
		m := embeddedVersionRE.FindStringSubmatch(b.versionText)
		if m == nil {
			continue
		}
		b.major, _ = strconv.Atoi(m[1])
		if clusterMajor > 0 && b.major == clusterMajor || clusterMajor == 0 && b.major >= embeddedMinMajor {
			return b, nil
		}
		found = append(found, b)
	}
	if len(found) == 0 {
		if explicit != "" {
			return nil, fmt.Errorf("PG_BIN_DIR=%s lacks a working initdb, pg_ctl or postgres: %w", explicit, ErrNoPostgres)
		}
		return nil, ErrNoPostgres
	}
	var list []string
	for _, b := range found {
		list = append(list, fmt.Sprintf("%d in %s", b.major, b.dir))
	}
	if clusterMajor > 0 {
		return nil, fmt.Errorf("the cluster in %s was created by PostgreSQL %d but only PostgreSQL %s was found: install PostgreSQL %d (e.g. apt-get install postgresql-%d) or set PG_BIN_DIR, or remove the cluster to start afresh (its data is lost)",
			dataDir, clusterMajor, strings.Join(list, ", "), clusterMajor, clusterMajor)
	}
	return nil, fmt.Errorf("PostgreSQL %d or newer is needed but only %s was found: install a newer PostgreSQL (e.g. apt-get install postgresql) or set PG_BIN_DIR",
		embeddedMinMajor, strings.Join(list, ", "))
}

var embeddedVersionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// embeddedGlobVersions globs dirs with a version in their path and returns
// them highest version first.
func embeddedGlobVersions(pattern string) []string {
	matches, _ := filepath.Glob(pattern)
	num := regexp.MustCompile(`\d+(\.\d+)?`)
	ver := func(p string) float64 {
		v, _ := strconv.ParseFloat(num.FindString(p), 64)
		return v
	}
	slices.SortFunc(matches, func(a, b string) int {
		va, vb := ver(a), ver(b)
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return strings.Compare(a, b)
	})
	return matches
}

func embeddedExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}

// --- processes --------------------------------------------------------------

// command prepares a PostgreSQL program: run from dir/pg, without the
// caller's PG* variables, as the unprivileged user when root. A nil ctx
// means the program is never killed early (pg_ctl has its own timeouts).
func (e *Embedded) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if ctx != nil {
		cmd = exec.CommandContext(ctx, name, args...)
	} else {
		cmd = exec.Command(name, args...)
	}
	cmd.Dir = e.pgDir
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.WaitDelay = 5 * time.Second
	e.runAs.apply(cmd, e.pgDir)
	return cmd
}

// initCluster runs initdb into dir/pg/data.init and renames it to data once
// complete, so an interrupted initdb never leaves a half cluster behind.
func (e *Embedded) initCluster(ctx context.Context) error {
	if entries, err := os.ReadDir(e.dataDir); err == nil {
		if len(entries) > 0 {
			return fmt.Errorf("%s exists but holds no PostgreSQL cluster (no PG_VERSION): move it away", e.dataDir)
		}
		if err := os.Remove(e.dataDir); err != nil {
			return err
		}
	}
	e.log.Info("embedded postgres: creating a new cluster (first start)", "data", e.dataDir,
		"version", e.bins.versionText)

	pw, err := os.CreateTemp(e.pgDir, ".initdb-pw-*")
	if err != nil {
		return err
	}
	pwPath := pw.Name()
	defer os.Remove(pwPath)
	_, err = pw.WriteString(e.secrets.Superuser + "\n")
	if cerr := pw.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = e.runAs.chown(pwPath)
	}
	if err != nil {
		return err
	}

	tmp := e.dataDir + ".init"
	var failures []string
	for _, locale := range []string{"C.UTF-8", "C"} {
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
		if err := os.Mkdir(tmp, 0o700); err != nil {
			return err
		}
		if err := e.runAs.chown(tmp); err != nil {
			return err
		}
		out, err := e.command(ctx, e.bins.initdb,
			"-D", tmp,
			"-U", "postgres",
			"--auth=scram-sha-256",
			"--pwfile="+pwPath,
			"--encoding=UTF8",
			"--locale="+locale,
		).CombinedOutput()
		if err == nil {
			return os.Rename(tmp, e.dataDir)
		}
		if ctx.Err() != nil {
			os.RemoveAll(tmp)
			return ctx.Err()
		}
		failures = append(failures, fmt.Sprintf("initdb --locale=%s: %v\n%s", locale, err, embeddedIndent(embeddedLastLines(string(out), 20))))
		e.log.Warn("embedded postgres: initdb failed", "locale", locale, "err", err)
	}
	os.RemoveAll(tmp)
	return fmt.Errorf("initdb failed:\n%s", strings.Join(failures, "\n"))
}

// prepareLog creates (or rotates) postgres.log, writable by the server's user.
func (e *Embedded) prepareLog() error {
	if info, err := os.Stat(e.logPath); err == nil && info.Size() > embeddedLogRotateSize {
		if err := os.Rename(e.logPath, e.logPath+".1"); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(e.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	return e.runAs.chown(e.logPath)
}

// startServer runs pg_ctl start on a free port, retrying on another port
// when the chosen one was taken meanwhile.
func (e *Embedded) startServer() error {
	for attempt := 1; ; attempt++ {
		port, err := embeddedFreePort()
		if err != nil {
			return err
		}
		logFrom := embeddedFileSize(e.logPath)
		out, err := e.command(nil, e.bins.pgCtl, "start",
			"-w", "-t", "60",
			"-D", e.dataDir,
			"-l", e.logPath,
			"-o", fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", port),
		).CombinedOutput()
		if err == nil {
			e.port = port
			pf, perr := embeddedReadPidFile(filepath.Join(e.dataDir, "postmaster.pid"))
			if perr != nil {
				return fmt.Errorf("pg_ctl started the server but its postmaster.pid is unreadable: %w", perr)
			}
			e.pmPid = pf.pid
			return nil
		}
		tail := embeddedTail(e.logPath, logFrom, 20)
		// A server that did not come up in time may still be starting.
		if pf, perr := embeddedReadPidFile(filepath.Join(e.dataDir, "postmaster.pid")); perr == nil && embeddedProcessAlive(pf.pid) {
			e.pmPid = pf.pid
			_ = e.stopServer()
		}
		if attempt < 3 && strings.Contains(tail, "Address already in use") {
			e.log.Warn("embedded postgres: port taken meanwhile, trying another", "port", port)
			continue
		}
		return fmt.Errorf("pg_ctl start failed (%v):\n%s\nlast lines of %s:\n%s",
			err, embeddedIndent(embeddedLastLines(string(out), 20)), e.logPath, embeddedIndent(tail))
	}
}

// waitReady connects as superuser until the server answers.
func (e *Embedded) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		conn, err := roleConnect(cctx, e.SuperURL())
		if err == nil {
			err = conn.Ping(cctx)
			conn.Close(context.WithoutCancel(ctx))
		}
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !e.serverRunning() || time.Now().After(deadline) {
			return fmt.Errorf("the server does not answer on 127.0.0.1:%d: %v\nlast lines of %s:\n%s",
				e.port, err, e.logPath, embeddedIndent(embeddedTail(e.logPath, 0, 20)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopServer runs pg_ctl stop (fast, then immediate) and makes sure the
// postmaster is gone.
func (e *Embedded) stopServer() error {
	pidPath := filepath.Join(e.dataDir, "postmaster.pid")
	out, err := e.command(nil, e.bins.pgCtl, "stop", "-D", e.dataDir, "-m", "fast", "-w", "-t", "60").CombinedOutput()
	if err != nil {
		if _, serr := os.Stat(pidPath); errors.Is(serr, fs.ErrNotExist) && !e.serverRunning() {
			return nil // already stopped by someone else
		}
		e.log.Warn("embedded postgres: fast shutdown failed, trying immediate", "err", err)
		out2, err2 := e.command(nil, e.bins.pgCtl, "stop", "-D", e.dataDir, "-m", "immediate", "-w", "-t", "30").CombinedOutput()
		if err2 != nil && e.serverRunning() {
			return fmt.Errorf("pg_ctl stop failed (%v):\n%s\n%s\nlast lines of %s:\n%s", err,
				embeddedIndent(embeddedLastLines(string(out), 10)), embeddedIndent(embeddedLastLines(string(out2), 10)),
				e.logPath, embeddedIndent(embeddedTail(e.logPath, 0, 20)))
		}
	}
	for deadline := time.Now().Add(10 * time.Second); e.serverRunning(); {
		if time.Now().After(deadline) {
			embeddedSignal(e.pmPid, syscall.SIGQUIT) // immediate shutdown
			return fmt.Errorf("the server (pid %d) is still running after pg_ctl stop", e.pmPid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// serverRunning reports whether the postmaster this value started still runs.
func (e *Embedded) serverRunning() bool {
	return embeddedPostmasterState(e.pmPid, e.dataDir) == pmOurs
}

// --- attaching --------------------------------------------------------------

type embeddedPidFile struct {
	pid, port int
}

// embeddedReadPidFile reads postmaster.pid: line 1 the pid, line 4 the port.
func embeddedReadPidFile(path string) (embeddedPidFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return embeddedPidFile{}, err
	}
	lines := strings.Split(string(b), "\n")
	var pf embeddedPidFile
	if pf.pid, err = strconv.Atoi(strings.TrimSpace(lines[0])); err != nil || pf.pid <= 0 {
		return embeddedPidFile{}, fmt.Errorf("%s: no pid on its first line", path)
	}
	if len(lines) >= 4 {
		pf.port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	}
	return pf, nil
}

// What a pid found in postmaster.pid is now.
const (
	pmGone  = iota // no such process
	pmOurs         // our postmaster (or cannot tell: assume so)
	pmOther        // recycled by another program or another cluster
)

// embeddedPostmasterState tells, where /proc allows, whether pid is still the
// postmaster of dataDir: a postgres binary whose -D (when given) is dataDir,
// and not a backend (whose title reads "postgres: ...").
func embeddedPostmasterState(pid int, dataDir string) int {
	if !embeddedProcessAlive(pid) {
		return pmGone
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && embeddedHasProc() {
			return pmGone
		}
		return pmOurs
	}
	argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	base := filepath.Base(argv[0])
	if !strings.HasPrefix(base, "postgres") && !strings.HasPrefix(base, "postmaster") || strings.Contains(argv[0], ":") {
		return pmOther
	}
	for i := 1; i+1 < len(argv); i++ {
		if argv[i] == "-D" {
			if embeddedSamePath(argv[i+1], dataDir) {
				return pmOurs
			}
			return pmOther
		}
	}
	return pmOurs
}

func embeddedHasProc() bool {
	_, err := os.Stat("/proc/self/cmdline")
	return err == nil
}

// tryAttach looks at postmaster.pid: a live server of this cluster that
// accepts our superuser password is attached to; a dead pid is left for
// postgres to clear (it also checks for orphaned backends); a pid recycled by
// another program is removed. A server that is alive but not answering
// (starting or stopping) is waited for.
func (e *Embedded) tryAttach(ctx context.Context) (bool, error) {
	pidPath := filepath.Join(e.dataDir, "postmaster.pid")
	deadline := time.Now().Add(30 * time.Second)
	for {
		pf, err := embeddedReadPidFile(pidPath)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			e.log.Warn("embedded postgres: removing an unreadable postmaster.pid", "path", pidPath, "err", err)
			if rerr := os.Remove(pidPath); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				return false, rerr
			}
			return false, nil
		}
		switch embeddedPostmasterState(pf.pid, e.dataDir) {
		case pmGone:
			e.log.Info("embedded postgres: stale postmaster.pid (its server is gone), starting afresh", "pid", pf.pid)
			return false, nil
		case pmOther:
			e.log.Info("embedded postgres: stale postmaster.pid (its pid now belongs to another program), removing it", "pid", pf.pid)
			if err := os.Remove(pidPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return false, err
			}
			return false, nil
		}
		if pf.port > 0 {
			ok, err := e.probe(ctx, pf.port)
			if err != nil {
				return false, err
			}
			if ok {
				e.port, e.pmPid = pf.port, pf.pid
				return true, nil
			}
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("PostgreSQL (pid %d) runs on %s but does not answer on 127.0.0.1:%d: stop it (%s stop -D %s) and retry",
				pf.pid, e.dataDir, pf.port, "pg_ctl", e.dataDir)
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// probe connects to 127.0.0.1:port as superuser and checks the server is
// this cluster. (false, nil) means "not answering yet".
func (e *Embedded) probe(ctx context.Context, port int) (bool, error) {
	saved := e.port
	e.port = port
	dsn := e.SuperURL()
	e.port = saved
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := roleConnect(cctx, dsn)
	if err != nil {
		if code := roleSQLState(err); code == "28P01" || code == "28000" {
			return false, fmt.Errorf("the server running on %s rejects the superuser password kept in %s", e.dataDir, filepath.Join(e.pgDir, "secrets.json"))
		}
		return false, nil
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var dataDir string
	if err := conn.QueryRow(cctx, "SELECT current_setting('data_directory')").Scan(&dataDir); err != nil {
		return false, nil
	}
	if !embeddedSamePath(dataDir, e.dataDir) {
		return false, fmt.Errorf("postmaster.pid in %s names port %d, but the server there serves %s", e.dataDir, port, dataDir)
	}
	return true, nil
}

func embeddedSamePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// --- small helpers ----------------------------------------------------------

func embeddedFreePort() (int, error) {
	for range 5 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port != 5432 {
			return port, nil
		}
	}
	return 0, errors.New("find a free port: none found")
}

func embeddedFileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// embeddedTail returns the last n lines written to path from offset from on
// (the whole tail when nothing was written since).
func embeddedTail(path string, from int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	size := embeddedFileSize(path)
	if from >= size || from < 0 {
		from = 0
	}
	if size-from > 64<<10 {
		from = size - 64<<10
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	return embeddedLastLines(string(b), n)
}

func embeddedLastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func embeddedIndent(s string) string {
	if strings.TrimSpace(s) == "" {
		return "    (nothing)"
	}
	var b bytes.Buffer
	for line := range strings.SplitSeq(s, "\n") {
		b.WriteString("    " + line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
