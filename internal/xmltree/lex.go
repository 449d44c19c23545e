package xmltree

import (
	"unicode/utf8"
)

// Namespace URIs bound by the Namespaces in XML recommendation itself.
const (
	xmlURI   = "http://www.w3.org/XML/1998/namespace"
	xmlnsURI = "http://www.w3.org/2000/xmlns/"
)

// Byte classes. A zero entry lets a scanning loop step over the byte without
// a branch per special character; everything else is handled out of line.
const (
	clsPlain   = 0
	clsSpecial = 1
)

// textClass flags bytes that end or complicate a run of character data:
// markup, references, carriage returns (line-end normalisation), ']' (a
// possible "]]>"), forbidden control characters and non-ASCII lead bytes,
// which need UTF-8 and Char-production validation.
var textClass = func() (t [256]byte) {
	for c := range 0x20 {
		if c != '\t' && c != '\n' {
			t[c] = clsSpecial
		}
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = clsSpecial
	}
	t['<'], t['&'], t[']'] = clsSpecial, clsSpecial, clsSpecial
	return t
}()

// attrClass flags bytes that end or complicate an attribute value. Tab and
// LF are special there because attribute-value normalisation turns them
// into spaces.
var attrClass = func() (t [256]byte) {
	for c := range 0x20 {
		t[c] = clsSpecial
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = clsSpecial
	}
	t['<'], t['&'], t['"'], t['\''] = clsSpecial, clsSpecial, clsSpecial, clsSpecial
	return t
}()

// rawClass flags bytes that need attention inside comments, processing
// instructions and CDATA sections, where no references are recognised.
var rawClass = func() (t [256]byte) {
	for c := range 0x20 {
		if c != '\t' && c != '\n' {
			t[c] = clsSpecial
		}
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = clsSpecial
	}
	return t
}()

// ASCII name classes; ':' is absent from both because the parser is
// namespace-aware and handles the one colon a QName may hold itself.
var nameStartASCII, nameCharASCII = func() (start, char [128]bool) {
	for c := 'a'; c <= 'z'; c++ {
		start[c], start[c-'a'+'A'] = true, true
	}
	start['_'] = true
	char = start
	for c := '0'; c <= '9'; c++ {
		char[c] = true
	}
	char['-'], char['.'] = true, true
	return start, char
}()

// nameByte merges the ASCII name classes into one table indexed by any
// byte, so that the hot loop needs no separate ASCII check.
var nameByte = func() (t [256]uint8) {
	for c := range 128 {
		if nameStartASCII[c] {
			t[c] |= nameStartBit
		}
		if nameCharASCII[c] {
			t[c] |= nameCharBit
		}
	}
	return t
}()

const (
	nameStartBit = 1 << iota
	nameCharBit
)

// decodeRune is utf8.DecodeRuneInString with an invalid encoding reported
// as -1, so that it cannot pass for U+FFFD, which is a valid name character.
func decodeRune(s string) (rune, int) {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 {
		return -1, 1
	}
	return r, size
}

// isNameStartRune reports whether a non-ASCII rune is a NameStartChar of
// XML 1.0 Fifth Edition §2.3.
func isNameStartRune(r rune) bool {
	switch {
	case r < 0xC0:
		return false
	case r <= 0x2FF:
		return r != 0xD7 && r != 0xF7
	case r < 0x370:
		return false
	case r <= 0x1FFF:
		return r != 0x37E
	case r == 0x200C, r == 0x200D:
		return true
	case r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF:
		return true
	case r >= 0x3001 && r <= 0xD7FF, r >= 0xF900 && r <= 0xFDCF:
		return true
	case r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	}
	return false
}

// isNameRune reports whether a non-ASCII rune is a NameChar.
func isNameRune(r rune) bool {
	return isNameStartRune(r) || r == 0xB7 ||
		r >= 0x300 && r <= 0x36F || r == 0x203F || r == 0x2040
}

// isChar reports whether r matches the XML 1.0 Char production.
func isChar(r rune) bool {
	switch {
	case r >= 0x20:
		return r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
	default:
		return r == '\t' || r == '\n' || r == '\r'
	}
}

// isSpace reports whether c matches the S production.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// isNCName reports whether s is a valid name without a colon; it is used to
// vet names that did not come from the parser, such as PI targets.
func isNCName(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !nameCharASCII[c] || i == 0 && !nameStartASCII[c] {
				return false
			}
			i++
			continue
		}
		r, size := decodeRune(s[i:])
		if !isNameRune(r) || i == 0 && !isNameStartRune(r) {
			return false
		}
		i += size
	}
	return s != ""
}

// predefined returns the replacement of one of the five predefined entities.
func predefined(name string) (byte, bool) {
	switch name {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	return 0, false
}

// charRef decodes the digits of a character reference (without "&#" or
// "x" and ";"). It reports false for an empty, malformed or out-of-range
// number, or a code point outside the Char production.
func charRef(digits string, hex bool) (rune, bool) {
	if digits == "" {
		return 0, false
	}
	var v rune
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case hex && c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case hex && c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, false
		}
		if hex {
			v = v<<4 | d
		} else {
			v = v*10 + d
		}
		if v > utf8.MaxRune {
			return 0, false
		}
	}
	return v, isChar(v)
}
