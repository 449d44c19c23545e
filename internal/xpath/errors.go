package xpath

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// SyntaxError is the error Compile returns: a syntax error, or a name the
// compiler could not resolve, at byte offset Offset of the expression Src.
type SyntaxError struct {
	Offset int
	Msg    string
	Src    string
}

// Error returns the message and offset followed by two indented lines,
// the expression and a caret under the offending position, so that it can be
// shown as it is in a log or a configuration error report.
func (e *SyntaxError) Error() string {
	line, caret := e.caret()
	var b strings.Builder
	b.WriteString("xpath: ")
	b.WriteString(e.Msg)
	b.WriteString(" at offset ")
	b.WriteString(strconv.Itoa(e.Offset))
	b.WriteString("\n\t")
	b.WriteString(line)
	b.WriteString("\n\t")
	b.WriteString(caret)
	return b.String()
}

// Caret returns two lines: the expression (line breaks and tabs shown as
// spaces, so that columns line up) and a caret under the error position.
func (e *SyntaxError) Caret() string {
	line, caret := e.caret()
	return line + "\n" + caret
}

func (e *SyntaxError) caret() (line, caret string) {
	line = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, e.Src)
	off := min(max(e.Offset, 0), len(e.Src))
	return line, strings.Repeat(" ", utf8.RuneCountInString(e.Src[:off])) + "^"
}
