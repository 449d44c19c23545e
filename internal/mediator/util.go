package mediator

import (
	"regexp"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/registry"
)

// fullMatch compiles a Java-style regex that must match the whole input,
// as java.util.regex.Matcher.matches() does in Synapse. Go's RE2 syntax
// lacks back-references and look-around; such patterns are configuration
// errors naming the attribute.
func fullMatch(b registry.Builder, el *config.Element, attr string) *regexp.Regexp {
	a := el.Attr(attr)
	if a == nil {
		return nil
	}
	if _, err := regexp.Compile(a.Value); err != nil {
		b.Errorf(a.Pos, "%s=%q is not a valid regular expression (Busbar uses RE2 syntax: no back-references or look-around): %v", attr, a.Value, err)
		return nil
	}
	re, err := regexp.Compile(`^(?:` + a.Value + `)$`)
	if err != nil {
		b.Errorf(a.Pos, "%s=%q is not a valid regular expression (Busbar uses RE2 syntax: no back-references or look-around): %v", attr, a.Value, err)
		return nil
	}
	return re
}
