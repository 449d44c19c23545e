package mediator_test

import (
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/testkit"
)

// TestLoopbackOnResponsePath: a loopback on a message that is already a
// response answers the client rather than re-running the out path forever.
func TestLoopbackOnResponsePath(t *testing.T) {
	t.Parallel()
	res := testkit.Run(t, `<property name="RESPONSE" value="true"/><loopback/>`, testkit.Input{Body: `<a/>`, ContentType: "application/xml"})
	if res.Err != nil || len(res.Responses) != 1 || res.Responses[0].Body != `<a/>` {
		t.Fatalf("got %+v", res)
	}
}

// TestFlowMediators covers the control-flow mediators' branches and errors.
func TestFlowMediators(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, snippet, body, ct string
		props                   map[string]string
		fault                   string
		cont                    bool
	}{
		{name: "filter regex is a full match", snippet: `<filter source="'abc'" regex="b"><then><property name="r" value="then"/></then><else><property name="r" value="else"/></else></filter>`,
			props: map[string]string{"r": "else"}, cont: true},
		{name: "filter without branches", snippet: `<filter xpath="1 = 1"><property name="r" value="yes"/></filter>`, props: map[string]string{"r": "yes"}, cont: true},
		{name: "filter false without else continues", snippet: `<filter xpath="false()"><then><drop/></then></filter><property name="after" value="1"/>`, props: map[string]string{"after": "1"}, cont: true},
		{name: "switch default", snippet: `<switch source="$ctx:k"><case regex="a"><property name="r" value="a"/></case><default><property name="r" value="d"/></default></switch>`,
			props: map[string]string{"r": "d"}, cont: true},
		{name: "switch on transport header", snippet: `<switch source="$trp:X-Route"><case regex="blue|green"><property name="r" expression="$trp:X-Route"/></case></switch>`,
			props: map[string]string{"r": "green"}, cont: true},
		{name: "in runs for requests only", snippet: `<in><property name="i" value="1"/></in><out><property name="o" value="1"/></out>`, props: map[string]string{"i": "1", "o": ""}, cont: true},
		{name: "drop stops", snippet: `<drop/><property name="never" value="1"/>`, props: map[string]string{"never": ""}, cont: false},
		{name: "missing sequence key fails at run time", snippet: `<sequence key="nope"/>`, fault: "0"},
		{name: "dynamic sequence key", snippet: `<sequence key="{concat('set', 'Flag')}"/>`, props: map[string]string{"flag": "set"}, cont: true},
		{name: "inline anonymous sequence", snippet: `<sequence><property name="r" value="inline"/></sequence>`, props: map[string]string{"r": "inline"}, cont: true},
		{name: "throwError default type and message", snippet: `<throwError/>`, fault: "ANY"},
		{name: "missing template fails", snippet: `<call-template target="none"/>`, fault: "0"},
		{name: "mandatory template parameter", snippet: `<call-template target="needs"/>`, fault: "0"},
		{name: "template default parameter", snippet: `<call-template target="greet"><with-param name="who" value="you"/></call-template>`, props: map[string]string{"greeting": "hello you"}, cont: true},
	}
	extra := exampleArtifacts + `<template name="needs"><parameter name="p" isMandatory="true"/><sequence><drop/></sequence></template>`
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, ct := tc.body, tc.ct
			if ct == "" {
				body, ct = `{"k":"z"}`, "application/json"
			}
			res := testkit.Run(t, tc.snippet, testkit.Input{Body: body, ContentType: ct, Header: map[string][]string{"X-Route": {"green"}}}, extra)
			if tc.fault != "" {
				if res.Err == nil || res.Err.Code.String() != tc.fault {
					t.Fatalf("fault = %v, want code %s", res.Err, tc.fault)
				}
				return
			}
			if res.Err != nil {
				t.Fatalf("unexpected fault %v", res.Err)
			}
			if res.Continue != tc.cont {
				t.Errorf("continue = %v, want %v", res.Continue, tc.cont)
			}
			for k, v := range tc.props {
				if got := res.Prop(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestCallTemplateWarnsOnUnknownTarget: an unknown template is a warning at
// load time (resolved per message as in MI), not an error.
func TestCallTemplateWarnsOnUnknownTarget(t *testing.T) {
	t.Parallel()
	g, diags := testkit.Compile(`<sequence name="s"><call-template target="ghost"/></sequence>`)
	if g == nil {
		t.Fatalf("should compile: %v", diags.Err())
	}
	defer g.Close()
	if w := diags.Warnings(); len(w) != 1 || !strings.Contains(w[0].String(), `template "ghost" is not defined`) {
		t.Fatalf("warnings: %v", w)
	}
}
