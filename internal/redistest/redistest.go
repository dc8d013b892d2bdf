// Package redistest starts real redis-server processes for tests: a single
// server ([Start]) or a Redis Cluster ([StartCluster]), each on free loopback
// ports in its own temporary directory, stopped in t.Cleanup.
//
// A server can be stopped and started again on the same port and directory
// (with AppendOnly its data survives), and paused with SIGSTOP: a paused
// server keeps its connections open and answers nothing, which is how a hung
// server looks to a client, a different failure from a refused connection.
//
// When redis-server is not installed the test is skipped with the install
// command, or fails when CHAINSYNC_REQUIRE_SERVERS=1 (see
// internal/testserver).
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chainsync/middleware/internal/testserver"
)

// InstallHint says how to get redis-server.
const InstallHint = "redis-server not found: install it with `apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis`"

// Options configure a server. The zero value is a server with no
// persistence at all.
type Options struct {
	// AppendOnly turns on the append-only file (fsync every second), so data
	// survives [Server.Restart]. Default off: nothing is persisted.
	AppendOnly bool
	// Args are extra redis-server arguments, such as "--maxmemory", "10mb".
	Args []string
}

// Server is one running redis-server.
type Server struct {
	proc *testserver.Process
	addr string
	dir  string
}

// Addr is the server's "127.0.0.1:port" address.
func (s *Server) Addr() string { return s.addr }

// Dir is the server's working directory.
func (s *Server) Dir() string { return s.dir }

// Stop shuts the server down (SIGTERM) and waits for it to exit. Clients
// then see refused connections.
func (s *Server) Stop() error { return s.proc.Stop(0) }

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill() { s.proc.Kill() }

// Restart stops the server if it runs and starts it again on the same port
// and directory.
func (s *Server) Restart() error {
	if err := s.proc.Stop(0); err != nil {
		return err
	}
	return s.proc.Start()
}

// StartAgain starts a stopped server on its old port and directory.
func (s *Server) StartAgain() error { return s.proc.Start() }

// Pause freezes the server with SIGSTOP.
func (s *Server) Pause() error { return s.proc.Pause() }

// Resume continues a paused server with SIGCONT.
func (s *Server) Resume() error { return s.proc.Resume() }

// Do sends one command to the server on a new connection and returns the
// reply as text: a simple or bulk string, an integer in decimal, an array's
// elements joined by newlines. A Redis error reply is returned as an error.
// It is meant for test set-up (FLUSHALL, CONFIG SET, SCRIPT FLUSH), not as a
// client.
func (s *Server) Do(args ...string) (string, error) { return do(s.addr, args...) }

// Start starts a redis-server for the test and stops it in t.Cleanup.
func Start(tb testing.TB, opts ...Options) *Server {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := start(tb.TempDir(), o)
	if errors.Is(err, errMissing) {
		testserver.SkipOrFail(tb, InstallHint)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.proc.Kill() })
	return s
}

// Shared returns one redis-server shared by every test of the test binary
// that asks for it, started on first use and stopped by testserver.Main
// (call it from TestMain). Tests sharing it should use distinct keys, or
// flush it themselves; they must not stop or pause it.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	if testserver.LookPath("redis-server") == "" {
		testserver.SkipOrFail(tb, InstallHint)
	}
	v, err := testserver.Shared("redis", func() (any, func(), error) {
		dir, err := os.MkdirTemp("", "redistest-")
		if err != nil {
			return nil, nil, err
		}
		s, err := start(dir, Options{})
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return s, func() { s.proc.Kill(); os.RemoveAll(dir) }, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return v.(*Server)
}

var errMissing = errors.New(InstallHint)

func start(dir string, o Options, extra ...string) (*Server, error) {
	bin := testserver.LookPath("redis-server")
	if bin == "" {
		return nil, errMissing
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken before we bind it
		port, err := testserver.FreePort()
		if err != nil {
			return nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		args := []string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--dir", dir, "--save", "", "--daemonize", "no",
			"--logfile", "", "--protected-mode", "yes",
		}
		if o.AppendOnly {
			args = append(args, "--appendonly", "yes", "--appendfsync", "everysec")
		} else {
			args = append(args, "--appendonly", "no")
		}
		args = append(args, extra...)
		args = append(args, o.Args...)
		p := &testserver.Process{
			Name: "redis-server " + addr, Path: bin, Args: args, Dir: dir,
			Ready: func() error {
				r, err := do(addr, "PING")
				if err != nil {
					return err
				}
				if r != "PONG" {
					return fmt.Errorf("%w: PING answered %q", testserver.ErrNotReady, r)
				}
				return nil
			},
		}
		if err := p.Start(); err != nil {
			lastErr = err
			if strings.Contains(p.Log(), "Address already in use") || strings.Contains(err.Error(), "Address already in use") {
				continue
			}
			return nil, err
		}
		return &Server{proc: p, addr: addr, dir: dir}, nil
	}
	return nil, lastErr
}

// Cluster is a running Redis Cluster of one or more masters with the 16384
// hash slots split between them.
type Cluster struct {
	// Nodes are the masters, in slot order: node i holds the i-th share of
	// the 16384 slots.
	Nodes []*Server
}

// Addrs returns the addresses of all nodes, for redis.ClusterOptions.Addrs.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.addr
	}
	return out
}

// StartCluster starts a Redis Cluster of n masters (n >= 1) with all slots
// assigned and the cluster state "ok", and stops it in t.Cleanup. One node
// already enforces CROSSSLOT errors; three nodes also make clients follow
// MOVED redirects.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("redistest: cluster of %d nodes", n)
	}
	if testserver.LookPath("redis-server") == "" {
		testserver.SkipOrFail(tb, InstallHint)
	}
	c := &Cluster{}
	for i := 0; i < n; i++ {
		dir := filepath.Join(tb.TempDir(), "node"+strconv.Itoa(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		s, err := start(dir, Options{}, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.proc.Kill() })
		c.Nodes = append(c.Nodes, s)
	}
	const slots = 16384
	for i, node := range c.Nodes {
		lo, hi := i*slots/n, (i+1)*slots/n-1
		if _, err := node.Do("CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi)); err != nil {
			tb.Fatalf("redistest: assigning slots %d-%d to %s: %v", lo, hi, node.addr, err)
		}
	}
	for _, node := range c.Nodes[1:] {
		host, port, _ := net.SplitHostPort(node.addr)
		if _, err := c.Nodes[0].Do("CLUSTER", "MEET", host, port); err != nil {
			tb.Fatalf("redistest: CLUSTER MEET %s: %v", node.addr, err)
		}
	}
	deadline := time.Now().Add(testserver.StartTimeout)
	for _, node := range c.Nodes {
		for {
			info, err := node.Do("CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)+"\r") {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("redistest: cluster not ok after %s: %v\n%s", testserver.StartTimeout, err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return c
}

// do is a minimal RESP2 exchange, enough to probe and configure a server
// without depending on a client library.
func do(addr string, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(conn))
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("redistest: empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", err
		}
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", err
		}
		parts := make([]string, 0, max(n, 0))
		for i := 0; i < n; i++ {
			p, err := readReply(r)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("redistest: unexpected reply %q", line)
}
