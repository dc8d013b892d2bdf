package validate_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/chainsync/middleware/validate"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in   string
		want validate.Money
		ok   bool
	}{
		{"0", 0, true},
		{"-0", 0, true},
		{"12", 1200, true},
		{"12.5", 1250, true},
		{"12.50", 1250, true},
		{"12.500", 1250, true},
		{"0.01", 1, true},
		{"-3.07", -307, true},
		{"9999999999999.99", validate.MaxMoney, true},
		{"-9999999999999.99", -validate.MaxMoney, true},
		{"10000000000000", 0, false}, // 14 integer digits
		{"12.499", 0, false},
		{"12.499999999", 0, false},
		{"12.001", 0, false},
		{"1e3", 0, false},
		{"1E-2", 0, false},
		{"012", 0, false},
		{"12.", 0, false},
		{".5", 0, false},
		{"+1", 0, false},
		{"-", 0, false},
		{"", 0, false},
		{"1,50", 0, false},
		{`"12.50"`, 0, false},
		{"NaN", 0, false},
		{"-0.00", 0, true},
		{"-12.50", -1250, true},
		{"9999999999999.990", validate.MaxMoney, true},
		{"9999999999999.999", 0, false},
		{"-10000000000000.00", 0, false},
		{"00", 0, false},
		{"-012", 0, false},
		{"0.001", 0, false},
		{"1.0e2", 0, false},
		{"--1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"\u0661\u0662", 0, false}, // Arabic-Indic digits
		{"Infinity", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := validate.ParseMoney(tt.in)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("ParseMoney(%q) = %d, %v", tt.in, got, err)
			}
			if err != nil && !errors.Is(err, validate.ErrMoney) {
				t.Fatalf("err = %v, want ErrMoney", err)
			}
		})
	}
}

func TestMoneyJSON(t *testing.T) {
	for _, tt := range []struct {
		m    validate.Money
		want string
	}{{0, "0.00"}, {1, "0.01"}, {1250, "12.50"}, {-5, "-0.05"}, {-1250, "-12.50"}, {validate.MaxMoney, "9999999999999.99"}} {
		b, err := json.Marshal(tt.m)
		if err != nil || string(b) != tt.want || tt.m.String() != tt.want {
			t.Errorf("Marshal(%d) = %s, %v; String %s; want %s", int64(tt.m), b, err, tt.m, tt.want)
		}
		var back validate.Money
		if err := json.Unmarshal(b, &back); err != nil || back != tt.m {
			t.Errorf("round trip of %s: %d, %v", b, back, err)
		}
	}
	m := validate.Money(7)
	if err := json.Unmarshal([]byte("null"), &m); err != nil || m != 7 {
		t.Errorf("null changed the value: %d, %v", m, err)
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"12.50", "-0.01", "1e3", "9999999999999.99", "12.500"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := validate.ParseMoney(s)
		if err != nil {
			return
		}
		if m > validate.MaxMoney || m < -validate.MaxMoney {
			t.Fatalf("ParseMoney(%q) = %d beyond MaxMoney", s, m)
		}
		back, err := validate.ParseMoney(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %d; String %s parses back to %d, %v", s, m, m, back, err)
		}
	})
}
