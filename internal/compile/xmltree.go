package compile

import (
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/xmltree"
)

// ToXMLTree converts configuration XML (inline payload formats, enrich
// sources, local entries, makefault details) into the message document
// model, keeping namespace declarations in scope at the element so the
// result is self-describing.
func ToXMLTree(el *config.Element) *xmltree.Node {
	n := convert(el)
	declared := map[string]bool{}
	for _, d := range n.NS {
		declared[d.Prefix] = true
	}
	for p, uri := range el.InScopeNS() {
		if !declared[p] && uri != config.NSSynapse {
			n.NS = append(n.NS, xmltree.NSDecl{Prefix: p, URI: uri})
		}
	}
	return n
}

func convert(el *config.Element) *xmltree.Node {
	n := xmltree.NewElement(el.Name.Space, el.Name.Local, el.Name.Prefix)
	for _, d := range el.NS {
		n.NS = append(n.NS, xmltree.NSDecl{Prefix: d.Prefix, URI: d.URI})
	}
	for _, a := range el.Attrs {
		n.Attrs = append(n.Attrs, xmltree.Attr{Name: xmltree.Name{Space: a.Name.Space, Local: a.Name.Local, Prefix: a.Name.Prefix}, Value: a.Value})
	}
	for _, c := range el.Content {
		switch t := c.(type) {
		case *config.Element:
			n.AppendChild(convert(t))
		case config.Text:
			txt := xmltree.NewText(t.Data)
			txt.CDATA = t.CDATA
			n.AppendChild(txt)
		case config.Comment:
			n.AppendChild(xmltree.NewComment(t.Data))
		case config.ProcInst:
			n.AppendChild(&xmltree.Node{Type: xmltree.ProcInstNode, Name: xmltree.Name{Local: t.Target}, Data: t.Data})
		}
	}
	return n
}
