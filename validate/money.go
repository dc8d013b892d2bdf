package validate

import (
	"strconv"
)

// Money is an amount of money in integer minor units (cents) of a currency
// with two decimal places. It decodes from a JSON number with at most two
// decimal places ("12.5", "12.50" and "12.500" are 1250; "12.499" is
// rejected) and never goes through float64, which cannot tell 12.50 from
// 12.499999999. It encodes back as a JSON number with two decimals.
//
// The magnitude is limited to [MaxMoney]; exponents ("1e3") and strings are
// rejected. A JSON null leaves the value unchanged.
type Money int64

// MaxMoney is the largest magnitude a [Money] decodes:
// 9,999,999,999,999.99 (13 integer digits), far from int64 overflow.
const MaxMoney Money = 999_999_999_999_999

// Cents returns n minor units as Money: Cents(1) is 0.01.
func Cents(n int64) Money { return Money(n) }

// ParseMoney parses a decimal such as "12.50" or "-3" into Money. It
// returns [ErrMoney] if s is not a JSON-style decimal number with at most
// two significant decimal places or is beyond ±MaxMoney.
func ParseMoney(s string) (Money, error) {
	return parseMoney(s)
}

func parseMoney[S string | []byte](s S) (Money, error) {
	i, neg := 0, false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	start := i
	var v int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if i-start >= 13 {
			return 0, ErrMoney
		}
		v = v*10 + int64(s[i]-'0')
		i++
	}
	digits := i - start
	if digits == 0 || (digits > 1 && s[start] == '0') {
		return 0, ErrMoney
	}
	v *= 100
	if i < len(s) && s[i] == '.' {
		i++
		frac := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			d := int64(s[i] - '0')
			switch frac {
			case 0:
				v += d * 10
			case 1:
				v += d
			default:
				if d != 0 {
					return 0, ErrMoney
				}
			}
			frac++
			i++
		}
		if frac == 0 {
			return 0, ErrMoney
		}
	}
	if i != len(s) {
		return 0, ErrMoney
	}
	if neg {
		v = -v
	}
	return Money(v), nil
}

// UnmarshalJSON decodes a JSON number; see [Money].
func (m *Money) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseMoney(b)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// MarshalJSON encodes the amount as a JSON number with two decimals.
func (m Money) MarshalJSON() ([]byte, error) { return m.append(nil), nil }

// String returns the amount with two decimals, such as "12.50" or "-0.05".
func (m Money) String() string { return string(m.append(nil)) }

func (m Money) append(b []byte) []byte {
	u := uint64(m)
	if m < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/100, 10)
	c := u % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}
