package message

import (
	"strings"

	"github.com/busbar/busbar/internal/xmltree"
)

// HasJSONPayload reports whether the body's content is held as JSON: JSON
// bytes that no mediator has edited as XML, or a JSON tree set or edited
// since. It is MI's JsonUtil.hasAJsonPayload, which mediators such as
// enrich consult to choose between editing the JSON and editing the XML
// form: a JSON message stops being one once its XML form is edited, even
// though it is still written out as JSON.
func (b *Body) HasJSONPayload() bool {
	return b.primary == repJSON || b.format == FormatJSON && b.primary != repXML
}

// NodeList is a property value holding several XML nodes (elements and
// text nodes), as the enrich mediator stores a source of more than one node
// in a property. It renders as the nodes' XML (text as its characters) one
// after the other.
type NodeList []*xmltree.Node

func (l NodeList) String() string {
	var b strings.Builder
	for _, n := range l {
		if n.Type == xmltree.TextNode {
			b.WriteString(n.Data)
			continue
		}
		b.WriteString(n.String())
	}
	return b.String()
}
