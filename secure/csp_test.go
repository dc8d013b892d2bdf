package secure_test

import (
	"crypto/sha512"
	"strings"
	"testing"

	"github.com/chainsync/middleware/secure"
)

func TestCSPBuild(t *testing.T) {
	tests := []struct {
		name    string
		csp     secure.CSP
		want    string
		wantErr string
	}{
		{"api preset", secure.APIPolicy(), "default-src 'none'; frame-ancestors 'none'", ""},
		{"web preset", secure.WebPolicy(),
			"default-src 'self'; base-uri 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'; upgrade-insecure-requests", ""},
		{"seed plan directives", secure.CSP{}.
			Set(secure.DefaultSrc, secure.Self).Set(secure.StyleSrc, secure.Self, secure.UnsafeInline).
			Set(secure.ScriptSrc, secure.Self).Set(secure.ImgSrc, secure.Self, secure.Data, secure.HTTPS).
			Set(secure.ConnectSrc, secure.Self).Set(secure.FontSrc, secure.Self).Set(secure.ObjectSrc, secure.None).
			Set(secure.MediaSrc, secure.Self).Set(secure.FrameSrc, secure.None),
			"default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; img-src 'self' data: https:; connect-src 'self'; font-src 'self'; object-src 'none'; media-src 'self'; frame-src 'none'", ""},
		{"set replaces in place", secure.APIPolicy().Set(secure.DefaultSrc, secure.Self), "default-src 'self'; frame-ancestors 'none'", ""},
		{"add replaces none", secure.APIPolicy().Add(secure.DefaultSrc, secure.Self), "default-src 'self'; frame-ancestors 'none'", ""},
		{"add appends", secure.WebPolicy().Remove(secure.UpgradeInsecureRequests).Add(secure.ImgSrc, "https://img.chainsync.example").Remove(secure.BaseURI).Remove(secure.FontSrc).Remove(secure.FormAction).Remove(secure.ObjectSrc).Remove(secure.ScriptSrc).Remove(secure.ScriptSrcAttr).Remove(secure.StyleSrc).Remove(secure.FrameAncestors),
			"default-src 'self'; img-src 'self' data: https://img.chainsync.example", ""},
		{"report-to and report-uri", secure.APIPolicy().ReportTo("csp").ReportURI("/csp-reports"),
			"default-src 'none'; frame-ancestors 'none'; report-to csp; report-uri /csp-reports", ""},
		{"nonce placeholder", secure.CSP{}.Set(secure.ScriptSrc, secure.RequestNonce, secure.StrictDynamic), "script-src 'nonce' 'strict-dynamic'", ""},
		{"hash", secure.CSP{}.Set(secure.ScriptSrc, secure.HashSHA256("alert(1)")), "script-src 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='", ""},
		{"sha512 hash", secure.CSP{}.Set(secure.ScriptSrc, secure.HashSource("sha512", make([]byte, sha512.Size))), "script-src 'sha512-" + strings.Repeat("A", 86) + "=='", ""},
		{"hosts with port, path, wildcard", secure.CSP{}.Set(secure.ConnectSrc, "https://api.chainsync.example:8443/v1/", "*.chainsync.example", "wss://*.chainsync.example:*"),
			"connect-src https://api.chainsync.example:8443/v1/ *.chainsync.example wss://*.chainsync.example:*", ""},
		{"sandbox flags", secure.CSP{}.Sandbox("allow-scripts", "allow-forms"), "sandbox allow-scripts allow-forms", ""},
		{"empty sandbox", secure.CSP{}.Sandbox(), "sandbox", ""},
		{"trusted types", secure.CSP{}.Set(secure.RequireTrustedTypesFor, "'script'").Set(secure.TrustedTypes, "default"), "require-trusted-types-for 'script'; trusted-types default", ""},
		{"unknown directive accepted", secure.CSP{}.Set("future-src", secure.Self), "future-src 'self'", ""},

		{"empty policy", secure.CSP{}, "", "empty"},
		{"unquoted self", secure.CSP{}.Set(secure.DefaultSrc, "self"), "", "must be quoted (use secure.Self)"},
		{"unquoted none", secure.CSP{}.Set(secure.ObjectSrc, "none"), "", "must be quoted (use secure.None)"},
		{"unquoted unsafe-inline", secure.CSP{}.Set(secure.StyleSrc, "unsafe-inline"), "", "secure.UnsafeInline"},
		{"unknown keyword", secure.CSP{}.Set(secure.ScriptSrc, "'unsafe-everything'"), "", "unknown keyword"},
		{"none with others", secure.CSP{}.Set(secure.ScriptSrc, secure.None, secure.Self), "", "'none' must be the only source"},
		{"no sources", secure.CSP{}.Set(secure.ScriptSrc), "", "no sources"},
		{"semicolon injection", secure.CSP{}.Set(secure.ScriptSrc, "https://a.example;script-src *"), "", "invalid value"},
		{"comma injection", secure.CSP{}.Set(secure.ScriptSrc, "https://a.example,script-src"), "", "invalid value"},
		{"space injection", secure.CSP{}.Set(secure.ScriptSrc, "'self' *"), "", "invalid value"},
		{"newline injection", secure.CSP{}.Set(secure.ScriptSrc, "'self'\r\nX-Evil: 1"), "", "invalid value"},
		{"uppercase directive name", secure.CSP{}.Set("Script-Src", secure.Self), "", "invalid directive name"},
		{"fixed nonce refused", secure.CSP{}.Set(secure.ScriptSrc, "'nonce-abc'"), "", "use secure.RequestNonce"},
		{"nonce where it means nothing", secure.CSP{}.Set(secure.ImgSrc, secure.RequestNonce), "", "cannot carry a nonce"},
		{"malformed hash", secure.CSP{}.Set(secure.ScriptSrc, "'sha256-abc'"), "", "malformed hash"},
		{"frame-ancestors keyword", secure.CSP{}.Set(secure.FrameAncestors, secure.UnsafeInline), "", "frame-ancestors takes only"},
		{"upgrade with value", secure.CSP{}.Set(secure.UpgradeInsecureRequests, secure.Self), "", "takes no value"},
		{"bad sandbox flag", secure.CSP{}.Sandbox("allow-everything"), "", "unknown flag"},
		{"report-to two names", secure.CSP{}.Set(secure.ReportTo, "a", "b"), "", "one endpoint name"},
		{"bad host", secure.CSP{}.Set(secure.ImgSrc, "https://a..example"), "", "not a keyword, scheme, host"},
		{"bad port", secure.CSP{}.Set(secure.ImgSrc, "https://a.example:99999"), "", "not a keyword, scheme, host"},
		{"unbalanced quote", secure.CSP{}.Set(secure.ImgSrc, "'self"), "", "unbalanced quote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.csp.Build()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Build() = %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCSPCopyOnWrite(t *testing.T) {
	base := secure.APIPolicy()
	_ = base.Set(secure.DefaultSrc, secure.Self)
	_ = base.Add(secure.FrameAncestors, secure.Self)
	_ = base.Remove(secure.DefaultSrc)
	if got := base.String(); got != "default-src 'none'; frame-ancestors 'none'" {
		t.Fatalf("preset changed by its copies: %s", got)
	}
	if src, ok := base.Sources(secure.DefaultSrc); !ok || len(src) != 1 || src[0] != secure.None {
		t.Fatalf("Sources = %v, %v", src, ok)
	}
	if _, ok := base.Sources(secure.ScriptSrc); ok {
		t.Fatal("absent directive reported present")
	}
	if d := base.Directives(); len(d) != 2 || d[0] != secure.DefaultSrc || d[1] != secure.FrameAncestors {
		t.Fatalf("Directives = %v", d)
	}
}

func TestParseCSP(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"round trip", "default-src 'self'; img-src 'self' data:", "default-src 'self'; img-src 'self' data:", ""},
		{"whitespace and empty directives", "  default-src\t'self' ;; ;img-src *  ", "default-src 'self'; img-src *", ""},
		{"names case-insensitive", "Default-Src 'self'", "default-src 'self'", ""},
		{"keywords case-insensitive", "default-src 'SELF'", "default-src 'SELF'", ""},
		{"nonce placeholder", "script-src 'nonce'", "script-src 'nonce'", ""},
		{"comma: two policies", "default-src 'self', script-src 'none'", "", "comma"},
		{"duplicate directive", "default-src 'self'; default-src 'none'", "", "given twice"},
		{"invalid source", "default-src self", "", "must be quoted"},
		{"empty", " ; ", "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := secure.ParseCSP(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseCSP(%q) = %v; want error containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.String(); got != tt.want {
				t.Fatalf("got %q want %q", got, tt.want)
			}
		})
	}
}

// checkPolicy asserts the properties every built policy has: one line, no
// policy separator, and parsing it back gives the same policy.
func checkPolicy(t *testing.T, built string) {
	t.Helper()
	for i := 0; i < len(built); i++ {
		if c := built[i]; c < ' ' || c >= 0x7f || c == ',' {
			t.Fatalf("built policy %q has byte %q", built, c)
		}
	}
	back, err := secure.ParseCSP(built)
	if err != nil {
		t.Fatalf("built policy %q does not parse: %v", built, err)
	}
	if back.String() != built {
		t.Fatalf("round trip %q -> %q", built, back.String())
	}
}

func FuzzCSP(f *testing.F) {
	f.Add("script-src", "'self'", "https://cdn.chainsync.example")
	f.Add("default-src", "self", "'none'")
	f.Add("img-src", "data:", "https://a.example;script-src *")
	f.Add("sandbox", "allow-scripts", "")
	f.Add("script-src", "'nonce'", "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='")
	f.Add("frame-ancestors", "'unsafe-inline'", "\r\n")
	f.Fuzz(func(t *testing.T, directive, a, b string) {
		var sources []secure.Source
		for _, s := range []string{a, b} {
			if s != "" {
				sources = append(sources, secure.Source(s))
			}
		}
		c := secure.APIPolicy().Set(secure.Directive(directive), sources...)
		built, err := c.Build()
		if err != nil {
			return
		}
		checkPolicy(t, built)
		if strings.Count(built, ";") != len(c.Directives())-1 {
			t.Fatalf("policy %q has %d directives by count of ';', want %d", built, strings.Count(built, ";")+1, len(c.Directives()))
		}
	})
}

func FuzzParseCSP(f *testing.F) {
	f.Add("default-src 'self'; img-src 'self' data:")
	f.Add("script-src 'nonce' 'strict-dynamic'; object-src 'none'")
	f.Add("Default-Src 'SELF' ;; sandbox")
	f.Add("default-src self, script-src *")
	f.Add("report-to csp; report-uri /r")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := secure.ParseCSP(s)
		if err != nil {
			return
		}
		built, err := c.Build()
		if err != nil {
			t.Fatalf("parsed policy does not build: %v", err)
		}
		checkPolicy(t, built)
	})
}
