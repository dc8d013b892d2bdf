// Package testserver runs real server processes (redis-server, postgres)
// for tests: on a free loopback port, in a private temporary directory,
// stopped when the test (or the test binary) ends.
//
// It holds what the server-specific helpers (internal/redistest,
// internal/pgtest) share: finding binaries, the skip-or-fail rule,
// process start/stop/restart, SIGSTOP/SIGCONT and the registry of
// package-wide shared servers.
//
// # Missing binaries
//
// When a server binary is not installed, a test that needs it is skipped
// with a message that says how to install it, unless the environment
// variable CHAINSYNC_REQUIRE_SERVERS is "1" (as `make test` and CI set it),
// in which case the test fails.
package testserver

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing server binary
// from a skip into a failure.
const RequireEnv = "CHAINSYNC_REQUIRE_SERVERS"

// Required reports whether missing servers must fail tests instead of
// skipping them.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// SkipOrFail skips tb with msg, or fails it when [Required] is true.
func SkipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if Required() {
		tb.Fatalf("%s (%s=1, so this is a failure, not a skip)", msg, RequireEnv)
	}
	tb.Skip(msg)
}

// LookPath finds the executable name on PATH, then in each of the glob
// patterns extra (the newest match, by name, wins). It returns "" when the
// binary is nowhere.
func LookPath(name string, extra ...string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, pattern := range extra {
		matches, _ := filepath.Glob(filepath.Join(pattern, name))
		sort.Sort(sort.Reverse(sort.StringSlice(matches)))
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				return m
			}
		}
	}
	return ""
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Process is one server process that can be stopped, started again with the
// same arguments, paused and resumed. It is safe for concurrent use.
type Process struct {
	// Name is used in error messages.
	Name string
	// Path is the executable.
	Path string
	// Args are its arguments.
	Args []string
	// Dir is the working directory.
	Dir string
	// Credential, when set, runs the process as another user.
	Credential *syscall.Credential
	// Ready is polled until it returns nil (or the deadline passes) after
	// every start.
	Ready func() error

	mu     sync.Mutex
	cmd    *exec.Cmd
	out    *lockedBuffer
	done   chan struct{}
	paused bool
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 { // keep the log bounded
		b.buf.Reset()
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StartTimeout bounds how long a server may take to become ready.
const StartTimeout = 30 * time.Second

// Start starts the process and waits until Ready succeeds.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s: already running", p.Name)
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Dir = p.Dir
	out := &lockedBuffer{}
	cmd.Stdout = out
	cmd.Stderr = out
	// Pdeathsig kills the server if the test binary dies without cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Credential: p.Credential, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.out, p.done, p.paused = cmd, out, done, false

	deadline := time.Now().Add(StartTimeout)
	for {
		select {
		case <-done:
			p.cmd = nil
			return fmt.Errorf("%s exited during start-up: %s\n%s", p.Name, cmd.ProcessState, out.String())
		default:
		}
		err := error(nil)
		if p.Ready != nil {
			err = p.Ready()
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			p.killLocked()
			return fmt.Errorf("%s not ready after %s: %v\n%s", p.Name, StartTimeout, err, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop stops the process gracefully with sig (SIGTERM when 0), killing it
// after a grace period, and waits for it to exit. Stopping a stopped process
// is a no-op.
func (p *Process) Stop(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil
	}
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	if p.paused {
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
		p.paused = false
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.killLocked()
	}
	p.cmd = nil
	return nil
}

// Kill ends the process with SIGKILL and waits for it.
func (p *Process) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.killLocked()
}

func (p *Process) killLocked() {
	if p.cmd == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	_ = p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
}

// Pause freezes the process and its children with SIGSTOP: they keep their
// sockets open but answer nothing, as a hung server does.
func (p *Process) Pause() error { return p.signal(syscall.SIGSTOP, true) }

// Resume continues a paused process with SIGCONT.
func (p *Process) Resume() error { return p.signal(syscall.SIGCONT, false) }

func (p *Process) signal(sig syscall.Signal, paused bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return fmt.Errorf("%s: not running", p.Name)
	}
	// The whole tree: a postgres postmaster's backends call setsid, so the
	// process group is not enough.
	if err := signalTree(p.cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("%s: %v: %w", p.Name, sig, err)
	}
	p.paused = paused
	return nil
}

// Running reports whether the process is running (paused counts).
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// Log returns what the process printed since its last start.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return ""
	}
	return p.out.String()
}

// ErrNotReady is returned by readiness probes that got no usable answer.
var ErrNotReady = errors.New("testserver: not ready")

// Shared servers: started once per test binary and stopped by [Main].
var (
	sharedMu    sync.Mutex
	sharedStops []func()
	shared      = map[string]any{}
)

// Shared returns the value registered under key, creating it with start on
// first use. start returns the value and a function that releases it; the
// release functions run when [Main] returns from the tests. A failed start is
// not cached, so every test that asks sees the error.
func Shared(key string, start func() (any, func(), error)) (any, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if v, ok := shared[key]; ok {
		return v, nil
	}
	v, stop, err := start()
	if err != nil {
		return nil, err
	}
	shared[key] = v
	sharedStops = append(sharedStops, stop)
	return v, nil
}

// Main runs the tests of m, stops every shared server and exits. Use it as
// the body of TestMain in packages that use shared servers:
//
//	func TestMain(m *testing.M) { testserver.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	sharedMu.Lock()
	for i := len(sharedStops) - 1; i >= 0; i-- {
		sharedStops[i]()
	}
	sharedStops, shared = nil, map[string]any{}
	sharedMu.Unlock()
	os.Exit(code)
}

// signalTree sends sig to pid and all its descendants (Linux /proc).
func signalTree(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(pid, sig); err != nil {
		return err
	}
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name is in parentheses and may contain spaces: the
		// fields after the last ')' are state, ppid, ...
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(fields[1]); err == nil {
			children[ppid] = append(children[ppid], child)
		}
	}
	queue := children[pid]
	for len(queue) > 0 {
		c := queue[0]
		queue = append(queue[1:], children[c]...)
		_ = syscall.Kill(c, sig)
	}
	return nil
}
