package jsontree

// ValidNumber reports whether s is a JSON number as RFC 8259 defines it.
func ValidNumber(s string) bool {
	n, ok := scanNumber(s, 0)
	return ok && n == len(s)
}

// scanNumber returns the end of the JSON number that starts at s[i].
func scanNumber(s string, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = skipDigits(s, i+1)
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		j := skipDigits(s, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := skipDigits(s, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// decimal is a number literal split into parts without copying, so that
// numbers can be compared exactly however they are spelt.
type decimal struct {
	neg     bool
	ip, fp  string // integer and fraction digits
	z, t    int    // leading and trailing zeros of ip+fp
	exp     int64
	nonzero bool
}

// parseDecimal accepts JSON numbers and the looser forms Java's BigDecimal
// accepts ("+1", "1.", ".5"), which filter literals may use.
func parseDecimal(s string) (d decimal, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		d.neg = s[i] == '-'
		i++
	}
	j := skipDigits(s, i)
	d.ip = s[i:j]
	i = j
	if i < len(s) && s[i] == '.' {
		j = skipDigits(s, i+1)
		d.fp = s[i+1 : j]
		i = j
	}
	if d.ip == "" && d.fp == "" {
		return d, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		neg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		j = skipDigits(s, i)
		if j == i {
			return d, false
		}
		for _, c := range s[i:j] {
			if d.exp < 1<<40 {
				d.exp = d.exp*10 + int64(c-'0')
			}
		}
		if neg {
			d.exp = -d.exp
		}
		i = j
	}
	if i != len(s) {
		return d, false
	}
	n := len(d.ip) + len(d.fp)
	for d.z < n && d.digit(d.z) == '0' {
		d.z++
	}
	d.nonzero = d.z < n
	for d.t < n-d.z && d.digit(n-1-d.t) == '0' {
		d.t++
	}
	return d, true
}

func (d *decimal) digit(j int) byte {
	if j < len(d.ip) {
		return d.ip[j]
	}
	return d.fp[j-len(d.ip)]
}

// point is the decimal exponent p with value = 0.digits × 10^p.
func (d *decimal) point() int64 { return int64(len(d.ip)) + d.exp - int64(d.z) }

func (d *decimal) sign() int {
	switch {
	case !d.nonzero:
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// CompareNumbers compares two number literals by value, exactly, however
// they are spelt ("1", "1.0" and "10e-1" are equal). It returns -1, 0 or +1,
// and ok=false if either is not a number.
func CompareNumbers(a, b string) (c int, ok bool) {
	da, oka := parseDecimal(a)
	db, okb := parseDecimal(b)
	if !oka || !okb {
		return 0, false
	}
	sa, sb := da.sign(), db.sign()
	if sa != sb || sa == 0 {
		return cmpInt(int64(sa), int64(sb)), true
	}
	return sa * compareMagnitude(&da, &db), true
}

func compareMagnitude(a, b *decimal) int {
	if c := cmpInt(a.point(), b.point()); c != 0 {
		return c
	}
	na := len(a.ip) + len(a.fp) - a.z - a.t
	nb := len(b.ip) + len(b.fp) - b.z - b.t
	for k := 0; k < na && k < nb; k++ {
		if c := cmpInt(int64(a.digit(a.z+k)), int64(b.digit(b.z+k))); c != 0 {
			return c
		}
	}
	return cmpInt(int64(na), int64(nb))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
