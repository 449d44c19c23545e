package mediator

import (
	"fmt"
	"regexp"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/registry"
)

func init() {
	registry.RegisterMediator(registry.Spec{
		Element: "switch",
		Aliases: []string{"org.apache.synapse.mediators.filters.SwitchMediator"},
		Summary: "Evaluates source once and runs the first <case> whose regex matches it entirely, else <default>.",
		Attrs:   []registry.Attr{{Name: "source", Type: "expression", Required: true, Doc: "XPath or json-eval(...) giving the value to switch on."}},
		Children: []registry.Child{
			{Name: "case", Multiple: true, Doc: "regex attribute; mediators to run when it matches."},
			{Name: "default", Doc: "Mediators to run when no case matches."},
		},
		Examples: []registry.Example{{
			Title: "Switch on a SOAP payload",
			Config: `<switch source="//m:symbol" xmlns:m="http://services.samples"><case regex="IBM"><property name="exchange" value="NYSE"/></case>` +
				`<case regex="MSFT|GOOG"><property name="exchange" value="NASDAQ"/></case><default><property name="exchange" value="other"/></default></switch>`,
			Input:     `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><m:getQuote xmlns:m="http://services.samples"><m:symbol>MSFT</m:symbol></m:getQuote></soapenv:Body></soapenv:Envelope>`,
			InputType: "text/xml", Props: map[string]string{"exchange": "NASDAQ"},
		}},
	}, newSwitch)
}

type switchCase struct {
	re  *regexp.Regexp
	seq *engine.Sequence
}

type switchMediator struct {
	source *expr.Expr
	cases  []switchCase
	def    *engine.Sequence
}

func newSwitch(b registry.Builder, el *config.Element) (engine.Mediator, error) {
	s := &switchMediator{}
	if a := el.Attr("source"); a != nil {
		s.source = b.Expr(el, a.Value, a.Pos)
	}
	n := 0
	for _, c := range el.Children {
		switch c.Name.Local {
		case "case":
			n++
			if _, ok := c.AttrValue("regex"); !ok {
				b.Errorf(c.Pos, "<case> needs a regex attribute")
				continue
			}
			s.cases = append(s.cases, switchCase{re: fullMatch(b, c, "regex"), seq: b.Mediators(c, fmt.Sprintf("case[%d]", n))})
		case "default":
			if s.def != nil {
				b.Errorf(c.Pos, "<switch> has more than one <default>")
			}
			s.def = b.Mediators(c, "default")
		}
	}
	return s, nil
}

func (s *switchMediator) Mediate(c *engine.Context) (bool, error) {
	v, err := s.source.EvalString(c.Msg)
	if err != nil {
		return false, err
	}
	for _, cs := range s.cases {
		if cs.re != nil && cs.re.MatchString(v) {
			return c.Run(cs.seq)
		}
	}
	if s.def != nil {
		return c.Run(s.def)
	}
	return true, nil
}
