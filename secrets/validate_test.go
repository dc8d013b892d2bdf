package secrets_test

import (
	"strings"
	"testing"

	"github.com/chainsync/middleware/secrets"
)

func TestValidators(t *testing.T) {
	tests := []struct {
		name  string
		v     secrets.Validator
		value string
		ok    bool
	}{
		{"min length ok", secrets.MinLength(4), "abcd", true},
		{"min length short", secrets.MinLength(4), "abc", false},
		{"key base64", secrets.KeyBytes(32), key, true},
		{"key hex", secrets.KeyBytes(32), strings.Repeat("ab", 32), true},
		{"key 16 bytes", secrets.KeyBytes(32), "AAECAwQFBgcICQoLDA0ODw==", false},
		{"key 16 bytes wanted", secrets.KeyBytes(16), "AAECAwQFBgcICQoLDA0ODw==", true},
		{"url ok", secrets.URL("postgres"), "postgres://u:p@h/db", true},
		{"url scheme case", secrets.URL("postgres"), "POSTGRES://h/db", true},
		{"url wrong scheme", secrets.URL("postgres"), "mysql://h/db", false},
		{"url relative", secrets.URL(), "just-a-string", false},
		{"url without host", secrets.URL("redis"), "redis:///0", false},
		{"url unix socket", secrets.URL("unix"), "unix:///run/redis.sock", true},
		{"url unparsable", secrets.URL(), "postgres://u:p@h:port/db%zz", false},
		{"all ok", secrets.All(secrets.MinLength(1), nil, secrets.URL()), "https://x", true},
		{"all fails", secrets.All(secrets.MinLength(1), secrets.URL()), "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v(tt.value)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && len(tt.value) > 3 && strings.Contains(err.Error(), tt.value) {
				t.Fatalf("reason quotes the value: %v", err)
			}
		})
	}
}
