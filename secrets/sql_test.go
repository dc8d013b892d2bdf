package secrets_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/chainsync/middleware/internal/pgtest"
	"github.com/chainsync/middleware/internal/testserver"
	"github.com/chainsync/middleware/secrets"
)

func TestMain(m *testing.M) { testserver.Main(m) }

func customerAD(id string) []byte { return secrets.AssociatedData("customers", "email", id) }

func TestSQLRoundTripDatabaseSQL(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The server is shared by the whole test binary (and by -count runs):
	// start from a fresh table and leave none behind.
	if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS sql_customers; CREATE TABLE sql_customers (id text PRIMARY KEY, email text NOT NULL, email_bidx text NOT NULL, phone text)`); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = db.ExecContext(context.Background(), `DROP TABLE IF EXISTS sql_customers`) }()
	ring := mustKeyring(t, "k1", map[string][]byte{"k1": randomKey(t)})
	bidx := mustIndex(t, randomKey(t), secrets.BlindIndexOptions{Purpose: "customers.email", Canonicalize: secrets.CanonicalEmail})
	rows := []struct{ id, email, phone string }{{"c1", "ana@example.com", "+1 555 0100"}, {"c2", "bob@example.com", ""}}
	for _, r := range rows {
		phone := sql.Null[string]{V: r.phone, Valid: r.phone != ""}
		if _, err := db.ExecContext(ctx, `INSERT INTO sql_customers VALUES ($1, $2, $3, $4)`,
			r.id, ring.Valuer(r.email, customerAD(r.id)), bidx.Sum(r.email),
			ring.NullValuer(phone, secrets.AssociatedData("customers", "phone", r.id))); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("stored as an envelope", func(t *testing.T) {
		var raw string
		if err := db.QueryRowContext(ctx, `SELECT email FROM sql_customers WHERE id = 'c1'`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(raw, "v1:k1:") || strings.Contains(raw, "ana") {
			t.Fatalf("stored %q", raw)
		}
	})
	t.Run("lookup by blind index and decrypt", func(t *testing.T) {
		var id, email string
		var phone sql.Null[string]
		row := db.QueryRowContext(ctx, `SELECT id FROM sql_customers WHERE email_bidx = $1`, bidx.Sum("  ANA@example.com"))
		if err := row.Scan(&id); err != nil {
			t.Fatal(err)
		}
		row = db.QueryRowContext(ctx, `SELECT email, phone FROM sql_customers WHERE id = $1`, id)
		if err := row.Scan(ring.Scanner(&email, customerAD(id)), ring.NullScanner(&phone, secrets.AssociatedData("customers", "phone", id))); err != nil {
			t.Fatal(err)
		}
		if email != "ana@example.com" || !phone.Valid || phone.V != "+1 555 0100" {
			t.Fatalf("got %q %+v", email, phone)
		}
	})
	t.Run("NULL", func(t *testing.T) {
		phone := sql.Null[string]{V: "stale", Valid: true}
		if err := db.QueryRowContext(ctx, `SELECT phone FROM sql_customers WHERE id = 'c2'`).Scan(ring.NullScanner(&phone, nil)); err != nil {
			t.Fatal(err)
		}
		if phone.Valid {
			t.Fatal("NULL scanned as valid")
		}
		var s string
		if err := db.QueryRowContext(ctx, `SELECT phone FROM sql_customers WHERE id = 'c2'`).Scan(ring.Scanner(&s, nil)); err == nil {
			t.Fatal("Scanner accepted NULL")
		}
	})
	t.Run("row swap is detected", func(t *testing.T) {
		if _, err := db.ExecContext(ctx, `UPDATE sql_customers SET email = (SELECT email FROM sql_customers WHERE id = 'c1') WHERE id = 'c2'`); err != nil {
			t.Fatal(err)
		}
		var email string
		err := db.QueryRowContext(ctx, `SELECT email FROM sql_customers WHERE id = 'c2'`).Scan(ring.Scanner(&email, customerAD("c2")))
		if !errors.Is(err, secrets.ErrDecrypt) || strings.Contains(err.Error(), "ana") {
			t.Fatalf("err = %v, want ErrDecrypt", err)
		}
	})
}

func TestSQLRewrapJob(t *testing.T) {
	srv := pgtest.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS pgx_customers`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE pgx_customers (id text PRIMARY KEY, email text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.Exec(context.Background(), `DROP TABLE IF EXISTS pgx_customers`) }()
	oldKey, newKey := randomKey(t), randomKey(t)
	oldRing := mustKeyring(t, "2025", map[string][]byte{"2025": oldKey})
	emails := map[string]string{"c1": "ana@example.com", "c2": "bob@example.com", "c3": "eve@example.com"}
	for id, e := range emails {
		if _, err := conn.Exec(ctx, `INSERT INTO pgx_customers VALUES ($1, $2)`, id, oldRing.Valuer(e, customerAD(id))); err != nil {
			t.Fatal(err)
		}
	}
	ring := mustKeyring(t, "2026", map[string][]byte{"2026": newKey, "2025": oldKey})
	// The rotation job: read each old envelope, rewrap, write back.
	rows, err := conn.Query(ctx, `SELECT id, email FROM pgx_customers`)
	if err != nil {
		t.Fatal(err)
	}
	updates := map[string]string{}
	for rows.Next() {
		var id, ct string
		if err := rows.Scan(&id, &ct); err != nil {
			t.Fatal(err)
		}
		if ring.NeedsRewrap(ct) {
			re, err := ring.Rewrap(ct, customerAD(id))
			if err != nil {
				t.Fatal(err)
			}
			updates[id] = re
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(updates) != len(emails) {
		t.Fatalf("%d rows to rewrap, want %d", len(updates), len(emails))
	}
	for id, ct := range updates {
		if _, err := conn.Exec(ctx, `UPDATE pgx_customers SET email = $1 WHERE id = $2`, ct, id); err != nil {
			t.Fatal(err)
		}
	}
	// Only the new key is needed now, and pgx scans through sql.Scanner.
	onlyNew := mustKeyring(t, "2026", map[string][]byte{"2026": newKey})
	for id, want := range emails {
		var got string
		if err := conn.QueryRow(ctx, `SELECT email FROM pgx_customers WHERE id = $1`, id).Scan(onlyNew.Scanner(&got, customerAD(id))); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if got != want {
			t.Fatalf("%s: %q, want %q", id, got, want)
		}
	}
}
