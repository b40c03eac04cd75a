package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles this command once per test into a directory anyone
// may read, so that it can also run as an unprivileged user.
func buildBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tuhono-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "tuhono")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type runAs struct {
	cred *syscall.Credential // nil: as ourselves
}

func (r runAs) cmd(bin, dataDir, addr string, args ...string) *exec.Cmd {
	c := exec.Command(bin, args...)
	c.Env = []string{"PATH=" + os.Getenv("PATH"), "DATA_DIR=" + dataDir, "LISTEN_ADDR=" + addr, "LOG_LEVEL=info"}
	if r.cred != nil {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
		c.Env = append(c.Env, "HOME="+dataDir)
	}
	return c
}

type server struct {
	cmd            *exec.Cmd
	stdout, stderr *bytes.Buffer
	addr           string
	exited         chan error
}

func start(t *testing.T, r runAs, bin, dataDir string) *server {
	t.Helper()
	s := &server{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, addr: freePort(t), exited: make(chan error, 1)}
	s.cmd = r.cmd(bin, dataDir, s.addr)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + s.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		select {
		case err := <-s.exited:
			t.Fatalf("server exited (%v) before it was ready\nstdout:\n%s\nstderr:\n%s", err, s.stdout, s.stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.cmd.Process.Kill()
	t.Fatalf("server never became ready\nstdout:\n%s\nstderr:\n%s", s.stdout, s.stderr)
	return nil
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		if err != nil {
			t.Fatalf("server exit: %v\nstderr:\n%s", err, s.stderr)
		}
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		t.Fatal("server did not stop after SIGTERM")
	}
}

// postgresUsing lists live processes whose command line names dataDir.
func postgresUsing(dataDir string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
			continue // a zombie is no longer running
		}
		if bytes.Contains(cmdline, []byte(dataDir)) {
			found = append(found, fmt.Sprintf("%d: %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return found
}

func TestEmbeddedStartRestartStop(t *testing.T) {
	bin := buildBinary(t)
	modes := map[string]runAs{"as this user": {}}
	if os.Geteuid() == 0 {
		// As root the server drops PostgreSQL to an unprivileged user; as a
		// normal user everything runs as that user: test both.
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		modes["as a normal user"] = runAs{cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	for name, r := range modes {
		t.Run(name, func(t *testing.T) {
			base, err := os.MkdirTemp("", "tuhono-embedded-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(base) })
			os.Chmod(base, 0o755)
			dataDir := filepath.Join(base, ".tuhono")
			if r.cred != nil {
				os.Mkdir(dataDir, 0o700)
				os.Chown(dataDir, int(r.cred.Uid), int(r.cred.Gid))
			}

			s := start(t, r, bin, dataDir)
			if out := s.stdout.String(); !strings.Contains(out, "Tūhono is running: http://"+s.addr) || !strings.Contains(out, "/t/harbourside") {
				t.Errorf("first start should print the URL and the demo region; stdout:\n%s", out)
			}
			// Other subcommands work on the same data while the server runs.
			out, err := r.cmd(bin, dataDir, "127.0.0.1:0", "migrate", "status").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "applied") || strings.Contains(string(out), "pending") {
				t.Errorf("migrate status alongside the server: %v\n%s", err, out)
			}
			out, err = r.cmd(bin, dataDir, "127.0.0.1:0", "seed", "demo").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "already present") {
				t.Errorf("seed demo alongside the server: %v\n%s", err, out)
			}
			if res, err := http.Get("http://" + s.addr + "/readyz"); err != nil || res.StatusCode != 200 {
				t.Errorf("the server should still be ready after the other commands: %v", err)
			}
			s.stop(t)
			if left := postgresUsing(dataDir); len(left) > 0 {
				t.Fatalf("processes left behind after stop: %v", left)
			}

			s = start(t, r, bin, dataDir)
			if strings.Contains(s.stderr.String(), "creating a new cluster") {
				t.Error("the restart made a new cluster instead of reusing the data")
			}
			if !strings.Contains(s.stdout.String(), "/t/harbourside") {
				t.Errorf("restart should print the demo region again; stdout:\n%s", s.stdout)
			}
			s.stop(t)
			if left := postgresUsing(dataDir); len(left) > 0 {
				t.Fatalf("processes left behind after the second stop: %v", left)
			}
		})
	}
}

func TestNoPostgresBinariesSaysWhatToInstall(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	c := runAs{}.cmd(bin, filepath.Join(dir, ".tuhono"), "127.0.0.1:0")
	c.Env = append(c.Env, "PG_BIN_DIR="+filepath.Join(dir, "no-such-dir"))
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if len(out) > 0 {
		t.Logf("stdout: %s", out)
	}
	if err == nil {
		t.Fatal("exit code 0 without PostgreSQL binaries")
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "install") {
		t.Fatalf("want one clear line saying what to install, got (%v):\n%s", err, stderr.String())
	}
}
