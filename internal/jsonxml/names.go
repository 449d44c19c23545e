package jsonxml

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The prefixes MI's JsonReaderDelegate puts on keys that cannot start an
// element name, and the escape its buildValidNCNames option uses.
const (
	prefixDigit  = "_JsonReader_PD_"
	prefixDollar = "_JsonReader_PS_"
	escapePrefix = "_JsonReader_"
)

// elementName is the element name MI gives a JSON key: a key starting with
// a digit gets prefixDigit, one starting with '$' has the '$' replaced by
// prefixDollar. Other keys are used as they are, valid XML names or not,
// unless ValidNCNames is set.
func (o Options) elementName(key string) string {
	name := key
	if r, _ := utf8.DecodeRuneInString(key); unicode.IsDigit(r) {
		name = prefixDigit + key
	} else if strings.HasPrefix(key, "$") {
		name = prefixDollar + key[1:]
	}
	if o.ValidNCNames {
		name = toNCName(name)
	}
	return name
}

// jsonKey reverses elementName for an element's local name.
func (o Options) jsonKey(local string) string {
	switch {
	case strings.HasPrefix(local, prefixDigit):
		local = local[len(prefixDigit):]
	case strings.HasPrefix(local, prefixDollar):
		local = "$" + local[len(prefixDollar):]
	}
	if o.ValidNCNames {
		local = fromNCName(local)
	}
	return local
}

// toNCName escapes, as Java does, each UTF-16 code unit that is not an
// NCName character, so a character beyond U+FFFF becomes two escapes.
// Bytes that are not UTF-8 are kept as they are.
func toNCName(s string) string {
	ok := true
	for _, r := range s {
		if !isNCNameRune(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isNCNameRune(r) {
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		i += size
		units := []uint16{uint16(r)}
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			units = []uint16{uint16(hi), uint16(lo)}
		}
		for _, u := range units {
			b.WriteString(escapePrefix)
			b.WriteString(strconv.Itoa(int(u)))
			b.WriteByte('_')
		}
	}
	return b.String()
}

// fromNCName decodes the escapes toNCName writes; text that only looks
// like the escape prefix is kept, and so are bytes that are not UTF-8.
func fromNCName(s string) string {
	if !strings.Contains(s, escapePrefix) {
		return s
	}
	var out []byte
	var units []uint16
	for i := 0; i < len(s); {
		if n, next := escapeAt(s, i); next > 0 {
			units = append(units, n)
			i = next
			continue
		}
		if len(units) > 0 {
			out = append(out, string(utf16.Decode(units))...)
			units = units[:0]
		}
		out = append(out, s[i])
		i++
	}
	return string(append(out, string(utf16.Decode(units))...))
}

// escapeAt reads _JsonReader_<n>_ at s[i], returning the code unit and the
// index after it, or next=0.
func escapeAt(s string, i int) (unit uint16, next int) {
	if !strings.HasPrefix(s[i:], escapePrefix) {
		return 0, 0
	}
	j := i + len(escapePrefix)
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == j || k >= len(s) || s[k] != '_' {
		return 0, 0
	}
	n, err := strconv.Atoi(s[j:k])
	if err != nil || n <= 0 || n > 0xFFFF {
		return 0, 0
	}
	return uint16(n), k + 1
}

// isNCNameRune follows XML 1.0's NameChar without ':'. Surrogate halves,
// which Java tests one by one, are never name characters, so runes beyond
// U+FFFF are not either.
func isNCNameRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
		r == '_', r == '-', r == '.', r == 0xB7:
		return true
	case r < 0xC0 || r >= 0x10000:
		return false
	}
	return r <= 0x2FF && r != 0xD7 && r != 0xF7 ||
		r >= 0x300 && r <= 0x37D || r >= 0x37F && r <= 0x1FFF ||
		r >= 0x200C && r <= 0x200D || r >= 0x203F && r <= 0x2040 ||
		r >= 0x2070 && r <= 0x218F || r >= 0x2C00 && r <= 0x2FEF ||
		r >= 0x3001 && r <= 0xD7FF || r >= 0xF900 && r <= 0xFDCF ||
		r >= 0xFDF0 && r <= 0xFFFD
}
