package registry

import (
	"strconv"
	"strings"
	"time"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/expr"
)

// Builder is what compile offers a factory. Errors and warnings are
// collected, not returned, so that one load reports all of them; a factory
// that records an error may return a nil component.
type Builder interface {
	// Path is the mediation path of the element being built.
	Path() string
	Errorf(pos config.Pos, format string, args ...any)
	Warnf(pos config.Pos, format string, args ...any)
	// Expr compiles an expression written on el (its namespaces in scope);
	// it reports an error at pos and returns nil when it does not compile.
	Expr(el *config.Element, src string, pos config.Pos) *expr.Expr
	// Key compiles a key that may be "{expression}".
	Key(el *config.Element, src string, pos config.Pos) expr.Key
	// Mediators compiles the mediator children of el; seg is the path
	// segment for them (e.g. "then").
	Mediators(el *config.Element, seg string) *engine.Sequence
	// SequenceRef refers to a named sequence; a missing name is a warning
	// (MI resolves keys per message).
	SequenceRef(key string, pos config.Pos) engine.SeqRef
	// Endpoint compiles an inline <endpoint> element.
	Endpoint(el *config.Element) engine.Endpoint
	// EndpointRef refers to a named endpoint; a missing name is a warning
	// and fails at run time with 305100.
	EndpointRef(key string, pos config.Pos) engine.EndpointRef
	// HasTemplate reports whether a sequence template exists (for
	// call-template's warning).
	HasTemplate(name string) bool
	// LocalEntry returns a local entry or nil.
	LocalEntry(key string) *config.LocalEntry
	// Options are the deployment-wide settings.
	Options() engine.Options
	// OnClose registers a function to run when the graph being built is
	// retired (stopping a component's background goroutine).
	OnClose(f func())
	// Graph is the graph being built. It is incomplete until compile
	// finishes: components (processors) may keep the pointer and use it
	// once started, never during their factory.
	Graph() *engine.Graph
}

// Required returns a required attribute, reporting its absence.
func Required(b Builder, el *config.Element, name string) (string, bool) {
	v, ok := el.AttrValue(name)
	if !ok || strings.TrimSpace(v) == "" {
		b.Errorf(el.Pos, "<%s> needs a %q attribute", el.Display(), name)
		return "", false
	}
	return v, true
}

// Bool reads a true/false attribute.
func Bool(b Builder, el *config.Element, name string, def bool) bool {
	a := el.Attr(name)
	if a == nil {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(a.Value)) {
	case "true":
		return true
	case "false":
		return false
	}
	b.Errorf(a.Pos, "%s=%q must be true or false", name, a.Value)
	return def
}

// Int reads an integer attribute.
func Int(b Builder, el *config.Element, name string, def int) int {
	a := el.Attr(name)
	if a == nil {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(a.Value))
	if err != nil {
		b.Errorf(a.Pos, "%s=%q must be an integer", name, a.Value)
		return def
	}
	return n
}

// Enum reads an attribute restricted to values (compared case-insensitively;
// the canonical spelling is returned).
func Enum(b Builder, el *config.Element, name, def string, values ...string) string {
	a := el.Attr(name)
	if a == nil {
		return def
	}
	for _, v := range values {
		if strings.EqualFold(strings.TrimSpace(a.Value), v) {
			return v
		}
	}
	b.Errorf(a.Pos, "%s=%q must be one of %s", name, a.Value, strings.Join(values, ", "))
	return def
}

// Millis reads a duration in milliseconds.
func Millis(b Builder, el *config.Element, name string, def time.Duration) time.Duration {
	a := el.Attr(name)
	if a == nil {
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(a.Value), 10, 64)
	if err != nil || n < 0 {
		b.Errorf(a.Pos, "%s=%q must be a number of milliseconds", name, a.Value)
		return def
	}
	return time.Duration(n) * time.Millisecond
}

// ValueOrExpr reads a value given as a literal attribute or an expression
// attribute (exactly one of them, if required).
func ValueOrExpr(b Builder, el *config.Element, valueAttr, exprAttr string, required bool) (expr.Param, bool) {
	v, hasV := el.AttrValue(valueAttr)
	x, hasX := el.AttrValue(exprAttr)
	switch {
	case hasV && hasX:
		b.Errorf(el.Pos, "<%s> has both %q and %q; give one", el.Display(), valueAttr, exprAttr)
		return expr.Param{}, false
	case hasX:
		e := b.Expr(el, x, el.Attr(exprAttr).Pos)
		return expr.Param{Ex: e}, e != nil
	case hasV:
		return expr.Param{Lit: v}, true
	}
	if required {
		b.Errorf(el.Pos, "<%s> needs a %q or an %q attribute", el.Display(), valueAttr, exprAttr)
	}
	return expr.Param{}, false
}
