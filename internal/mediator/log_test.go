package mediator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/testkit"
)

// seqPrefix is what testkit.Compile writes before a snippet on line 1 of
// test.xml; positions in diagnostics are counted from it.
const seqPrefix = `<definitions xmlns="http://ws.apache.org/ns/synapse"><sequence name="__test">`

// at returns the position of marker inside snippet as diagnostics print it.
func at(t *testing.T, snippet, marker string) string {
	t.Helper()
	i := strings.Index(snippet, marker)
	if i < 0 {
		t.Fatalf("marker %q not in snippet", marker)
	}
	return fmt.Sprintf("test.xml:1:%d", len(seqPrefix)+i+1)
}

// configErrors compiles snippet and returns its errors, failing the test
// when it compiles cleanly.
func configErrors(t *testing.T, snippet string) string {
	t.Helper()
	_, diags := testkit.Compile(`<sequence name="__test">` + snippet + `</sequence>`)
	if !diags.HasErrors() {
		t.Fatalf("expected a configuration error for %s", snippet)
	}
	return diags.Err().Error()
}

// wantConfigError checks that snippet fails to compile with an error at
// marker that mentions cause.
func wantConfigError(t *testing.T, snippet, marker, cause string) {
	t.Helper()
	got := configErrors(t, snippet)
	pos := at(t, snippet, marker)
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, pos+":") && strings.Contains(line, cause) {
			return
		}
	}
	t.Errorf("want an error at %s containing %q, got:\n%s", pos, cause, got)
}

// logRecord is one line written by a log mediator.
type logRecord struct {
	Level     string `json:"level"`
	Msg       string `json:"msg"`
	Path      string `json:"path"`
	MsgID     string `json:"msgId"`
	Artifact  string `json:"artifact"`
	BodyError string `json:"bodyError"`
}

// runLogged runs snippet with a JSON logger over a buffer at level and
// returns the result and the records that carry a mediation path (those of
// log mediators).
func runLogged(t *testing.T, snippet string, in testkit.Input, level slog.Level) (testkit.Result, []logRecord) {
	t.Helper()
	g := testkit.Graph(t, `<sequence name="__test">`+snippet+`</sequence>`)
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: level}))
	m := testkit.NewMessage(in)
	c := engine.NewContext(context.Background(), g, m, &engine.Exchange{Artifact: "sequence[__test]"}, logger)
	ok, err := c.Run(g.Sequence("__test"))
	res := testkit.Result{Msg: m, Continue: ok}
	if err != nil {
		res.Err = fault.Wrap(err)
	}
	var recs []logRecord
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r logRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("log line %s: %v", line, err)
		}
		if r.Path != "" {
			recs = append(recs, r)
		}
	}
	return res, recs
}

// oneLine runs snippet and returns its single log record, with the
// message ID replaced by ID so that expectations can be written out.
func oneLine(t *testing.T, snippet string, in testkit.Input) (testkit.Result, logRecord) {
	t.Helper()
	res, recs := runLogged(t, snippet, in, slog.LevelDebug)
	if res.Err != nil {
		t.Fatalf("unexpected fault: %v", res.Err)
	}
	if len(recs) != 1 {
		t.Fatalf("want 1 log record, got %d: %+v", len(recs), recs)
	}
	r := recs[0]
	r.Msg = strings.ReplaceAll(r.Msg, res.Msg.ID, "ID")
	return res, r
}

const (
	soap11Env = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">` +
		`<soapenv:Header><t:TraceId xmlns:t="urn:trace">abc</t:TraceId><t:Hop xmlns:t="urn:trace">1<x/>2</t:Hop></soapenv:Header>` +
		`<soapenv:Body><ping/></soapenv:Body></soapenv:Envelope>`
	soap12Env = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><ping/></env:Body></env:Envelope>`
)

func TestLogLevels(t *testing.T) {
	t.Parallel()
	soapIn := testkit.Input{Body: soap11Env, ContentType: "text/xml", Header: http.Header{"SOAPAction": {`"urn:getQuote"`}}}
	cases := []struct {
		name    string
		snippet string
		in      testkit.Input
		want    string
	}{
		{"simple is the default", `<log/>`, testkit.Input{Body: `<a/>`, ContentType: "application/xml"},
			"To: /test, MessageID: ID, Direction: request"},
		{"simple with SOAPAction", `<log level="simple"/>`, soapIn,
			"To: /test, WSAction: urn:getQuote, SOAPAction: urn:getQuote, MessageID: ID, Direction: request"},
		{"simple with a SOAP 1.2 action", `<log/>`, testkit.Input{Body: soap12Env, ContentType: `application/soap+xml; charset=utf-8; action="urn:q"`},
			"To: /test, WSAction: urn:q, SOAPAction: urn:q, MessageID: ID, Direction: request"},
		{"simple with properties", `<log><property name="a" value="1"/><property name="b" expression="//b"/></log>`,
			testkit.Input{Body: `<r><b>two</b></r>`, ContentType: "application/xml"},
			"To: /test, MessageID: ID, Direction: request, a = 1, b = two"},
		{"simple with addressing set by header",
			`<header name="From" value="urn:client"/><header name="ReplyTo" value="http://reply"/><header name="Action" value="urn:act"/><log/>`,
			testkit.Input{Body: `{}`, ContentType: "application/json"},
			"To: /test, From: urn:client, WSAction: urn:act, ReplyTo: http://reply, MessageID: ID, Direction: request"},
		{"response direction", `<property name="RESPONSE" value="true"/><log/>`, testkit.Input{Body: `{}`, ContentType: "application/json"},
			"To: /test, MessageID: ID, Direction: response"},
		{"headers level lists the SOAP header blocks", `<log level="headers"><property name="p" value="v"/></log>`, soapIn,
			"TraceId : abc, Hop : 12, p = v"},
		{"headers level on SOAP 1.2 without a header", `<log level="headers"/>`,
			testkit.Input{Body: soap12Env, ContentType: "application/soap+xml"}, ""},
		{"headers level on JSON", `<log level="headers"><property name="id" expression="json-eval($.id)"/></log>`,
			testkit.Input{Body: `{"id":3}`, ContentType: "application/json"}, "id = 3"},
		{"full on POX writes the envelope", `<log level="full"/>`, testkit.Input{Body: `<order><id>7</id></order>`, ContentType: "application/xml"},
			`To: /test, MessageID: ID, Direction: request, Envelope: <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><order><id>7</id></order></soapenv:Body></soapenv:Envelope>`},
		{"full on SOAP 1.2 writes the envelope as it is", `<log level="full"/>`,
			testkit.Input{Body: soap12Env, ContentType: "application/soap+xml"},
			"To: /test, MessageID: ID, Direction: request, Envelope: " + soap12Env},
		{"full on JSON writes the JSON text after the properties", `<log level="full"><property name="k" value="v"/></log>`,
			testkit.Input{Body: `{"id": 1, "tags": ["a"]}`, ContentType: "application/json"},
			`To: /test, MessageID: ID, Direction: request, k = v, Payload: {"id": 1, "tags": ["a"]}`},
		{"logFullPayload forces full", `<log level="custom" logFullPayload="true"/>`,
			testkit.Input{Body: `{"a":1}`, ContentType: "application/json"},
			`To: /test, MessageID: ID, Direction: request, Payload: {"a":1}`},
		{"custom writes the properties only", `<log level="custom"><property name="a" value="1"/><property name="b" value="2"/></log>`,
			testkit.Input{Body: `<a/>`, ContentType: "application/xml"}, "a = 1, b = 2"},
		{"custom with logMessageID", `<log level="custom" logMessageID="true"><property name="a" value="1"/></log>`,
			testkit.Input{Body: `<a/>`, ContentType: "application/xml"}, "MessageID: ID, a = 1"},
		{"custom separator", `<log level="custom" separator=" | "><property name="a" value="1"/><property name="b" value="2"/></log>`,
			testkit.Input{}, "a = 1 | b = 2"},
		{"escaped new line separator", `<log level="custom" separator="\n"><property name="a" value="1"/><property name="b" value="2"/></log>`,
			testkit.Input{}, "a = 1\nb = 2"},
		{"message without a level", `<log><message>Order received</message><property name="a" value="1"/></log>`,
			testkit.Input{}, "Order received, a = 1"},
		{"message with logMessageID", `<log logMessageID="true"><message>hi\tthere</message></log>`,
			testkit.Input{}, "MessageID: ID, hi\tthere"},
		{"message before the simple fields", `<log level="simple"><message>Order received</message></log>`,
			testkit.Input{}, "Order received, To: /test, MessageID: ID, Direction: request"},
		{"get-property of a typed property", `<property name="n" value="5" type="INTEGER"/><log level="custom"><property name="n" expression="get-property('n') + 1"/></log>`,
			testkit.Input{}, "n = 6"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, r := oneLine(t, tc.snippet, tc.in)
			if r.Msg != tc.want {
				t.Errorf("log line\n got: %q\nwant: %q", r.Msg, tc.want)
			}
			if !strings.HasPrefix(r.Path, "sequence[__test]/log[") {
				t.Errorf("path = %q", r.Path)
			}
			if r.Artifact != "sequence[__test]" || r.MsgID == "" {
				t.Errorf("record lacks artifact or msgId: %+v", r)
			}
		})
	}
}

func TestLogCategories(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":      "INFO",
		"INFO":  "INFO",
		"info":  "INFO",
		"TRACE": "DEBUG",
		"Debug": "DEBUG",
		"WARN":  "WARN",
		"ERROR": "ERROR",
		"fatal": "ERROR",
	}
	for cat, want := range cases {
		t.Run("category="+cat, func(t *testing.T) {
			t.Parallel()
			snippet := `<log level="custom"><property name="a" value="1"/></log>`
			if cat != "" {
				snippet = `<log level="custom" category="` + cat + `"><property name="a" value="1"/></log>`
			}
			_, r := oneLine(t, snippet, testkit.Input{})
			if r.Level != want {
				t.Errorf("level = %s, want %s", r.Level, want)
			}
		})
	}
}

// TestLogKeepsStreaming checks the pass-through promise: simple and custom
// logs that need nothing from the body leave it unread, and a disabled
// category evaluates nothing at all.
func TestLogKeepsStreaming(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		snippet string
		level   slog.Level
		lines   int
	}{
		{"custom with literals", `<log level="custom"><property name="a" value="1"/></log>`, slog.LevelInfo, 1},
		{"custom with get-property", `<log level="custom"><property name="to" expression="get-property('To')"/><property name="m" expression="$trp:Content-Type"/></log>`, slog.LevelInfo, 1},
		{"simple", `<log/>`, slog.LevelInfo, 1},
		{"message template", `<log><message>hello</message></log>`, slog.LevelInfo, 1},
		{"disabled category is not evaluated", `<log level="full" category="DEBUG"><property name="x" expression="json-eval($.x)"/></log>`, slog.LevelInfo, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, recs := runLogged(t, tc.snippet, testkit.Input{Body: `{"x":1}`, ContentType: "application/json"}, tc.level)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if len(recs) != tc.lines {
				t.Errorf("got %d log lines, want %d", len(recs), tc.lines)
			}
			if !res.Msg.Body.IsStream() {
				t.Error("the log mediator read the body")
			}
		})
	}
}

func TestLogEvaluationFailures(t *testing.T) {
	t.Parallel()
	t.Run("XPath error fails the flow as in MI", func(t *testing.T) {
		t.Parallel()
		res, recs := runLogged(t, `<log level="custom"><property name="x" expression="base64Decode('%%%')"/></log>`, testkit.Input{}, slog.LevelDebug)
		if res.Err == nil || !strings.Contains(res.Err.Message, "base64Decode") {
			t.Fatalf("want a fault from base64Decode, got %v", res.Err)
		}
		if len(recs) != 0 {
			t.Errorf("nothing should be logged: %+v", recs)
		}
	})
	t.Run("json-eval error logs an empty value as in MI", func(t *testing.T) {
		t.Parallel()
		_, r := oneLine(t, `<log level="custom"><property name="x" expression="json-eval($.a.avg())"/><property name="y" value="1"/></log>`,
			testkit.Input{Body: `{"a":[]}`, ContentType: "application/json"})
		if r.Msg != "x = , y = 1" {
			t.Errorf("log line %q", r.Msg)
		}
	})
	t.Run("full on a malformed body logs the raw bytes and continues", func(t *testing.T) {
		t.Parallel()
		res, r := oneLine(t, `<log level="full"/><property name="after" value="yes"/>`, testkit.Input{Body: `<a><b></a>`, ContentType: "application/xml"})
		if !strings.HasSuffix(r.Msg, "Payload: <a><b></a>") || r.BodyError == "" {
			t.Errorf("record %+v", r)
		}
		if res.Prop("after") != "yes" {
			t.Error("the flow did not continue")
		}
	})
	t.Run("headers on a malformed body logs no headers and continues", func(t *testing.T) {
		t.Parallel()
		_, r := oneLine(t, `<log level="headers"><property name="p" value="v"/></log>`, testkit.Input{Body: `<a>`, ContentType: "text/xml"})
		if r.Msg != "p = v" || r.BodyError == "" {
			t.Errorf("record %+v", r)
		}
	})
	t.Run("a property that reads a malformed body fails the flow", func(t *testing.T) {
		t.Parallel()
		res, _ := runLogged(t, `<log level="custom"><property name="x" expression="json-eval($.a)"/></log>`,
			testkit.Input{Body: `{"a":`, ContentType: "application/json"}, slog.LevelDebug)
		if res.Err == nil {
			t.Fatal("want a parse fault")
		}
	})
}

func TestLogConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet, marker, cause string
	}{
		{"unknown level", `<log level="verbose"/>`, `level=`, `level="verbose" must be one of simple, headers, full, custom`},
		{"unknown category", `<log category="LOUD"/>`, `category=`, `category="LOUD" must be one of INFO, TRACE, DEBUG, WARN, ERROR, FATAL`},
		{"bad logFullPayload", `<log logFullPayload="yes"/>`, `logFullPayload=`, `must be true or false`},
		{"Synapse expression in message", `<log><message>id ${payload.id}</message></log>`, `<message>`, `Synapse expression (${payload.id}`},
		{"element in message", `<log><message>a<b/></message></log>`, `<b/>`, `<message> holds text only`},
		{"property without name", `<log><property value="1"/></log>`, `<property`, `a log <property> needs a name`},
		{"property with empty value", `<log><property name="a" value=" "/></log>`, `value=`, `log property "a" has an empty value`},
		{"property with value and expression", `<log><property name="a" value="1" expression="//a"/></log>`, `<property`, `has both "value" and "expression"`},
		{"property with neither", `<log><property name="a"/></log>`, `<property`, `needs a "value" or an "expression" attribute`},
		{"bad XPath", `<log><property name="a" expression="//a["/></log>`, `expression=`, `invalid XPath`},
		{"unknown child", `<log><payload/></log>`, `<payload/>`, `unknown element <payload> in <log>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantConfigError(t, tc.snippet, tc.marker, tc.cause)
		})
	}
}

func TestLogPropertyScopeAttributeAccepted(t *testing.T) {
	t.Parallel()
	_, diags := testkit.Compile(`<sequence name="__test"><log><property name="a" value="1" scope="axis2"/><property name="b" value="2" colour="red"/></log></sequence>`)
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	ws := diags.Warnings()
	if len(ws) != 1 || !strings.Contains(ws[0].Msg, `unknown attribute "colour"`) {
		t.Errorf("warnings: %v", ws)
	}
}
