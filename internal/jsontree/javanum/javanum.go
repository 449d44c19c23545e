package javanum

import (
	"math"
	"strconv"
	"strings"
)

// BigDecimalString returns what Java's new BigDecimal(s).toString() returns,
// and ok=false where that constructor would throw. The unscaled value keeps
// every digit written (so "1.50" stays "1.50"); scientific notation appears
// when the exponent is positive or the number is very small ("1e5" becomes
// "1E+5", "0.0000001" becomes "1E-7"); negative zero loses its sign.
func BigDecimalString(s string) (string, bool) {
	neg, ip, fp, exp, ok := split(s)
	if !ok {
		return "", false
	}
	coeff := strings.TrimLeft(ip+fp, "0")
	if coeff == "" {
		coeff, neg = "0", false
	}
	scale := int64(len(fp)) - exp
	adjusted := -scale + int64(len(coeff)-1)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case scale == 0:
		b.WriteString(coeff)
	case scale > 0 && adjusted >= -6:
		if int64(len(coeff)) > scale {
			point := len(coeff) - int(scale)
			b.WriteString(coeff[:point])
			b.WriteByte('.')
			b.WriteString(coeff[point:])
		} else {
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", int(scale)-len(coeff)))
			b.WriteString(coeff)
		}
	default:
		b.WriteByte(coeff[0])
		if len(coeff) > 1 {
			b.WriteByte('.')
			b.WriteString(coeff[1:])
		}
		b.WriteByte('E')
		if adjusted > 0 {
			b.WriteByte('+')
		}
		b.WriteString(strconv.FormatInt(adjusted, 10))
	}
	return b.String(), true
}

// split parses the syntax BigDecimal(String) accepts: an optional sign,
// digits with an optional point (at least one digit in all), and an optional
// exponent.
func split(s string) (neg bool, ip, fp string, exp int64, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	j := digits(s, i)
	ip, i = s[i:j], j
	if i < len(s) && s[i] == '.' {
		j = digits(s, i+1)
		fp, i = s[i+1:j], j
	}
	if ip == "" && fp == "" {
		return
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		e, err := strconv.ParseInt(s[i+1:], 10, 32)
		if err != nil || s[i+1:] == "" {
			return
		}
		exp, i = e, len(s)
	}
	ok = i == len(s) && len(ip)+len(fp) < 1<<20
	return
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// DoubleString returns what Java's Double.toString(f) returns: plain
// notation with at least one fractional digit for magnitudes in [1e-3, 1e7)
// ("6.0", "0.001"), computerised scientific notation otherwise ("1.0E7",
// "1.234E-5"), and the shortest digits that identify f, which is what Java
// 19 and later print.
func DoubleString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	if !strings.Contains(s, ".") {
		// Java prints at least two digits and, given two, picks the
		// closest: Double.MIN_VALUE is 4.9E-324, not 5.0E-324.
		s = strconv.FormatFloat(f, 'e', 1, 64)
		if g, err := strconv.ParseFloat(s, 64); err != nil || g != f {
			s = strings.Replace(strconv.FormatFloat(f, 'e', -1, 64), "e", ".0e", 1)
		}
	}
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}
