package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chainsync/middleware/internal/pgtest"
	"github.com/chainsync/middleware/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// TestSmokeRestart proves the server is real: a table is created, a row
// inserted and selected through pgx, and after a restart a new connection
// finds the row again.
func TestSmokeRestart(t *testing.T) {
	srv := pgtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO products (name) VALUES ($1)`, "O'Brien's Salt & Pepper; Large"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := conn.QueryRow(ctx, `SELECT name FROM products WHERE id = 1`).Scan(&name); err != nil || name != "O'Brien's Salt & Pepper; Large" {
		t.Fatalf("SELECT = %q, %v", name, err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Ping(ctx); err == nil {
		t.Fatal("old connection survived a server restart")
	}
	conn.Close(ctx)
	conn, err = pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatalf("reconnect after restart: %v", err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT name FROM products WHERE id = 1`).Scan(&name); err != nil || name != "O'Brien's Salt & Pepper; Large" {
		t.Fatalf("SELECT after restart = %q, %v", name, err)
	}
}

func TestPause(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err = conn.Ping(short)
	cancel()
	if err == nil {
		t.Fatal("ping answered by a paused server")
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	conn2, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatalf("connect after resume: %v", err)
	}
	defer conn2.Close(ctx)
	if err := conn2.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkStart measures initdb, starting postgres and creating the test
// database.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		s := pgtest.Start(b)
		s.Kill()
	}
}
