package secure_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chainsync/middleware/secure"
)

func TestParseOrigins(t *testing.T) {
	got := secure.ParseOrigins(" https://a.example, ,http://localhost:3000,")
	if strings.Join(got, "|") != "https://a.example|http://localhost:3000" {
		t.Fatalf("%q", got)
	}
	if secure.ParseOrigins("") != nil {
		t.Fatal("empty string gave origins")
	}
}

// FuzzOriginMatch checks that a wildcard pattern reflects only origins of
// the shape scheme://label(.label)*.suffix, whatever the attacker sends.
func FuzzOriginMatch(f *testing.F) {
	for _, s := range []string{
		"https://a.shops.chainsync.example", "https://evil-shops.chainsync.example", "https://shops.chainsync.example",
		"https://a.shops.chainsync.example:8443", "https://a.shops.chainsync.example.evil", "https://x@a.shops.chainsync.example",
		"https://a..shops.chainsync.example", "https://pos.chainsync.example", "null", "HTTPS://A.SHOPS.CHAINSYNC.EXAMPLE",
		"https://-a.shops.chainsync.example", "https://a/.shops.chainsync.example",
	} {
		f.Add(s)
	}
	c := secure.MustCORS(chainsyncCORS())
	const suffix = ".shops.chainsync.example"
	f.Fuzz(func(t *testing.T, origin string) {
		got := c.OriginAllowed(origin)
		exact := origin == "https://pos.chainsync.example" || origin == "http://localhost:3000"
		want := exact
		if !exact && strings.HasPrefix(origin, "https://") && strings.HasSuffix(origin, suffix) {
			sub := strings.TrimSuffix(strings.TrimPrefix(origin, "https://"), suffix)
			want = sub != ""
			for _, label := range strings.Split(sub, ".") {
				if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") ||
					strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
					want = false
				}
			}
			if len(sub) > 253 {
				want = false
			}
		}
		if got != want {
			t.Fatalf("OriginAllowed(%q) = %v, want %v", origin, got, want)
		}
		// Whatever is allowed is reflected unchanged, and only then.
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["Origin"] = []string{origin}
		rec := httptest.NewRecorder()
		c.Handler(okHandler).ServeHTTP(rec, req)
		if acao := rec.Header().Get("Access-Control-Allow-Origin"); (acao != "") != got || (got && acao != origin) {
			t.Fatalf("origin %q allowed=%v reflected %q", origin, got, acao)
		}
	})
}
