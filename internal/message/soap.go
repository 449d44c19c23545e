package message

import "github.com/busbar/busbar/internal/xmltree"

// SOAP and payload namespaces used by MI's internal representation.
const (
	NSSOAP11  = "http://schemas.xmlsoap.org/soap/envelope/"
	NSSOAP12  = "http://www.w3.org/2003/05/soap-envelope"
	NSPayload = "http://ws.apache.org/commons/ns/payload"
)

// NewEnvelope builds an empty SOAP envelope (1.1 unless version is
// FormatSOAP12) inside a new document and returns the document, the
// envelope element and its Body element.
func NewEnvelope(version Format) (doc, env, body *xmltree.Node) {
	ns := NSSOAP11
	if version == FormatSOAP12 {
		ns = NSSOAP12
	}
	doc = &xmltree.Node{Type: xmltree.DocumentNode}
	env = xmltree.NewElement(ns, "Envelope", "soapenv")
	env.NS = []xmltree.NSDecl{{Prefix: "soapenv", URI: ns}}
	body = xmltree.NewElement(ns, "Body", "soapenv")
	env.AppendChild(body)
	doc.AppendChild(env)
	return doc, env, body
}

// IsEnvelope reports whether el is a SOAP 1.1 or 1.2 Envelope element and
// which version it is.
func IsEnvelope(el *xmltree.Node) (Format, bool) {
	if el == nil || el.Type != xmltree.ElementNode || el.Name.Local != "Envelope" {
		return FormatNone, false
	}
	switch el.Name.Space {
	case NSSOAP11:
		return FormatSOAP11, true
	case NSSOAP12:
		return FormatSOAP12, true
	}
	return FormatNone, false
}

// SOAPBody returns the Body element of an envelope, or nil.
func SOAPBody(env *xmltree.Node) *xmltree.Node { return soapChild(env, "Body") }

// SOAPHeader returns the Header element of an envelope, or nil.
func SOAPHeader(env *xmltree.Node) *xmltree.Node { return soapChild(env, "Header") }

// EnsureSOAPHeader returns the Header element, creating it before the Body
// when absent.
func EnsureSOAPHeader(env *xmltree.Node) *xmltree.Node {
	if h := SOAPHeader(env); h != nil {
		return h
	}
	h := xmltree.NewElement(env.Name.Space, "Header", env.Name.Prefix)
	if b := SOAPBody(env); b != nil {
		env.InsertBefore(h, b)
	} else {
		env.AppendChild(h)
	}
	return h
}

func soapChild(env *xmltree.Node, local string) *xmltree.Node {
	if env == nil {
		return nil
	}
	for c := env.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmltree.ElementNode && c.Name.Local == local && c.Name.Space == env.Name.Space {
			return c
		}
	}
	return nil
}

// IsSOAPFault reports whether the envelope's body holds a SOAP Fault.
func IsSOAPFault(env *xmltree.Node) bool {
	b := SOAPBody(env)
	if b == nil {
		return false
	}
	f := b.FirstChildElement()
	return f != nil && f.Name.Local == "Fault" && f.Name.Space == env.Name.Space
}
