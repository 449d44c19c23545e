// Package expr compiles and evaluates Synapse expressions: XPath 1.0 with
// Synapse's functions (get-property, base64Encode, url-encode, ...) and
// variables ($body, $header, $ctx:, $trp:, $axis2:, $url:, $func:, $env:),
// and JSONPath written as json-eval(...). Everything is compiled when the
// configuration loads; on the request path only compiled programs run, and
// the body is parsed only if the expression reads it.
package expr

import (
	"fmt"
	"strings"

	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/jsonpath"
	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/xmltree"
	"github.com/busbar/busbar/internal/xpath"
)

// Namespaces resolves the prefixes declared on a configuration element.
type Namespaces func(prefix string) (uri string, ok bool)

// Expr is a compiled Synapse expression.
type Expr struct {
	src string
	xp  *xpath.Expr
	jp  *jsonpath.Path
}

// Compile compiles an expression. "json-eval(PATH)" compiles PATH as
// JSONPath; anything else is XPath 1.0 with Synapse's functions and
// variables, prefixes resolved through ns.
func Compile(src string, ns Namespaces) (*Expr, error) {
	s := strings.TrimSpace(src)
	if s == "" {
		return nil, fmt.Errorf("empty expression")
	}
	if inner, ok := jsonEvalArg(s); ok {
		p, err := jsonpath.Compile(strings.TrimSpace(inner))
		if err != nil {
			return nil, fmt.Errorf("invalid JSONPath in %s: %w", s, err)
		}
		return &Expr{src: s, jp: p}, nil
	}
	x, err := xpath.Compile(s, &xpath.Options{Namespaces: ns, Functions: functions, Variables: variables})
	if err != nil {
		return nil, fmt.Errorf("invalid XPath %q: %w", s, err)
	}
	return &Expr{src: s, xp: x}, nil
}

// MustCompile is Compile that panics (tests and built-in sequences).
func MustCompile(src string, ns Namespaces) *Expr {
	e, err := Compile(src, ns)
	if err != nil {
		panic(err)
	}
	return e
}

func jsonEvalArg(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "json-eval(")
	if !ok || !strings.HasSuffix(rest, ")") {
		return "", false
	}
	return rest[:len(rest)-1], true
}

// String returns the source.
func (e *Expr) String() string { return e.src }

// IsJSONPath reports whether the expression is json-eval(...).
func (e *Expr) IsJSONPath() bool { return e.jp != nil }

// JSONPath returns the compiled JSONPath of a json-eval expression.
func (e *Expr) JSONPath() *jsonpath.Path { return e.jp }

// XPath returns the compiled XPath, or nil for json-eval.
func (e *Expr) XPath() *xpath.Expr { return e.xp }

// NeedsBody reports whether evaluating may parse the message body.
func (e *Expr) NeedsBody() bool { return e.jp != nil || e.xp.NeedsNode() }

// Value evaluates an XPath expression (json-eval yields its string form).
func (e *Expr) Value(m *message.Message) (xpath.Value, error) {
	if e.jp != nil {
		s, err := e.evalJSONString(m)
		return xpath.StringValue(s), err
	}
	v, err := e.xp.Evaluate(m)
	if err != nil {
		return v, evalError(e, err)
	}
	return v, nil
}

// ValueAt evaluates an XPath expression with an explicit context node.
func (e *Expr) ValueAt(m *message.Message, n *xmltree.Node) (xpath.Value, error) {
	if e.jp != nil {
		return e.Value(m)
	}
	v, err := e.xp.EvaluateAt(n, m)
	if err != nil {
		return v, evalError(e, err)
	}
	return v, nil
}

// EvalString evaluates to a string the way Synapse's stringValueOf does: a
// node-set becomes the concatenation of its nodes' values, where an element
// contributes its direct text, or its serialised XML when it has none.
func (e *Expr) EvalString(m *message.Message) (string, error) {
	if e.jp != nil {
		return e.evalJSONString(m)
	}
	v, err := e.Value(m)
	if err != nil {
		return "", err
	}
	return StringOf(v), nil
}

// StringOf renders an XPath value as Synapse's stringValueOf does.
func StringOf(v xpath.Value) string {
	if v.Kind() != xpath.NodeSet {
		return v.String()
	}
	nodes := v.Nodes()
	if len(nodes) == 1 {
		return nodeString(nodes[0])
	}
	var b strings.Builder
	for _, n := range nodes {
		b.WriteString(nodeString(n))
	}
	return b.String()
}

func nodeString(r xpath.NodeRef) string {
	if r.IsAttr() || r.IsNamespace() {
		return r.StringValue()
	}
	n := r.Node()
	switch n.Type {
	case xmltree.ElementNode:
		if t := n.DirectText(); strings.TrimSpace(t) != "" {
			return t
		}
		return n.String()
	case xmltree.DocumentNode:
		if d := n.DocumentElement(); d != nil {
			return d.String()
		}
	}
	return r.StringValue()
}

// EvalBool evaluates with XPath's boolean() conversion; a json-eval is true
// when it matches something other than false, null or "".
func (e *Expr) EvalBool(m *message.Message) (bool, error) {
	if e.jp != nil {
		vals, err := e.EvalJSON(m)
		if err != nil {
			return false, err
		}
		for _, v := range vals {
			if !(v.Kind == jsontree.Null || v.Kind == jsontree.Bool && !v.Bool || v.Kind == jsontree.String && v.Str == "") {
				return true, nil
			}
		}
		return false, nil
	}
	v, err := e.Value(m)
	if err != nil {
		return false, err
	}
	return v.Bool(), nil
}

// EvalNodes evaluates to a node-set; other results are an error.
func (e *Expr) EvalNodes(m *message.Message) ([]xpath.NodeRef, error) {
	if e.jp != nil {
		return nil, fault.Newf(fault.DefaultError, "%s selects JSON, not XML nodes", e.src)
	}
	v, err := e.Value(m)
	if err != nil {
		return nil, err
	}
	if v.Kind() != xpath.NodeSet {
		return nil, fault.Newf(fault.DefaultError, "XPath %s does not select nodes (it gives a %s)", e.src, v.Kind())
	}
	return v.Nodes(), nil
}

// EvalJSON evaluates a json-eval expression against the JSON payload
// (converting an XML payload as MI does).
func (e *Expr) EvalJSON(m *message.Message) ([]*jsontree.Value, error) {
	root, err := m.Body.JSON()
	if err != nil {
		return nil, err
	}
	vals, err := e.jp.Select(root)
	if err != nil {
		return nil, evalError(e, err)
	}
	return vals, nil
}

func (e *Expr) evalJSONString(m *message.Message) (string, error) {
	root, err := m.Body.JSON()
	if err != nil {
		return "", err
	}
	s, _, err := e.jp.EvalString(root)
	if err != nil {
		// Synapse's json-eval yields "" when the path cannot be evaluated
		// (SynapseJsonPath catches the exception); a body that cannot be
		// parsed still fails above.
		return "", nil
	}
	return s, nil
}

func evalError(e *Expr, err error) error {
	if fe, ok := err.(*fault.Error); ok {
		return fe
	}
	return &fault.Error{Code: fault.Num(fault.DefaultError), Message: fmt.Sprintf("Error evaluating expression %s: %v", e.src, err), Detail: err.Error(), Cause: err, State: -1}
}
