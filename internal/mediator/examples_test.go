package mediator_test

import (
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/testkit"
	"github.com/busbar/busbar/internal/xmltree"
)

// exampleArtifacts are artifacts some documented examples refer to.
const exampleArtifacts = `
<sequence name="setFlag"><property name="flag" value="set"/></sequence>
<template name="greet"><parameter name="who"/><sequence>
  <property name="greeting" expression="concat('hello ', $func:who)"/>
</sequence></template>`

// TestExamples runs every documented example of every mediator: the docs
// are generated from the same specs, so a broken example fails here.
func TestExamples(t *testing.T) {
	t.Parallel()
	for _, e := range registry.Default.Walk(registry.KindMediator) {
		for _, ex := range e.Spec.Examples {
			t.Run(e.Spec.Element+"/"+ex.Title, func(t *testing.T) {
				t.Parallel()
				res := testkit.Run(t, ex.Config, testkit.Input{Body: ex.Input, ContentType: ex.InputType}, exampleArtifacts)
				if ex.Fault != "" {
					if res.Err == nil {
						t.Fatalf("expected fault %s, got none", ex.Fault)
					}
					if got := res.Err.Code.String(); got != ex.Fault {
						t.Fatalf("fault code = %s, want %s (%v)", got, ex.Fault, res.Err)
					}
					return
				}
				if res.Err != nil {
					t.Fatalf("unexpected fault: %v", res.Err)
				}
				for k, want := range ex.Props {
					if got := res.Prop(k); got != want {
						t.Errorf("property %s = %q, want %q", k, got, want)
					}
				}
				if ex.Output != "" {
					got := res.Body(t)
					if len(res.Responses) > 0 {
						got = res.Responses[len(res.Responses)-1].Body
					}
					if !sameContent(got, ex.Output) {
						t.Errorf("output:\n got: %s\nwant: %s", got, ex.Output)
					}
				}
				if ex.OutputType != "" {
					_, ct := res.Msg.OutFormat()
					if len(res.Responses) > 0 {
						ct = res.Responses[len(res.Responses)-1].ContentType
					}
					if message.MediaType(ct) != ex.OutputType {
						t.Errorf("content type = %q, want %q", ct, ex.OutputType)
					}
				}
			})
		}
	}
}

// sameContent compares XML structurally and anything else literally
// (ignoring surrounding whitespace).
func sameContent(got, want string) bool {
	got, want = strings.TrimSpace(got), strings.TrimSpace(want)
	if strings.HasPrefix(want, "<") {
		a, err1 := xmltree.Parse([]byte(got))
		b, err2 := xmltree.Parse([]byte(want))
		if err1 == nil && err2 == nil {
			return xmltree.Equal(a, b)
		}
	}
	return got == want
}
