package auth_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chainsync/middleware/auth"
)

// TestSecretsNotPrinted: printing keys, options or the authenticator in
// any verb never shows key material.
func TestSecretsNotPrinted(t *testing.T) {
	k := hsKey(t)
	opts := auth.Options{Keys: ring(t, k), RefreshKey: refreshKey, Issuer: "i", Audience: "a"}
	a, err := auth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{k, &k, opts, &opts, a, ring(t, k), []auth.Key{k}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range [][]byte{hsSecret, refreshKey} {
				if strings.Contains(out, string(secret)) || strings.Contains(out, fmt.Sprint(secret)) ||
					strings.Contains(out, fmt.Sprintf("%x", secret)) {
					t.Fatalf("%s of %T shows a secret: %s", verb, v, out)
				}
			}
		}
	}
}
