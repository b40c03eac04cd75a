//go:build unix

package db

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// embeddedRunAs is the unprivileged account the PostgreSQL programs run as
// when this process is root (PostgreSQL refuses to run as root). nil means
// "run as this process's own user".
type embeddedRunAs struct {
	name     string
	uid, gid uint32
}

// embeddedLookupRunAs returns nil unless the process runs as root; as root it
// picks user postgres when it exists, else nobody.
func embeddedLookupRunAs() (*embeddedRunAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &embeddedRunAs{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, and PostgreSQL refuses to run as root, but neither user postgres nor nobody exists: create one, e.g. useradd --system postgres")
}

// apply makes cmd run as the unprivileged user with HOME set to home.
func (r *embeddedRunAs) apply(cmd *exec.Cmd, home string) {
	if r == nil {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Groups empty: drop root's supplementary groups.
		Credential: &syscall.Credential{Uid: r.uid, Gid: r.gid, Groups: []uint32{}},
	}
	cmd.Env = append(cmd.Env, "HOME="+home)
}

// chown gives path to the unprivileged user (no-op when not root).
func (r *embeddedRunAs) chown(path string) error {
	if r == nil {
		return nil
	}
	return os.Lchown(path, int(r.uid), int(r.gid))
}

// chownTree is chown -R, touching only entries not already owned.
func (r *embeddedRunAs) chownTree(root string) error {
	if r == nil {
		return nil
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // a file the running server just removed
			}
			return err
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid == r.uid && st.Gid == r.gid {
			return nil
		}
		if err := os.Lchown(path, int(r.uid), int(r.gid)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
}

// ensureTraversable makes sure the unprivileged user can traverse dir and
// every directory above it: where one lacks the search bit for that user (a
// 0700 /root or t.TempDir()), it adds o+x only (traverse, not list) and says so.
func (r *embeddedRunAs) ensureTraversable(dir string, log *slog.Logger) error {
	if r == nil {
		return nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		mode := info.Mode().Perm()
		var can bool
		switch {
		case st.Uid == r.uid:
			can = mode&0o100 != 0
		case st.Gid == r.gid:
			can = mode&0o010 != 0
		default:
			can = mode&0o001 != 0
		}
		if !can {
			if err := os.Chmod(d, info.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)|0o001); err != nil {
				return fmt.Errorf("let user %s traverse %s: %w", r.name, d, err)
			}
			log.Info("embedded postgres: opened directory for traversal (o+x, not listing)",
				"dir", d, "user", r.name,
				"why", "running as root, PostgreSQL runs as "+r.name+" and must reach its data directory below "+d)
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}

// owner returns the uid owning path.
func embeddedOwnerUID(path string) (uint32, bool) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}

// embeddedProcessAlive reports whether a process with this pid exists.
func embeddedProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// embeddedSignal sends sig to pid, ignoring a process already gone.
func embeddedSignal(pid int, sig syscall.Signal) {
	if pid > 0 {
		_ = syscall.Kill(pid, sig)
	}
}

// embeddedFlock takes an exclusive flock on path, polling so that ctx is
// honoured. The file descriptor is close-on-exec, so the server never
// inherits the lock.
func embeddedFlock(ctx context.Context, path string, log *slog.Logger) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	start := time.Now()
	warned := false
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(fd, syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !warned && time.Since(start) > 2*time.Second {
			warned = true
			log.Info("embedded postgres: waiting for another process starting or stopping the server", "lock", path)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
