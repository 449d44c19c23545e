package message_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/message"
)

func TestFormatOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ct   string
		want message.Format
	}{
		{"text/xml; charset=UTF-8", message.FormatSOAP11},
		{"application/soap+xml;action=x", message.FormatSOAP12},
		{"application/xml", message.FormatPOX},
		{"application/atom+xml", message.FormatPOX},
		{"Application/JSON; charset=utf-8", message.FormatJSON},
		{"application/vnd.api+json", message.FormatJSON},
		{"text/plain", message.FormatText},
		{"application/x-www-form-urlencoded", message.FormatForm},
		{"image/png", message.FormatBinary},
		{"", message.FormatNone},
	}
	for _, tc := range cases {
		if got := message.FormatOf(tc.ct); got != tc.want {
			t.Errorf("FormatOf(%q) = %v, want %v", tc.ct, got, tc.want)
		}
	}
}

func body(s, ct string, limit int64) *message.Body {
	return message.NewStreamBody(io.NopCloser(strings.NewReader(s)), ct, int64(len(s)), limit)
}

// TestBodyRepresentations: every payload kind has MI's envelope form, and
// is written back untouched until something changes it.
func TestBodyRepresentations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, ct, in, wantEnv string
	}{
		{"pox", "application/xml", `<a x="1">t</a>`, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><a x="1">t</a></soapenv:Body></soapenv:Envelope>`},
		{"json", "application/json", `{"a":1}`, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><jsonObject><a>1</a></jsonObject></soapenv:Body></soapenv:Envelope>`},
		{"text", "text/plain", `hello`, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><text xmlns="http://ws.apache.org/commons/ns/payload">hello</text></soapenv:Body></soapenv:Envelope>`},
		{"form", "application/x-www-form-urlencoded", `b=2&a=1`, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><xformValues><b>2</b><a>1</a></xformValues></soapenv:Body></soapenv:Envelope>`},
		{"binary", "application/octet-stream", "\x00\x01", `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><binary xmlns="http://ws.apache.org/commons/ns/payload">AAE=</binary></soapenv:Body></soapenv:Envelope>`},
		{"empty", "", "", `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := body(tc.in, tc.ct, 1<<20)
			env, err := b.Envelope()
			if err != nil {
				t.Fatal(err)
			}
			if got := env.String(); got != tc.wantEnv {
				t.Fatalf("envelope:\n got %s\nwant %s", got, tc.wantEnv)
			}
			out, err := b.Serialize(b.Format())
			if err != nil || string(out) != tc.in {
				t.Fatalf("untouched body written as %q (%v), want %q", out, err, tc.in)
			}
		})
	}
}

// TestBodyConversion: a JSON body edited as XML goes out as JSON, and an
// XML body asked for JSON converts with MI's rules.
func TestBodyConversion(t *testing.T) {
	t.Parallel()
	b := body(`{"a":1,"b":"x"}`, "application/json", 0)
	env, err := b.Envelope()
	if err != nil {
		t.Fatal(err)
	}
	obj := message.SOAPBody(env).FirstChildElement()
	obj.FirstChildElement().SetText("2")
	b.XMLChanged()
	out, err := b.Serialize(message.FormatJSON)
	if err != nil || string(out) != `{"a":2,"b":"x"}` {
		t.Fatalf("got %s (%v)", out, err)
	}
	x := body(`<order><id>7</id><ok>true</ok></order>`, "application/xml", 0)
	out, err = x.Serialize(message.FormatJSON)
	if err != nil || string(out) != `{"order":{"id":7,"ok":true}}` {
		t.Fatalf("xml->json: %s (%v)", out, err)
	}
}

// TestBodyLimit: reading more than the limit is a 413 fault; a malformed
// body is a 400 fault with code 601000.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	_, err := body(strings.Repeat("x", 100), "text/plain", 10).Raw()
	if !errors.Is(err, message.ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	_, err = body(`{"a":`, "application/json", 0).JSON()
	if err == nil || !strings.Contains(err.Error(), "601000") {
		t.Fatalf("got %v", err)
	}
}

// TestErrorCodeNotInteger: a string ERROR_CODE (set without a type) is a
// string code, never a crash, and has no numeric value (DESIGN §3.6).
func TestErrorCodeNotInteger(t *testing.T) {
	t.Parallel()
	m := message.New()
	m.Set("", "ERROR_CODE", "oops")
	c := m.ErrorCode()
	if _, ok := c.Int(); ok || c.String() != "oops" {
		t.Fatalf("code %v", c)
	}
	m.Set("", "ERROR_CODE", "101503")
	if n, ok := m.ErrorCode().Int(); !ok || n != 101503 {
		t.Fatalf("numeric string code: %v", m.ErrorCode())
	}
}

// TestScopes: each scope stores where Synapse does; addressing names win
// over properties of the same name, as get-property does in MI.
func TestScopes(t *testing.T) {
	t.Parallel()
	m := message.New()
	m.Set("transport", "x-a", "1")
	m.Set("axis2", "HTTP_SC", "404")
	m.Set("axis2", "messageType", "application/json")
	m.Set("operation", "op", "o")
	m.Set("", "To", "shadow")
	m.To = "http://real"
	if m.Header.Get("X-A") != "1" || m.Status != 404 || m.GetString("axis2", "messageType") != "application/json" || m.GetString("operation", "op") != "o" {
		t.Fatalf("scopes: %v %d", m.Header, m.Status)
	}
	if m.GetString("", "To") != "http://real" {
		t.Fatalf("To = %q", m.GetString("", "To"))
	}
	m.PushFuncs(map[string]any{"p": "v"})
	if m.GetString("func", "p") != "v" {
		t.Fatal("func scope")
	}
	m.PopFuncs()
	if _, ok := m.Get("func", "p"); ok {
		t.Fatal("func scope survived the template")
	}
}

// TestEnvelopeWithoutBody: an envelope that arrives without a Body gets an
// empty one instead of crashing whatever reads the payload.
func TestEnvelopeWithoutBody(t *testing.T) {
	t.Parallel()
	b := body(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>`, "text/xml", 0)
	if _, err := b.JSON(); err != nil {
		t.Fatal(err)
	}
	out, err := b.Serialize(message.FormatPOX)
	if err != nil || len(out) != 0 {
		t.Fatalf("got %q %v", out, err)
	}
}
