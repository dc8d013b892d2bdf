// Package pgtest starts a real PostgreSQL server for tests: initdb into a
// fresh directory, postgres on a free loopback port, one database created,
// all of it removed in t.Cleanup.
//
// The binaries are looked up on PATH and under /usr/lib/postgresql/*/bin.
// postgres refuses to run as root, so when the tests run as root the server
// runs as the unprivileged user "nobody", with its directory (under the
// system temporary directory, which that user can traverse) owned by it.
//
// When PostgreSQL is not installed the test is skipped with the install
// command, or fails when CHAINSYNC_REQUIRE_SERVERS=1 (see
// internal/testserver).
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chainsync/middleware/internal/testserver"
)

// InstallHint says how to get the PostgreSQL server binaries.
const InstallHint = "postgres/initdb not found on PATH or under /usr/lib/postgresql/*/bin: install them with `apt-get install -y postgresql` (Debian/Ubuntu) or `brew install postgresql`"

// Database is the name of the database created in every server.
const Database = "chainsync_test"

var binDirs = []string{"/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin"}

// Server is one running postgres.
type Server struct {
	proc *testserver.Process
	port int
	dir  string
}

// DSN is a connection string for the test database, as a URL.
func (s *Server) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, Database)
}

// Port is the server's TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// Stop shuts the server down (fast shutdown: SIGINT) and waits for it.
func (s *Server) Stop() error { return s.proc.Stop(syscall.SIGINT) }

// Kill ends the server with SIGKILL, as a crash would; it recovers from its
// WAL on the next start.
func (s *Server) Kill() { s.proc.Kill() }

// StartAgain starts a stopped server on its old port and directory; the
// data is kept.
func (s *Server) StartAgain() error { return s.proc.Start() }

// Restart stops the server and starts it again; the data is kept.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.proc.Start()
}

// Pause freezes the server's postmaster and backends with SIGSTOP.
func (s *Server) Pause() error { return s.proc.Pause() }

// Resume continues a paused server with SIGCONT.
func (s *Server) Resume() error { return s.proc.Resume() }

// Start starts a PostgreSQL server for the test and removes it in
// t.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, cleanup, err := start()
	if errors.Is(err, errMissing) {
		testserver.SkipOrFail(tb, InstallHint)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cleanup)
	return s
}

// Shared returns one PostgreSQL server shared by every test of the test
// binary that asks for it, started on first use and removed by
// testserver.Main (call it from TestMain). Tests sharing it must not stop
// it, and should use their own tables.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	if bin("postgres") == "" || bin("initdb") == "" {
		testserver.SkipOrFail(tb, InstallHint)
	}
	v, err := testserver.Shared("postgres", func() (any, func(), error) { return start() })
	if err != nil {
		tb.Fatal(err)
	}
	return v.(*Server)
}

var errMissing = errors.New(InstallHint)

func bin(name string) string { return testserver.LookPath(name, binDirs...) }

func start() (*Server, func(), error) {
	postgres, initdb := bin("postgres"), bin("initdb")
	if postgres == "" || initdb == "" {
		return nil, nil, errMissing
	}
	// Not t.TempDir: its parent is root-only (0700), which an unprivileged
	// server user cannot traverse.
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	cred, err := serverCredential()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initCmd := exec.Command(initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initCmd.Dir = dir
	initCmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initCmd.CombinedOutput(); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := testserver.FreePort()
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		s := &Server{port: port, dir: dir}
		s.proc = &testserver.Process{
			Name: "postgres :" + strconv.Itoa(port), Path: postgres, Dir: dir, Credential: cred,
			Args: []string{
				"-D", data, "-p", strconv.Itoa(port),
				"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir,
				"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
				"-c", "max_connections=200", "-c", "shared_buffers=32MB",
			},
			Ready: func() error { return ping(port, "postgres") },
		}
		if err := s.proc.Start(); err != nil {
			lastErr = err
			if strings.Contains(err.Error(), "already in use") {
				continue
			}
			cleanup()
			return nil, nil, err
		}
		if err := createDatabase(port); err != nil {
			s.proc.Kill()
			cleanup()
			return nil, nil, err
		}
		return s, func() { s.proc.Kill(); cleanup() }, nil
	}
	cleanup()
	return nil, nil, lastErr
}

// serverCredential returns the user to run postgres as: nil when the tests
// do not run as root, "nobody" otherwise.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root and no user \"nobody\" to run postgres as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func ping(port int, db string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=2", port, db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

func createDatabase(port int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+Database); err != nil {
		return fmt.Errorf("pgtest: create database: %w", err)
	}
	return nil
}
