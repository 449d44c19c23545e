package mediator

import (
	"strings"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "throwError",
		Aliases: []string{"org.apache.synapse.mediators.v2.ThrowError"},
		Summary: "Fails the flow on purpose: ERROR_CODE becomes the type string and ERROR_MESSAGE the message, and the innermost fault handler runs.",
		Attrs: []registry.Attr{
			{Name: "type", Default: "ANY", Doc: "Error type; becomes ERROR_CODE (a string)."},
			{Name: "errorMessage", Default: "Error occurred in the mediation flow", Doc: "Literal, or {xpath} evaluated per message."},
		},
		Examples: []registry.Example{{
			Title: "Reject an order without items", Config: `<throwError type="VALIDATION" errorMessage="{concat('bad order ', //id)}"/>`,
			Input: `<order><id>7</id></order>`, InputType: "application/xml", Fault: "VALIDATION",
		}},
	}, newThrowError)
}

type throwError struct {
	typ string
	msg expr.Param
}

func newThrowError(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	t := &throwError{typ: strings.TrimSpace(el.Get("type")), msg: expr.Param{Lit: el.Get("errorMessage")}}
	if t.typ == "" {
		t.typ = "ANY"
	}
	if s := strings.TrimSpace(t.msg.Lit); strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		inner := strings.TrimSpace(s[1 : len(s)-1])
		if strings.HasPrefix(inner, "${") {
			b.Errorf(el.Attr("errorMessage").Pos, "Synapse expressions (${...}) are not supported by Busbar yet; use {xpath}")
		} else {
			t.msg = expr.Param{Ex: b.Expr(el, inner, el.Attr("errorMessage").Pos)}
		}
	}
	if t.msg.Ex == nil && t.msg.Lit == "" {
		t.msg.Lit = "Error occurred in the mediation flow"
	}
	return t, nil
}

func (t *throwError) Mediate(c *engine.Context) (bool, error) {
	msg, err := t.msg.Eval(c.Msg)
	if err != nil {
		return false, err
	}
	return false, &fault.Error{Code: fault.Str(t.typ), Message: msg, Detail: msg, State: -1}
}
