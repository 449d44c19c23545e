// Package h1 holds the HTTP/1.1 wire helpers Busbar's own transports
// share: reading head lines under a size limit, canonical header names
// without allocating for the common ones, and the token and value rules
// of RFC 9110. Both the inbound server and the outbound fast path parse
// heads with it, so a header is spelled the same way in a message
// whichever side it came from.
package h1

import (
	"bufio"
	"errors"
	"io"
	"net/textproto"
)

// ErrLineTooLong is returned by ReadLine when a line does not fit the
// reader's buffer or the head exceeds its limit.
var ErrLineTooLong = errors.New("header line too long")

// ReadLine returns one line without its CRLF (or bare LF). total counts
// the bytes of the head so far; past limit the head is refused. A line
// that fits the reader's buffer aliases it (valid until the next read);
// a longer one, up to the limit, is gathered into a new slice, so that a
// big cookie or token is not refused for the size of a buffer.
func ReadLine(br *bufio.Reader, total *int, limit int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	*total += len(line)
	if err == bufio.ErrBufferFull && *total <= limit {
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull && *total <= limit {
			line, err = br.ReadSlice('\n')
			*total += len(line)
			long = append(long, line...)
		}
		line = long
	}
	if err == bufio.ErrBufferFull || *total > limit {
		return nil, ErrLineTooLong
	}
	if err != nil {
		if err == io.EOF && *total > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// common spares an allocation for the header names sent most, in their
// canonical form.
var common = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization",
		"Cache-Control", "Connection", "Content-Encoding", "Content-Length", "Content-Type", "Cookie", "Date",
		"Etag", "Expect", "Expires", "Host", "Keep-Alive", "Last-Modified", "Location", "Origin", "Pragma",
		"Referer", "Server", "Set-Cookie", "Soapaction", "Transfer-Encoding", "User-Agent", "Vary",
		"X-Forwarded-For", "X-Request-Id", "Access-Control-Allow-Origin", "X-Content-Type-Options",
		"Strict-Transport-Security"} {
		m[k] = k
	}
	return m
}()

// HeaderKey canonicalises a header name; it returns "" for a name that is
// not a token.
func HeaderKey(b []byte) string {
	if k, ok := common[string(b)]; ok {
		return k
	}
	if len(b) == 0 || !ValidToken(b) {
		return ""
	}
	if len(b) > 64 {
		return textproto.CanonicalMIMEHeaderKey(string(b))
	}
	// Canonicalise on the stack first: a common name in another case
	// (SOAPAction, content-type) then costs no allocation, and any other
	// one allocation.
	var buf [64]byte
	c := buf[:len(b)]
	upper := true
	for i, ch := range b {
		if upper && 'a' <= ch && ch <= 'z' {
			ch -= 'a' - 'A'
		} else if !upper && 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		c[i] = ch
		upper = ch == '-'
	}
	if k, ok := common[string(c)]; ok {
		return k
	}
	return string(c)
}

// tokenChars marks the characters of an RFC 9110 token.
var tokenChars = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = true
	}
	for _, c := range `"(),/:;<=>?@[\]{}` {
		t[c] = false
	}
	return t
}()

// ValidToken reports whether b is a non-empty token (a method or a header
// name).
func ValidToken[T string | []byte](b T) bool {
	if len(b) == 0 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if !tokenChars[b[i]] {
			return false
		}
	}
	return true
}

// ValidValue reports whether v may be sent as a header value: no control
// characters but horizontal tab.
func ValidValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// Trim removes surrounding spaces and tabs.
func Trim[T string | []byte](s T) T {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// EqualFold compares ASCII strings case-insensitively.
func EqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// HasToken reports whether the comma-separated list names tok, ignoring
// case (a Connection header naming "close", say).
func HasToken(list, tok string) bool {
	for list != "" {
		f := list
		if i := indexByte(list, ','); i >= 0 {
			f, list = list[:i], list[i+1:]
		} else {
			list = ""
		}
		if EqualFold(Trim(f), tok) {
			return true
		}
	}
	return false
}

// Hop reports whether k is a connection-level header that never crosses
// a proxy, or one whose value the transport sets itself.
func Hop(k string) bool {
	switch k {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Expect":
		return true
	}
	return false
}

// ConnectionListed reports whether the Connection header values in conn
// name k, which makes k hop-by-hop for this message.
func ConnectionListed(conn []string, k string) bool {
	for _, list := range conn {
		if HasToken(list, k) {
			return true
		}
	}
	return false
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
