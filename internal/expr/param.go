package expr

import (
	"strings"

	"github.com/busbar/busbar/internal/message"
)

// Param is a value given either literally (value="...") or as an expression
// (expression="..."), as many Synapse attributes are.
type Param struct {
	Lit string
	Ex  *Expr
}

// Eval returns the literal or the expression's string value.
func (p Param) Eval(m *message.Message) (string, error) {
	if p.Ex != nil {
		return p.Ex.EvalString(m)
	}
	return p.Lit, nil
}

// IsDynamic reports whether the value is computed per message.
func (p Param) IsDynamic() bool { return p.Ex != nil }

// Key is a registry key that is either static or, when written as
// "{expression}", computed per message (sequence key="{...}" and friends).
type Key struct {
	Static string
	Ex     *Expr
}

// ParseKey compiles a key attribute.
func ParseKey(src string, ns Namespaces) (Key, error) {
	s := strings.TrimSpace(src)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		e, err := Compile(s[1:len(s)-1], ns)
		if err != nil {
			return Key{}, err
		}
		return Key{Ex: e}, nil
	}
	return Key{Static: s}, nil
}

// Eval returns the key for a message.
func (k Key) Eval(m *message.Message) (string, error) {
	if k.Ex != nil {
		return k.Ex.EvalString(m)
	}
	return k.Static, nil
}
