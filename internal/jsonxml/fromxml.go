package jsonxml

import (
	"errors"
	"fmt"
	"strings"

	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/jsontree/javanum"
	"github.com/busbar/busbar/internal/xmltree"
)

// ErrMixedContent is returned for an element holding both text and child
// elements, which MI's converter rejects too.
var ErrMixedContent = errors.New("jsonxml: mixed content is not supported")

// FromXML returns the JSON MI writes for el (or for the root element of a
// document node). It reproduces MI's JsonFormatter path, which feeds the
// element through staxon's JSON writer with MI's settings:
//
//   - the element is the single member of a top-level object, so <order>
//     gives {"order":...}; an object whose only member is named jsonObject,
//     jsonArray or jsonElement is replaced by that member's value, which
//     removes MI's own wrappers (<jsonObject> and <jsonArray><jsonElement>);
//     <jsonValue> gives the JSON text it holds;
//   - consecutive elements with the same name make an array, and so does
//     <?xml-multiple name?> (an array even with one element, or none) or
//     <?xml-multiple?> (for the element that follows); a name that repeats
//     with other elements between makes a repeated key;
//   - attributes become "@name" members, and text beside attributes "$";
//     namespace prefixes and declarations are dropped unless
//     PreserveNamespaces; whitespace-only text and comments are ignored;
//   - element text that is a JSON number becomes a number spelt as Java's
//     BigDecimal prints it ("1e5" becomes 1E+5, "1.50" stays 1.50), and
//     "true", "false" and "null" become literals, unless DisableAutoPrimitive
//     or KeepString says otherwise; attribute values stay strings;
//   - an element with no content becomes null ("" with
//     EmptyElementAsEmptyString), so {}, "" and null all come back as null;
//   - _JsonReader_PD_ and _JsonReader_PS_ prefixes are removed again.
//
// Where MI writes malformed JSON (a wrapper name beside other members) this
// writes an ordinary object instead.
func (o Options) FromXML(el *xmltree.Node) (*jsontree.Value, error) {
	if el != nil && el.Type == xmltree.DocumentNode {
		el = el.DocumentElement()
	}
	if el == nil || el.Type != xmltree.ElementNode {
		return nil, errors.New("jsonxml: FromXML needs an element")
	}
	if el.Name.Local == rootValue {
		v, err := jsontree.Parse([]byte(el.StringValue()))
		if err != nil {
			return nil, fmt.Errorf("jsonxml: jsonValue does not hold JSON: %w", err)
		}
		return v, nil
	}
	c := &converter{o: o}
	doc := &scope{objectStarted: true}
	c.b.startObject()
	if err := c.element(el, doc); err != nil {
		return nil, err
	}
	return c.b.endObject(), nil
}

// scope is the state staxon's JsonXMLStreamWriter keeps per element.
type scope struct {
	objectStarted bool // an object was opened for attributes or children
	hasChild      bool
	hasData       bool
	data          strings.Builder
	inArray       bool // children named arrayName are items of an array
	arrayName     string
	pendingArray  bool // <?xml-multiple?> without a name
}

// converter walks an element as staxon's writer receives it and drives a
// builder, applying auto-primitive typing as the writer's filter does.
type converter struct {
	o        Options
	b        builder
	lastName string // the name auto-primitive typing last saw
}

func (c *converter) name(n string) {
	c.lastName = n
	c.b.name(n)
}

func (c *converter) element(e *xmltree.Node, parent *scope) error {
	name := c.fieldName(e.Name)
	if parent.hasData {
		return fmt.Errorf("%w: %q before <%s>", ErrMixedContent, parent.data.String(), e.Name.Local)
	}
	if parent.pendingArray {
		c.startArray(parent, name)
	}
	if parent.inArray && name != parent.arrayName {
		parent.inArray = false
	}
	if !parent.inArray {
		if !parent.objectStarted {
			c.b.startObject()
			parent.objectStarted = true
		}
		c.name(name)
	}
	parent.hasChild = true
	s := &scope{}
	for _, a := range e.Attrs {
		if !s.objectStarted {
			c.b.startObject()
			s.objectStarted = true
		}
		c.name("@" + c.attrName(a.Name))
		c.b.value(jsontree.NewString(a.Value))
	}
	if err := c.children(e, s); err != nil {
		return err
	}
	if s.hasData {
		if s.objectStarted {
			c.name("$")
		}
		c.b.value(c.typed(s.data.String()))
	}
	switch {
	case s.objectStarted:
		c.b.endObjectInto()
	case !s.hasData && c.o.EmptyElementAsEmptyString:
		c.b.value(jsontree.NewString(""))
	case !s.hasData:
		c.b.value(jsontree.NewNull())
	}
	return nil
}

func (c *converter) children(e *xmltree.Node, s *scope) error {
	for n := e.FirstChild; n != nil; n = n.NextSibling {
		switch n.Type {
		case xmltree.ElementNode:
			if err := c.element(n, s); err != nil {
				return err
			}
		case xmltree.TextNode:
			if blank(n.Data) {
				continue // MI strips whitespace-only text before converting
			}
			if s.hasChild {
				return fmt.Errorf("%w: %q after <%s>'s children", ErrMixedContent, n.Data, e.Name.Local)
			}
			s.hasData = true
			s.data.WriteString(n.Data)
		case xmltree.ProcInstNode:
			if n.Name.Local != multiplePI {
				continue
			}
			if name := strings.TrimSpace(n.Data); name == "" {
				s.pendingArray = true
			} else {
				c.startArray(s, name)
			}
		}
	}
	return nil
}

func (c *converter) startArray(s *scope, name string) {
	s.inArray, s.arrayName, s.pendingArray = true, name, false
	if !s.objectStarted {
		c.b.startObject()
		s.objectStarted = true
	}
	c.name(name)
	c.b.startArray()
}

// blank is Java's trim().isEmpty(): nothing but characters up to U+0020.
func blank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > ' ' {
			return false
		}
	}
	return true
}

func (c *converter) fieldName(n xmltree.Name) string {
	key := c.o.jsonKey(n.Local)
	if c.o.PreserveNamespaces && n.Prefix != "" {
		return n.Prefix + c.o.separator() + key
	}
	return key
}

func (c *converter) attrName(n xmltree.Name) string {
	if c.o.PreserveNamespaces && n.Prefix != "" {
		return n.Prefix + c.o.separator() + n.Local
	}
	return n.Local
}

// typed is staxon's AutoPrimitiveTarget: text that is a JSON number,
// true, false or null becomes that value, unless the last name written was
// an attribute's (which can happen for array items after an attribute,
// as in MI).
func (c *converter) typed(text string) *jsontree.Value {
	if c.o.DisableAutoPrimitive || strings.HasPrefix(c.lastName, "@") ||
		c.o.KeepString != nil && c.o.KeepString.MatchString(text) {
		return jsontree.NewString(text)
	}
	switch text {
	case "true":
		return jsontree.NewBool(true)
	case "false":
		return jsontree.NewBool(false)
	case "null":
		return jsontree.NewNull()
	}
	if jsontree.ValidNumber(text) {
		if s, ok := javanum.BigDecimalString(text); ok {
			return jsontree.NewNumber(s)
		}
	}
	return jsontree.NewString(text)
}
