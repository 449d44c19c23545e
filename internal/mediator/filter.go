package mediator

import (
	"regexp"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "filter",
		Aliases: []string{"org.apache.synapse.mediators.filters.FilterMediator"},
		Summary: "Runs <then> when a condition holds and <else> otherwise; the condition is source+regex (full match) or a boolean xpath.",
		Doc: "Without <then>/<else> children, the filter's own mediators run when the condition holds. " +
			"`source` and `xpath` accept XPath 1.0 with Synapse functions or json-eval(...).",
		Attrs: []registry.Attr{
			{Name: "source", Type: "expression", Doc: "Expression whose string value is matched against regex."},
			{Name: "regex", Type: "regex", Doc: "Regular expression the whole source value must match."},
			{Name: "xpath", Type: "expression", Doc: "Boolean condition."},
		},
		Children:  []registry.Child{{Name: "then"}, {Name: "else"}},
		Mediators: true,
		Examples: []registry.Example{
			{
				Title:  "Route on a JSON field",
				Config: `<filter source="json-eval($.type)" regex="gold|platinum"><then><property name="tier" value="premium"/></then><else><property name="tier" value="standard"/></else></filter>`,
				Input:  `{"type":"gold"}`, InputType: "application/json", Props: map[string]string{"tier": "premium"},
			},
			{
				Title:  "XPath condition on XML",
				Config: `<filter xpath="//order/total &gt; 100"><property name="big" value="yes"/></filter>`,
				Input:  `<order><total>250</total></order>`, InputType: "application/xml", Props: map[string]string{"big": "yes"},
			},
		},
	}, newFilter)
}

type filterMediator struct {
	source *expr.Expr
	regex  *regexp.Regexp
	cond   *expr.Expr
	then   *engine.Sequence
	els    *engine.Sequence
}

func newFilter(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	f := &filterMediator{}
	_, hasX := el.AttrValue("xpath")
	_, hasS := el.AttrValue("source")
	_, hasR := el.AttrValue("regex")
	switch {
	case hasX && (hasS || hasR):
		b.Errorf(el.Pos, "<filter> takes either xpath or source and regex, not both")
	case hasX:
		f.cond = b.Expr(el, el.Get("xpath"), el.Attr("xpath").Pos)
	case hasS && hasR:
		f.source = b.Expr(el, el.Get("source"), el.Attr("source").Pos)
		f.regex = fullMatch(b, el, "regex")
	default:
		b.Errorf(el.Pos, "<filter> needs an xpath attribute, or source and regex attributes")
	}
	then, els := el.Child("then"), el.Child("else")
	if then == nil && els == nil {
		f.then = b.Mediators(el, "")
		return f, nil
	}
	for _, c := range el.Children {
		if !c.IsSynapse() || (c.Name.Local != "then" && c.Name.Local != "else" && c.Name.Local != "description") {
			b.Errorf(c.Pos, "a <filter> with <then>/<else> holds nothing else; found <%s>", c.Display())
		}
	}
	if then != nil {
		f.then = b.Mediators(then, "then")
	}
	if els != nil {
		f.els = b.Mediators(els, "else")
	}
	return f, nil
}

func (f *filterMediator) test(c *engine.Context) (bool, error) {
	if f.cond != nil {
		return f.cond.EvalBool(c.Msg)
	}
	if f.source == nil || f.regex == nil {
		return false, nil
	}
	s, err := f.source.EvalString(c.Msg)
	if err != nil {
		return false, err
	}
	return f.regex.MatchString(s), nil
}

func (f *filterMediator) Mediate(c *engine.Context) (bool, error) {
	ok, err := f.test(c)
	if err != nil {
		return false, err
	}
	branch := f.els
	if ok {
		branch = f.then
	}
	if branch == nil {
		return true, nil
	}
	return c.Run(branch)
}
