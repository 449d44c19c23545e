package expr

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/xmltree"
	"github.com/busbar/busbar/internal/xpath"
)

const nsSynapse = "http://ws.apache.org/ns/synapse"

type fnSpec struct {
	min, max int
	fn       func(c *xpath.Context, args []xpath.Value) (xpath.Value, error)
}

// synapseFunctions are the XPath extension functions Synapse registers.
var synapseFunctions = map[string]fnSpec{
	"get-property": {1, 2, getProperty},
	"base64Encode": {1, 2, base64Encode},
	"base64Decode": {1, 2, base64Decode},
	"url-encode":   {1, 2, urlEncode},
	"url-decode":   {1, 2, urlDecode},
}

func functions(space, local string, nargs int) (xpath.Function, error) {
	if space != "" && space != nsSynapse {
		return xpath.Function{}, fmt.Errorf("unknown function {%s}%s", space, local)
	}
	f, ok := synapseFunctions[local]
	if !ok {
		return xpath.Function{}, fmt.Errorf("unknown function %s()", local)
	}
	if nargs < f.min || nargs > f.max {
		return xpath.Function{}, fmt.Errorf("%s() takes %d to %d arguments, not %d", local, f.min, f.max, nargs)
	}
	return xpath.Function{Fn: f.fn}, nil
}

func msgOf(c *xpath.Context) *message.Message {
	m, _ := c.Env().(*message.Message)
	return m
}

// getProperty is get-property([scope,] name): the property's string value,
// or a node-set when the property holds XML (type OM).
func getProperty(c *xpath.Context, args []xpath.Value) (xpath.Value, error) {
	m := msgOf(c)
	if m == nil {
		return xpath.StringValue(""), nil
	}
	scope, name := message.ScopeDefault, args[0].String()
	if len(args) == 2 {
		if name == "SYSTEM_DATE" {
			return xpath.StringValue(time.Now().Format(JavaDateLayout(args[1].String()))), nil
		}
		scope, name = strings.ToLower(name), args[1].String()
		if !knownScope(scope) {
			scope = message.ScopeDefault
		}
	}
	return propertyValue(m.Get(scope, name)), nil
}

// propertyValue is a property as XPath sees it: a node-set for XML (type
// OM) values, a string for anything else, "" when absent.
func propertyValue(v any, ok bool) xpath.Value {
	if !ok {
		return xpath.StringValue("")
	}
	if n, isNode := v.(*xmltree.Node); isNode {
		return xpath.NodeSetValue(xpath.NodeOf(n))
	}
	return xpath.StringValue(message.ValueString(v))
}

func knownScope(s string) bool {
	switch s {
	case message.ScopeDefault, message.ScopeTransport, message.ScopeAxis2, message.ScopeAxis2Client, message.ScopeOperation,
		message.ScopeFunc, message.ScopeSystem, message.ScopeEnv, message.ScopeRegistry, message.ScopeFile:
		return true
	}
	return false
}

func base64Encode(_ *xpath.Context, args []xpath.Value) (xpath.Value, error) {
	return xpath.StringValue(base64.StdEncoding.EncodeToString([]byte(args[0].String()))), nil
}

func base64Decode(_ *xpath.Context, args []xpath.Value) (xpath.Value, error) {
	s := strings.TrimSpace(args[0].String())
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
			return xpath.Value{}, fmt.Errorf("base64Decode: %v", err)
		}
	}
	return xpath.StringValue(string(b)), nil
}

func urlEncode(_ *xpath.Context, args []xpath.Value) (xpath.Value, error) {
	return xpath.StringValue(JavaURLEncode(args[0].String())), nil
}

func urlDecode(_ *xpath.Context, args []xpath.Value) (xpath.Value, error) {
	s, err := url.QueryUnescape(args[0].String())
	if err != nil {
		return xpath.Value{}, fmt.Errorf("url-decode: %v", err)
	}
	return xpath.StringValue(s), nil
}

// JavaURLEncode encodes as java.net.URLEncoder does (which MI's url-encode
// uses): letters, digits and ".-*_" stay, space becomes '+', everything else
// is %XX of its UTF-8 bytes.
func JavaURLEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// variables resolves Synapse's XPath variables.
func variables(prefix, space, local string) (xpath.Variable, error) {
	switch prefix {
	case "":
		switch local {
		case "body":
			return xpath.Variable{Fn: soapPart(message.SOAPBody), NeedsNode: true}, nil
		case "header":
			return xpath.Variable{Fn: soapPart(message.SOAPHeader), NeedsNode: true}, nil
		}
		return xpath.Variable{}, fmt.Errorf("unknown variable $%s (Synapse variables are $body, $header, $ctx:, $trp:, $axis2:, $url:, $func:, $env:)", local)
	case "ctx":
		return scoped(message.ScopeDefault, local), nil
	case "trp":
		return scoped(message.ScopeTransport, local), nil
	case "axis2":
		return scoped(message.ScopeAxis2, local), nil
	case "func":
		return scoped(message.ScopeFunc, local), nil
	case "env", "system":
		return scoped(message.ScopeEnv, local), nil
	case "url":
		return xpath.Variable{Fn: func(c *xpath.Context) (xpath.Value, error) {
			m := msgOf(c)
			if m == nil {
				return xpath.StringValue(""), nil
			}
			_, q, _ := strings.Cut(m.RequestURI, "?")
			vals, _ := url.ParseQuery(q)
			return xpath.StringValue(vals.Get(local)), nil
		}}, nil
	}
	return xpath.Variable{}, fmt.Errorf("unknown variable $%s:%s", prefix, local)
}

func scoped(scope, name string) xpath.Variable {
	return xpath.Variable{Fn: func(c *xpath.Context) (xpath.Value, error) {
		m := msgOf(c)
		if m == nil {
			return xpath.StringValue(""), nil
		}
		return propertyValue(m.Get(scope, name)), nil
	}}
}

func soapPart(part func(*xmltree.Node) *xmltree.Node) func(c *xpath.Context) (xpath.Value, error) {
	return func(c *xpath.Context) (xpath.Value, error) {
		m := msgOf(c)
		if m == nil {
			return xpath.NodeSetValue(), nil
		}
		env, err := m.Body.Envelope()
		if err != nil {
			return xpath.Value{}, err
		}
		if p := part(env); p != nil {
			return xpath.NodeSetValue(xpath.NodeOf(p)), nil
		}
		return xpath.NodeSetValue(), nil
	}
}

// JavaDateLayout converts a java.text.SimpleDateFormat pattern (used by
// get-property('SYSTEM_DATE', fmt)) into a Go time layout.
func JavaDateLayout(p string) string {
	repl := []struct{ java, goLayout string }{
		{"yyyy", "2006"}, {"yy", "06"}, {"MMMM", "January"}, {"MMM", "Jan"}, {"MM", "01"},
		{"dd", "02"}, {"HH", "15"}, {"hh", "03"}, {"mm", "04"}, {"ss", "05"}, {"SSS", "000"},
		{"EEEE", "Monday"}, {"EEE", "Mon"}, {"a", "PM"}, {"XXX", "Z07:00"}, {"Z", "-0700"}, {"z", "MST"},
	}
	var b strings.Builder
	for i := 0; i < len(p); {
		if p[i] == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				b.WriteString(p[i+1:])
				break
			}
			b.WriteString(p[i+1 : i+1+j])
			i += j + 2
			continue
		}
		matched := false
		for _, r := range repl {
			if strings.HasPrefix(p[i:], r.java) {
				b.WriteString(r.goLayout)
				i += len(r.java)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(p[i])
			i++
		}
	}
	return b.String()
}
