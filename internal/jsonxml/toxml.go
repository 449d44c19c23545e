package jsonxml

import (
	"strings"

	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/xmltree"
)

// Root and wrapper element names MI uses.
const (
	rootObject  = "jsonObject"
	rootArray   = "jsonArray"
	arrayItem   = "jsonElement"
	rootValue   = "jsonValue"
	multiplePI  = "xml-multiple"
	emptyObject = "jsonEmpty"
	emptyMarker = "_JsonScanner_EMPTY_OBJECT"
)

// ToXML returns the XML element MI builds for v:
//
//   - an object becomes <jsonObject> with one child per member, in order;
//     an array member becomes one element per item, preceded by
//     <?xml-multiple key?> when ProcessingInstructions is set;
//   - a top-level array becomes <jsonArray> with a <jsonElement> per item,
//     and an array directly inside an array a nested <jsonArray>, so
//     [[1]] is <jsonArray><jsonElement><jsonArray><jsonElement>1...;
//   - a top-level string, number, boolean or null becomes <jsonValue> whose
//     text is the JSON text itself, quotes included;
//   - null, "", {} and [] members become elements with no content (an empty
//     array no element at all, only its processing instruction if enabled);
//   - a key "@name" with a scalar value becomes an attribute (an object
//     value gives one attribute per member, and "@xmlns" a namespace
//     declaration) and "$" the element's text, as in staxon's mapping;
//   - a key starting with a digit is prefixed _JsonReader_PD_, a leading
//     '$' becomes _JsonReader_PS_, and other keys are used verbatim even
//     when they are not XML names (MI does the same) unless ValidNCNames.
func (o Options) ToXML(v *jsontree.Value) *xmltree.Node {
	switch v.Kind {
	case jsontree.Object:
		root := xmltree.NewElement("", rootObject, "")
		o.members(root, v)
		return root
	case jsontree.Array:
		root := xmltree.NewElement("", rootArray, "")
		o.items(root, arrayItem, arrayItem, v)
		return root
	}
	root := xmltree.NewElement("", rootValue, "")
	root.AppendChild(xmltree.NewText(v.String()))
	return root
}

// members adds an object's members to el.
func (o Options) members(el *xmltree.Node, obj *jsontree.Value) {
	for _, m := range obj.Obj {
		switch {
		case m.Key == "$" && scalar(m.Value):
			if t := scalarText(m.Value); t != "" {
				el.AppendChild(xmltree.NewText(t))
			}
		case len(m.Key) > 1 && m.Key[0] == '@' && (scalar(m.Value) || m.Value.Kind == jsontree.Object):
			o.attribute(el, m.Key[1:], m.Value)
		case m.Value.Kind == jsontree.Array:
			o.items(el, m.Key, o.elementName(m.Key), m.Value)
		default:
			el.AppendChild(o.item(o.elementName(m.Key), m.Value))
		}
	}
}

// items adds one element per array item, announced by a processing
// instruction naming the JSON key when enabled.
func (o Options) items(el *xmltree.Node, key, name string, arr *jsontree.Value) {
	if o.ProcessingInstructions {
		el.AppendChild(xmltree.NewProcInst(multiplePI, key))
	}
	for _, e := range arr.Arr {
		el.AppendChild(o.item(name, e))
	}
}

// item is the element for one value.
func (o Options) item(name string, v *jsontree.Value) *xmltree.Node {
	el := xmltree.NewElement("", name, "")
	switch v.Kind {
	case jsontree.Object:
		o.members(el, v)
	case jsontree.Array:
		inner := xmltree.NewElement("", rootArray, "")
		o.items(inner, arrayItem, arrayItem, v)
		el.AppendChild(inner)
	default:
		if t := scalarText(v); t != "" {
			el.AppendChild(xmltree.NewText(t))
		}
	}
	return el
}

func (o Options) attribute(el *xmltree.Node, name string, v *jsontree.Value) {
	if v.Kind == jsontree.Object {
		for _, m := range v.Obj {
			if !scalar(m.Value) {
				continue
			}
			if name == "xmlns" {
				prefix := m.Key
				if prefix == "$" {
					prefix = ""
				}
				el.NS = append(el.NS, xmltree.NSDecl{Prefix: prefix, URI: scalarText(m.Value)})
			} else {
				o.attribute(el, m.Key, m.Value)
			}
		}
		return
	}
	text := scalarText(v)
	switch {
	case name == "xmlns":
		el.NS = append(el.NS, xmltree.NSDecl{URI: text})
	case strings.HasPrefix(name, "xmlns:"):
		el.NS = append(el.NS, xmltree.NSDecl{Prefix: name[len("xmlns:"):], URI: text})
	default:
		el.Attrs = append(el.Attrs, xmltree.Attr{Name: xmltree.Name{Local: name}, Value: text})
	}
}

func scalar(v *jsontree.Value) bool {
	return v.Kind != jsontree.Object && v.Kind != jsontree.Array
}

// scalarText is a scalar's text in XML: a string's content, a number's
// literal, true or false, and nothing for null.
func scalarText(v *jsontree.Value) string {
	switch v.Kind {
	case jsontree.String, jsontree.Number:
		return v.Str
	case jsontree.Bool:
		if v.Bool {
			return "true"
		}
		return "false"
	}
	return ""
}
