package secrets_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/chainsync/middleware/secrets"
	"github.com/chainsync/middleware/secrets/internal/deepwalk"
)

const plaintext = "sk_live_Very-Secret-Plaintext-42"

type config struct {
	Name   string
	Token  secrets.Value
	hidden secrets.Value
	Ptr    *secrets.Value
	List   []secrets.Value
	ByName map[string]secrets.Value
}

func newConfig() config {
	v := secrets.NewValue(plaintext)
	return config{Name: "svc", Token: v, hidden: v, Ptr: &v, List: []secrets.Value{v}, ByName: map[string]secrets.Value{"k": v}}
}

func assertRedacted(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(out, plaintext) || strings.Contains(out, "Very-Secret") {
		t.Fatalf("plaintext leaked: %s", out)
	}
	// hex and decimal renderings of the bytes
	for _, leak := range []string{fmt.Sprintf("%x", plaintext), fmt.Sprintf("%X", plaintext), fmt.Sprint([]byte(plaintext))[1:20]} {
		if strings.Contains(out, leak) {
			t.Fatalf("plaintext bytes leaked: %s", out)
		}
	}
}

func TestValueRedactsFmt(t *testing.T) {
	v := secrets.NewValue(plaintext)
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%o", "%b", "%c", "%U", "%e", "%t", "%p", "%20s", "%-8v", "% x", "%#x", "%.3s"}
	for _, verb := range verbs {
		t.Run(verb, func(t *testing.T) {
			for name, arg := range map[string]any{"value": v, "pointer": &v, "struct": newConfig(), "struct pointer": ptr(newConfig())} {
				out := fmt.Sprintf(verb, arg)
				assertRedacted(t, out)
				if name == "value" && verb != "%p" && !strings.Contains(out, secrets.Redacted) {
					t.Errorf("%s of %s = %q, want %s", verb, name, out, secrets.Redacted)
				}
			}
		})
	}
	t.Run("Sprint", func(t *testing.T) {
		assertRedacted(t, fmt.Sprint(v, &v, newConfig()))
		assertRedacted(t, fmt.Sprintln(v, newConfig()))
	})
	t.Run("String and GoString", func(t *testing.T) {
		if v.String() != secrets.Redacted || v.GoString() != secrets.Redacted {
			t.Fatalf("String %q GoString %q", v.String(), v.GoString())
		}
	})
	t.Run("quoted", func(t *testing.T) {
		if got := fmt.Sprintf("%q", v); got != `"[REDACTED]"` {
			t.Fatalf("%%q = %s", got)
		}
	})
	t.Run("log package", func(t *testing.T) {
		var buf bytes.Buffer
		l := log.New(&buf, "", 0)
		l.Printf("token=%v cfg=%+v", v, newConfig())
		assertRedacted(t, buf.String())
	})
}

func ptr[T any](v T) *T { return &v }

func TestValueRedactsMarshal(t *testing.T) {
	cfg := newConfig()
	tests := []struct {
		name    string
		marshal func() ([]byte, error)
	}{
		{"encoding/json value", func() ([]byte, error) { return json.Marshal(cfg.Token) }},
		{"encoding/json struct", func() ([]byte, error) { return json.Marshal(cfg) }},
		{"encoding/json indent", func() ([]byte, error) { return json.MarshalIndent(&cfg, "", " ") }},
		{"json v2 struct", func() ([]byte, error) { return jsonv2.Marshal(cfg) }},
		{"xml", func() ([]byte, error) {
			return xml.Marshal(struct {
				XMLName xml.Name      `xml:"c"`
				Token   secrets.Value `xml:"token"`
				Attr    secrets.Value `xml:"a,attr"`
			}{Token: cfg.Token, Attr: cfg.Token})
		}},
		{"text", func() ([]byte, error) { return cfg.Token.MarshalText() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.marshal()
			if err != nil {
				t.Fatal(err)
			}
			assertRedacted(t, string(b))
			if !bytes.Contains(b, []byte(secrets.Redacted)) {
				t.Fatalf("no %s in %s", secrets.Redacted, b)
			}
		})
	}
}

func TestValueRedactsSlog(t *testing.T) {
	v := secrets.NewValue(plaintext)
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(h(&buf))
			l.Info("loaded", "token", v, slog.Any("ptr", &v), slog.Any("cfg", newConfig()),
				slog.Group("g", "token", v), slog.String("s", v.String()))
			l.With("token", v).Info("with")
			out := buf.String()
			assertRedacted(t, out)
			if strings.Count(out, secrets.Redacted) < 5 {
				t.Fatalf("expected redaction markers, got %s", out)
			}
		})
	}
}

func TestValueBasics(t *testing.T) {
	v := secrets.NewValue(plaintext)
	if v.Reveal() != plaintext || !v.IsSet() || v.Len() != len(plaintext) {
		t.Fatal("Reveal/IsSet/Len wrong")
	}
	b := v.Bytes()
	b[0] = 'X'
	if v.Reveal() != plaintext {
		t.Fatal("Bytes must return a copy")
	}
	var zero secrets.Value
	if zero.IsSet() || zero.Reveal() != "" || zero.Bytes() != nil {
		t.Fatal("zero Value must be absent")
	}
	if secrets.NewValue("").IsSet() {
		t.Fatal("empty plaintext must be absent")
	}
	tests := []struct {
		name string
		a, b secrets.Value
		want bool
	}{
		{"same", v, secrets.NewValue(plaintext), true},
		{"different", v, secrets.NewValue(plaintext + "x"), false},
		{"absent vs set", zero, v, false},
		{"both absent", zero, secrets.Value{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Fatalf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValueHiddenFromReflection(t *testing.T) {
	v := secrets.NewValue(plaintext)
	// (A Map provider holds its values in the clear: the Set's own state
	// is what is checked here.)
	src := secrets.ProviderFunc(func(context.Context, string) (string, bool, error) { return plaintext, true, nil })
	set, err := secrets.Load(context.Background(), []secrets.Spec{{Name: "TOKEN", Required: true}}, src)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    any
	}{
		{"value", v},
		{"pointer", &v},
		{"struct", newConfig()},
		{"change", secrets.Change{Name: "TOKEN", Old: v, New: v}},
		{"set", set},
	}
	if !deepwalk.Reachable(struct{ s string }{plaintext}, []byte(plaintext)) {
		t.Fatal("the walker cannot find a plain string: the test is broken")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if deepwalk.Reachable(tt.v, []byte(plaintext)) {
				t.Fatal("the plaintext is reachable by reflection")
			}
		})
	}
}

func TestValueRedactsGob(t *testing.T) {
	for name, arg := range map[string]any{"value": secrets.NewValue(plaintext), "struct": struct{ Token secrets.Value }{secrets.NewValue(plaintext)}} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := gob.NewEncoder(&buf).Encode(arg)
			assertRedacted(t, buf.String())
			if err != nil {
				assertRedacted(t, err.Error())
			}
		})
	}
}

func TestValueRedactsErrorsAndNestedLogs(t *testing.T) {
	v := secrets.NewValue(plaintext)
	t.Run("errors", func(t *testing.T) {
		err := fmt.Errorf("connecting with %v (%q, %x): %w", v, v, v, errors.New("refused"))
		assertRedacted(t, errors.Join(err, fmt.Errorf("token %s", v)).Error())
	})
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		t.Run("slog "+name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(h(&buf))
			l.WithGroup("a").With("token", v).WithGroup("b").Info("nested",
				slog.Group("c", slog.Group("d", "token", v)),
				slog.Any("list", []secrets.Value{v, v}),
				slog.Any("map", map[string]secrets.Value{"k": v}),
				slog.Any("err", fmt.Errorf("with %v", v)))
			out := buf.String()
			assertRedacted(t, out)
			if n := strings.Count(out, secrets.Redacted); n < 6 {
				t.Fatalf("%d redaction markers, want 6: %s", n, out)
			}
		})
	}
}

// A panic with a Value, or with a struct holding one, must not print the
// plaintext when the program crashes. The test runs itself as a child that
// panics.
func TestValueRedactsPanics(t *testing.T) {
	if mode := os.Getenv("SECRETS_PANIC_CHILD"); mode != "" {
		v := secrets.NewValue(plaintext)
		switch mode {
		case "value":
			panic(v)
		case "pointer":
			panic(&v)
		case "struct":
			panic(newConfig())
		case "error":
			panic(fmt.Errorf("bad token %v", v))
		}
		return
	}
	for _, mode := range []string{"value", "pointer", "struct", "error"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestValueRedactsPanics$")
			cmd.Env = append(os.Environ(), "SECRETS_PANIC_CHILD="+mode)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "panic") {
				t.Fatalf("child did not panic (%v): %s", err, out)
			}
			assertRedacted(t, string(out))
		})
	}
}
