package mediator

import (
	"fmt"
	"strings"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "call-template",
		Aliases: []string{"org.apache.synapse.mediators.template.InvokeMediator"},
		Summary: "Runs a sequence template with parameters, readable inside it as $func:name or get-property('func','name').",
		Doc: "A <with-param> value is a literal, or {xpath} evaluated in the caller's context when the template is " +
			"invoked. Parameters that are not passed take the template's defaultValue; a missing mandatory one fails.",
		Attrs: []registry.Attr{
			{Name: "target", Required: true, Doc: "Name of the sequence template."},
			{Name: "onError", Type: "key", Doc: "Fault sequence while the template runs."},
		},
		Children: []registry.Child{{Name: "with-param", Multiple: true, Doc: "name and value (literal or {xpath})."}},
		Examples: []registry.Example{{
			Title:  "Greet through a template",
			Config: `<call-template target="greet"><with-param name="who" value="{//name}"/></call-template>`,
			Input:  `<p><name>Ada</name></p>`, InputType: "application/xml", Props: map[string]string{"greeting": "hello Ada"},
		}},
	}, newCallTemplate)
}

type withParam struct {
	name string
	val  expr.Param
}

type callTemplate struct {
	target  string
	params  []withParam
	onError engine.SeqRef
}

func newCallTemplate(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	t := &callTemplate{target: el.Get("target")}
	if t.target != "" && !b.HasTemplate(t.target) {
		b.Warnf(el.Pos, "template %q is not defined; invoking it fails at run time", t.target)
	}
	if a := el.Attr("onError"); a != nil {
		t.onError = b.SequenceRef(a.Value, a.Pos)
	}
	for _, p := range el.ChildrenNamed("with-param") {
		name := p.Get("name")
		if name == "" {
			b.Errorf(p.Pos, "<with-param> needs a name")
			continue
		}
		v := p.Get("value")
		wp := withParam{name: name, val: expr.Param{Lit: v}}
		if s := strings.TrimSpace(v); strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			pos := p.Pos
			if a := p.Attr("value"); a != nil {
				pos = a.Pos
			}
			wp.val = expr.Param{Ex: b.Expr(p, s[1:len(s)-1], pos)}
		}
		t.params = append(t.params, wp)
	}
	return t, nil
}

func (t *callTemplate) Mediate(c *engine.Context) (bool, error) {
	tmpl := c.G.Templates[t.target]
	if tmpl == nil {
		return false, fault.Newf(fault.DefaultError, "Sequence template %s cannot be found", t.target)
	}
	params, err := t.bind(c, tmpl)
	if err != nil {
		return false, err
	}
	if t.onError.IsSet() {
		if h, err := t.onError.Resolve(c.G); err == nil {
			c.PushHandler(h)
		}
	}
	c.Msg.PushFuncs(params)
	defer c.Msg.PopFuncs()
	return c.Run(tmpl.Sequence)
}

func (t *callTemplate) bind(c *engine.Context, tmpl *engine.Template) (map[string]any, error) {
	params := make(map[string]any, len(tmpl.Params))
	for _, p := range tmpl.Params {
		if p.Default != "" {
			params[p.Name] = p.Default
		}
	}
	for _, wp := range t.params {
		v, err := wp.val.Eval(c.Msg)
		if err != nil {
			return nil, err
		}
		params[wp.name] = v
	}
	for _, p := range tmpl.Params {
		if _, ok := params[p.Name]; !ok && p.Mandatory {
			return nil, fault.New(fault.DefaultError, fmt.Sprintf("mandatory parameter %q of template %s is missing", p.Name, tmpl.Name))
		}
	}
	return params, nil
}
