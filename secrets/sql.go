package secrets

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// Valuer returns a [driver.Valuer] that encrypts plaintext with the
// keyring, bound to associatedData, when database/sql or pgx sends it:
//
//	db.ExecContext(ctx, `INSERT INTO customers (id, email) VALUES ($1, $2)`,
//		id, kr.Valuer(email, secrets.AssociatedData("customers", "email", id)))
//
// The column holds the text envelope (TEXT or VARCHAR).
func (k *Keyring) Valuer(plaintext string, associatedData []byte) driver.Valuer {
	return sealer{k: k, pt: plaintext, ad: associatedData, valid: true}
}

// NullValuer is [Keyring.Valuer] for a nullable column: an invalid v is
// sent as NULL.
func (k *Keyring) NullValuer(v sql.Null[string], associatedData []byte) driver.Valuer {
	return sealer{k: k, pt: v.V, ad: associatedData, valid: v.Valid}
}

type sealer struct {
	k     *Keyring
	pt    string
	ad    []byte
	valid bool
}

func (s sealer) Value() (driver.Value, error) {
	if !s.valid {
		return nil, nil
	}
	return s.k.Encrypt([]byte(s.pt), s.ad)
}

// String redacts the plaintext, should the argument be logged.
func (s sealer) String() string { return Redacted }

// Format redacts the plaintext under every verb.
func (s sealer) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(Redacted)) }

// Scanner returns a [sql.Scanner] that decrypts a column written through
// [Keyring.Valuer] (with the same associated data) into *dst:
//
//	err := row.Scan(&id, kr.Scanner(&email, secrets.AssociatedData("customers", "email", id)))
//
// Associated data naming the row id needs the id before the scan: select
// it in an earlier query, or scan the envelope into a string and call
// [Keyring.Decrypt]. NULL is an error; use [Keyring.NullScanner] for a
// nullable column.
func (k *Keyring) Scanner(dst *string, associatedData []byte) sql.Scanner {
	return &opener{k: k, dst: dst, ad: associatedData}
}

// NullScanner is [Keyring.Scanner] for a nullable column: NULL sets
// dst.Valid to false.
func (k *Keyring) NullScanner(dst *sql.Null[string], associatedData []byte) sql.Scanner {
	return &opener{k: k, null: dst, ad: associatedData}
}

type opener struct {
	k    *Keyring
	dst  *string
	null *sql.Null[string]
	ad   []byte
}

func (o *opener) Scan(src any) error {
	var ct string
	switch v := src.(type) {
	case nil:
		if o.null == nil {
			return fmt.Errorf("secrets: encrypted column is NULL; use NullScanner")
		}
		*o.null = sql.Null[string]{}
		return nil
	case string:
		ct = v
	case []byte:
		ct = string(v)
	default:
		return fmt.Errorf("secrets: cannot decrypt a column of type %T", src)
	}
	pt, err := o.k.Decrypt(ct, o.ad)
	if err != nil {
		return err
	}
	s := string(pt)
	clear(pt)
	if o.null != nil {
		*o.null = sql.Null[string]{V: s, Valid: true}
	} else {
		*o.dst = s
	}
	return nil
}
