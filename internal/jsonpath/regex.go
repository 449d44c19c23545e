package jsonpath

import (
	"regexp"
	"strings"
)

// compileJavaRegex compiles a filter's /pattern/flags with Go's regexp.
// Jayway matches with Java's Matcher.matches(), so the pattern must match
// the whole input and is anchored here. Flags: i, m and s map to Go's; x
// (comments) is applied by removing unescaped whitespace and #-comments
// outside character classes; d (Unix lines) and u (Unicode case) are what
// Go does anyway; U (Unicode classes) is ignored, so \w and \d stay ASCII.
//
// Go's RE2 syntax is not Java's: backreferences, lookahead and lookbehind,
// possessive quantifiers and atomic groups do not compile, and Java-only
// classes such as \p{javaLowerCase} are unknown. Without s, Java's '.'
// also stops at \r, U+0085, U+2028 and U+2029, which Go's only does at \n.
func compileJavaRegex(pattern, flags string) (*regexp.Regexp, error) {
	var prefix string
	for _, f := range flags {
		switch f {
		case 'i':
			prefix += "i"
		case 'm':
			prefix += "m"
		case 's':
			prefix += "s"
		case 'x':
			pattern = stripComments(pattern)
		}
	}
	if prefix != "" {
		prefix = "(?" + prefix + ")"
	}
	return regexp.Compile(prefix + "^(?:" + pattern + ")$")
}

// stripComments applies Java's COMMENTS flag.
func stripComments(p string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		ch := p[i]
		switch {
		case ch == '\\' && i+1 < len(p):
			b.WriteByte(ch)
			b.WriteByte(p[i+1])
			i++
		case inClass:
			if ch == ']' {
				inClass = false
			}
			b.WriteByte(ch)
		case ch == '[':
			inClass = true
			b.WriteByte(ch)
		case ch == '#':
			for i < len(p) && p[i] != '\n' {
				i++
			}
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f':
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}
