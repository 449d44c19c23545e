package h1

import (
	"bufio"
	"net/textproto"
	"strings"
	"testing"
)

func TestReadLine(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		limit    int
		want     []string
		err      error
	}{
		{"crlf", "a\r\nb\r\n", 100, []string{"a", "b"}, nil},
		{"bare_lf", "a\nb\n", 100, []string{"a", "b"}, nil},
		{"over_limit", "aaaa\r\nbbbb\r\n", 8, []string{"aaaa"}, ErrLineTooLong},
		{"longer_than_the_buffer", strings.Repeat("x", 40) + "\nend\n", 1000, []string{strings.Repeat("x", 40), "end"}, nil},
		{"longer_than_the_limit", strings.Repeat("x", 40) + "\n", 30, nil, ErrLineTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tc.in), 16)
			total := 0
			var got []string
			for {
				line, err := ReadLine(br, &total, tc.limit)
				if err != nil {
					if tc.err != nil && err != tc.err {
						t.Fatalf("error %v, want %v", err, tc.err)
					}
					break
				}
				got = append(got, string(line))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("lines %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHeaderKeyAndTokens(t *testing.T) {
	for in, want := range map[string]string{
		"content-type": "Content-Type", "Content-Type": "Content-Type", "x-route": "X-Route",
		"SOAPAction": "Soapaction", "bad name": "", "": "", "a:b": "",
	} {
		if got := HeaderKey([]byte(in)); got != want {
			t.Errorf("HeaderKey(%q) = %q, want %q", in, got, want)
		}
	}
	for list, want := range map[string]bool{"close": true, "keep-alive, Close": true, "closed": false, "": false, " x , close ": true} {
		if got := HasToken(list, "close"); got != want {
			t.Errorf("HasToken(%q) = %v", list, got)
		}
	}
	if !ConnectionListed([]string{"keep-alive", "X-Hop"}, "X-Hop") || ConnectionListed([]string{"X-Hopper"}, "X-Hop") {
		t.Error("ConnectionListed")
	}
	if ValidValue("a\r\nb") || !ValidValue("a\tb") || ValidToken("a b") || !ValidToken("X-A") {
		t.Error("ValidValue/ValidToken")
	}
}

// FuzzHeaderKey: HeaderKey spells every valid name as net/textproto does,
// and refuses every name that is not a token.
func FuzzHeaderKey(f *testing.F) {
	for _, s := range []string{"content-type", "SOAPAction", "x-A-b", "-a", "a--b", "9x", strings.Repeat("ab-", 30), "bad name", "a:b", "ÿ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := HeaderKey([]byte(s))
		if !ValidToken(s) {
			if got != "" {
				t.Fatalf("HeaderKey(%q) = %q for a non-token", s, got)
			}
			return
		}
		if want := textproto.CanonicalMIMEHeaderKey(s); got != want {
			t.Fatalf("HeaderKey(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestHeaderKeyAllocations(t *testing.T) {
	for _, name := range []string{"SOAPAction", "content-type", "Content-Type", "x-request-id"} {
		b := []byte(name)
		if n := testing.AllocsPerRun(100, func() { HeaderKey(b) }); n != 0 {
			t.Errorf("HeaderKey(%q): %v allocations, want 0 for a common name in any case", name, n)
		}
	}
}
