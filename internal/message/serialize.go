package message

import (
	"bytes"
	"encoding/base64"
	"net/url"

	"github.com/busbar/busbar/internal/xmltree"
)

// Serialize returns the content written in format f. Untouched bodies in
// their own format are returned as read; anything else is produced from the
// authoritative tree, converting between XML and JSON with MI's rules.
func (b *Body) Serialize(f Format) ([]byte, error) {
	if f == FormatNone {
		f = b.format
	}
	if b.Untouched() && f == b.format {
		if b.primary == repStream {
			if err := b.read(); err != nil {
				return nil, err
			}
		}
		return b.raw, nil
	}
	if b.primary == repJSON && f == FormatJSON {
		return b.js.AppendJSON(nil), nil
	}
	if f == FormatJSON {
		v, err := b.JSON()
		if err != nil {
			return nil, err
		}
		return v.AppendJSON(nil), nil
	}
	env, err := b.Envelope()
	if err != nil {
		return nil, err
	}
	return serializeEnvelope(env, f), nil
}

func serializeEnvelope(env *xmltree.Node, f Format) []byte {
	payload := SOAPBody(env).FirstChildElement()
	switch f {
	case FormatSOAP11, FormatSOAP12:
		if v, _ := IsEnvelope(env); v == f {
			return env.AppendXML(nil)
		}
		return convertEnvelope(env, f).AppendXML(nil)
	case FormatText:
		return []byte(opaqueText(payload))
	case FormatBinary:
		if payload != nil && payload.Name.Local == "binary" && payload.Name.Space == NSPayload {
			data, err := base64.StdEncoding.DecodeString(payload.StringValue())
			if err == nil {
				return data
			}
		}
		return []byte(opaqueText(payload))
	case FormatForm:
		return formBytes(payload)
	}
	if payload == nil {
		return nil
	}
	if payload.Name.Local == "text" && payload.Name.Space == NSPayload {
		return []byte(payload.StringValue())
	}
	return payload.AppendXML(nil)
}

// opaqueText is what MI's plain-text formatter writes: the text wrapper's
// content, or the payload element serialised.
func opaqueText(payload *xmltree.Node) string {
	if payload == nil {
		return ""
	}
	if payload.Name.Local == "text" && payload.Name.Space == NSPayload {
		return payload.StringValue()
	}
	return payload.String()
}

func formBytes(payload *xmltree.Node) []byte {
	if payload == nil {
		return nil
	}
	var buf bytes.Buffer
	for c := range payload.ChildElements() {
		if buf.Len() > 0 {
			buf.WriteByte('&')
		}
		buf.WriteString(url.QueryEscape(c.Name.Local))
		buf.WriteByte('=')
		buf.WriteString(url.QueryEscape(c.StringValue()))
	}
	return buf.Bytes()
}

// convertEnvelope rebuilds env in another SOAP version, moving header blocks
// and body content across.
func convertEnvelope(env *xmltree.Node, f Format) *xmltree.Node {
	_, nenv, nbody := NewEnvelope(f)
	if h := SOAPHeader(env); h != nil && h.FirstChild != nil {
		nh := EnsureSOAPHeader(nenv)
		for c := h.FirstChild; c != nil; c = c.NextSibling {
			nh.AppendChild(c.Clone())
		}
	}
	if b := SOAPBody(env); b != nil {
		for c := b.FirstChild; c != nil; c = c.NextSibling {
			nbody.AppendChild(c.Clone())
		}
	}
	return nenv
}
