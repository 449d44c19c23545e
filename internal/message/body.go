package message

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/jsonxml"
	"github.com/busbar/busbar/internal/xmltree"
)

// rep says which representation of a body is authoritative.
type rep uint8

const (
	repStream rep = iota // wire bytes not read yet
	repRaw               // wire bytes read into raw
	repXML               // the envelope tree was edited
	repJSON              // the JSON tree was edited or set
)

// ErrTooLarge is returned (wrapped in a fault.Error with status 413) when a
// body exceeds the configured limit.
var ErrTooLarge = errors.New("body too large")

// Body is a message payload. It starts as an unread stream; it is read only
// when something needs the bytes and parsed only when a mediator needs the
// content (pass-through by default). Reads are cached, so a body is parsed at
// most once, and it is re-serialised only if a mediator changed it.
//
// Ownership: the Body owns its stream and closes it when the stream is fully
// read, handed to the outbound transport (which then closes it) or when
// Close is called. A Body is not safe for concurrent use.
type Body struct {
	format Format
	ctype  string
	limit  int64
	// size is the declared length of the unread stream, -1 if unknown.
	size int64

	stream io.ReadCloser
	raw    []byte
	// rawOK says raw holds the current content in format.
	rawOK bool

	doc *xmltree.Node
	env *xmltree.Node
	js  *jsontree.Value

	primary rep
}

// NewStreamBody returns a body over an unread stream. size is the declared
// length (-1 if unknown); limit (if > 0) caps how many bytes may be read.
func NewStreamBody(r io.ReadCloser, contentType string, size, limit int64) *Body {
	b := &Body{}
	b.ResetStream(r, contentType, size, limit)
	return b
}

// NewBytesBody returns a body holding data.
func NewBytesBody(data []byte, contentType string) *Body {
	return &Body{format: FormatOf(contentType), ctype: contentType, raw: data, rawOK: true, primary: repRaw, size: -1}
}

// ResetStream reinitialises b over a new stream.
func (b *Body) ResetStream(r io.ReadCloser, contentType string, size, limit int64) {
	*b = Body{format: FormatOf(contentType), ctype: contentType, limit: limit, size: size, stream: r, primary: repStream}
	if r == nil || r == http.NoBody || size == 0 {
		if r != nil {
			r.Close()
		}
		b.stream = nil
		b.rawOK = true
		b.primary = repRaw
	}
}

// Format is the wire format of the current content.
func (b *Body) Format() Format { return b.format }

// ContentType is the content type of the current content.
func (b *Body) ContentType() string { return b.ctype }

// Untouched reports whether the body still holds the original wire bytes
// (read or not) so that it can be passed through without serialising.
func (b *Body) Untouched() bool { return b.primary == repStream || b.primary == repRaw }

// IsStream reports whether the wire bytes are still unread.
func (b *Body) IsStream() bool { return b.primary == repStream && b.stream != nil }

// StreamSize is the declared length of an unread stream (-1 if unknown).
func (b *Body) StreamSize() int64 {
	if b.IsStream() {
		return b.size
	}
	return -1
}

// TakeStream hands the unread stream to the caller (the outbound transport),
// which becomes responsible for closing it. After this the body is empty.
// It returns nil if the body is not an unread stream.
func (b *Body) TakeStream() io.ReadCloser {
	if !b.IsStream() {
		return nil
	}
	r := b.stream
	b.stream = nil
	b.rawOK = true
	b.raw = nil
	b.primary = repRaw
	return r
}

// Close releases the stream if it was never read.
func (b *Body) Close() error {
	if b.stream != nil {
		err := b.stream.Close()
		b.stream = nil
		return err
	}
	return nil
}

// Raw returns the wire bytes of the current content in the body's format,
// reading the stream or serialising the edited tree as needed.
func (b *Body) Raw() ([]byte, error) {
	if b.rawOK {
		if b.primary == repStream {
			return nil, nil
		}
		return b.raw, nil
	}
	if b.primary == repStream {
		if err := b.read(); err != nil {
			return nil, err
		}
		return b.raw, nil
	}
	data, err := b.Serialize(b.format)
	if err != nil {
		return nil, err
	}
	b.raw, b.rawOK = data, true
	return data, nil
}

// Buffer reads an unread stream into memory so the body can be sent more
// than once (failover, recipient lists).
func (b *Body) Buffer() error {
	if b.primary == repStream && b.stream != nil {
		return b.read()
	}
	return nil
}

func (b *Body) read() error {
	r := b.stream
	b.stream = nil
	defer r.Close()
	var src io.Reader = r
	if b.limit > 0 {
		src = io.LimitReader(r, b.limit+1)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(src); err != nil {
		return fault.Wrap(fmt.Errorf("reading message body: %w", err))
	}
	if b.limit > 0 && int64(buf.Len()) > b.limit {
		return TooLarge(b.limit)
	}
	b.raw, b.rawOK, b.primary = buf.Bytes(), true, repRaw
	return nil
}

// TooLarge is the fault for a body over the limit.
func TooLarge(limit int64) *fault.Error {
	e := fault.Newf(fault.MessageParsingError, "Request entity too large: the body exceeds the limit of %d bytes", limit)
	e.Status = 413
	e.Cause = ErrTooLarge
	return e
}

func parseError(f Format, err error) *fault.Error {
	e := fault.Newf(fault.MessageParsingError, "Error while building the %s message: %v", f, err)
	e.Cause = err
	e.Status = 400
	return e
}

// Envelope returns the body as a SOAP envelope element, as MI represents
// every message: SOAP bodies as they are, plain XML, JSON (as jsonObject),
// text and binary wrapped in an envelope. Edits must be followed by
// XMLChanged.
func (b *Body) Envelope() (*xmltree.Node, error) {
	if b.env != nil {
		return b.env, nil
	}
	if b.primary == repJSON {
		b.buildFromJSON()
		return b.env, nil
	}
	data, err := b.Raw()
	if err != nil {
		return nil, err
	}
	if err := b.buildXML(data); err != nil {
		return nil, err
	}
	return b.env, nil
}

func (b *Body) buildFromJSON() {
	doc, env, body := NewEnvelope(FormatSOAP11)
	body.AppendChild(jsonxml.ToXML(b.js))
	b.doc, b.env = doc, env
}

func (b *Body) buildXML(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		b.doc, b.env, _ = NewEnvelope(soapVersionFor(b.format))
		return nil
	}
	switch {
	case b.format.IsXML():
		doc, err := xmltree.Parse(data)
		if err != nil {
			return parseError(b.format, err)
		}
		root := doc.DocumentElement()
		if _, ok := IsEnvelope(root); ok {
			ensureSOAPBody(root)
			b.doc, b.env = doc, root
			return nil
		}
		var body *xmltree.Node
		b.doc, b.env, body = NewEnvelope(soapVersionFor(b.format))
		root.Remove()
		body.AppendChild(root)
		return nil
	case b.format == FormatJSON:
		if err := b.parseJSON(data); err != nil {
			return err
		}
		b.buildFromJSON()
		return nil
	}
	var body *xmltree.Node
	b.doc, b.env, body = NewEnvelope(FormatSOAP11)
	body.AppendChild(wrapOpaque(b.format, data))
	return nil
}

func soapVersionFor(f Format) Format {
	if f == FormatSOAP12 {
		return FormatSOAP12
	}
	return FormatSOAP11
}

// wrapOpaque builds MI's element for non-XML, non-JSON payloads: text in a
// <text> element, form fields under <xformValues>, anything else base64 in
// a <binary> element.
func wrapOpaque(f Format, data []byte) *xmltree.Node {
	switch f {
	case FormatText:
		el := xmltree.NewElement(NSPayload, "text", "")
		el.NS = []xmltree.NSDecl{{URI: NSPayload}}
		el.AppendChild(xmltree.NewText(string(data)))
		return el
	case FormatForm:
		el := xmltree.NewElement("", "xformValues", "")
		vals, err := url.ParseQuery(string(data))
		if err == nil {
			for _, kv := range formPairs(string(data), vals) {
				c := xmltree.NewElement("", kv[0], "")
				c.AppendChild(xmltree.NewText(kv[1]))
				el.AppendChild(c)
			}
		}
		return el
	}
	el := xmltree.NewElement(NSPayload, "binary", "")
	el.NS = []xmltree.NSDecl{{URI: NSPayload}}
	el.AppendChild(xmltree.NewText(base64.StdEncoding.EncodeToString(data)))
	return el
}

// formPairs keeps the order of form fields as sent (url.Values is a map).
func formPairs(raw string, vals url.Values) [][2]string {
	var out [][2]string
	seen := map[string]int{}
	for _, part := range strings.Split(raw, "&") {
		k, _, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil || key == "" || !validXMLName(key) {
			continue
		}
		i := seen[key]
		if i < len(vals[key]) {
			out = append(out, [2]string{key, vals[key][i]})
			seen[key] = i + 1
		}
	}
	return out
}

func validXMLName(s string) bool {
	for i, r := range s {
		letter := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127
		if !letter && (i == 0 || !(r == '-' || r == '.' || r >= '0' && r <= '9')) {
			return false
		}
	}
	return s != ""
}

func (b *Body) parseJSON(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		b.js = jsontree.NewObject()
		return nil
	}
	v, err := jsontree.Parse(data)
	if err != nil {
		return parseError(FormatJSON, err)
	}
	b.js = v
	return nil
}

// JSON returns the body as a JSON tree: parsed from JSON bytes, or converted
// from the XML payload with MI's XML-to-JSON rules. Edits must be followed by
// JSONChanged.
func (b *Body) JSON() (*jsontree.Value, error) {
	if b.js != nil {
		return b.js, nil
	}
	if b.primary != repXML && b.format == FormatJSON {
		data, err := b.Raw()
		if err != nil {
			return nil, err
		}
		if err := b.parseJSON(data); err != nil {
			return nil, err
		}
		return b.js, nil
	}
	env, err := b.Envelope()
	if err != nil {
		return nil, err
	}
	v, err := payloadJSON(env)
	if err != nil {
		return nil, err
	}
	b.js = v
	return v, nil
}

// payloadJSON converts the first element of the SOAP body to JSON.
func payloadJSON(env *xmltree.Node) (*jsontree.Value, error) {
	p := SOAPBody(env).FirstChildElement()
	if p == nil {
		return jsontree.NewObject(), nil
	}
	v, err := jsonxml.FromXML(p)
	if err != nil {
		return nil, fault.Wrap(fmt.Errorf("converting the XML payload to JSON: %w", err))
	}
	return v, nil
}

// XMLChanged records that the envelope returned by Envelope was edited.
func (b *Body) XMLChanged() {
	b.primary, b.rawOK, b.js = repXML, false, nil
}

// JSONChanged records that the tree returned by JSON was edited.
func (b *Body) JSONChanged() {
	b.primary, b.rawOK, b.doc, b.env = repJSON, false, nil, nil
	b.format, b.ctype = FormatJSON, keepCT(b.ctype, FormatJSON)
}

// SetJSON replaces the content with a JSON value.
func (b *Body) SetJSON(v *jsontree.Value) {
	b.Close()
	b.js = v
	b.JSONChanged()
}

// SetEnvelope replaces the content with an envelope (inside doc). format
// says how the content is to be written unless the message type overrides.
func (b *Body) SetEnvelope(doc, env *xmltree.Node, format Format) {
	b.Close()
	ensureSOAPBody(env)
	b.doc, b.env = doc, env
	b.XMLChanged()
	if format != FormatNone {
		b.format, b.ctype = format, keepCT(b.ctype, format)
	}
}

// SetPayload replaces the first child of the SOAP body with el (keeping the
// envelope and its headers) and marks the body as XML.
func (b *Body) SetPayload(el *xmltree.Node) error {
	env, err := b.Envelope()
	if err != nil {
		return err
	}
	body := SOAPBody(env)
	body.RemoveChildren()
	if el != nil {
		body.AppendChild(el)
	}
	b.XMLChanged()
	if !b.format.IsXML() {
		b.format, b.ctype = FormatPOX, keepCT(b.ctype, FormatPOX)
	}
	return nil
}

// SetBytes replaces the content with raw bytes of a content type.
func (b *Body) SetBytes(data []byte, contentType string) {
	b.Close()
	*b = Body{format: FormatOf(contentType), ctype: contentType, raw: data, rawOK: true, primary: repRaw, limit: b.limit, size: -1}
}

// SetFormat changes the format the body will be written in without touching
// the content (messageType and endpoint format= do this).
func (b *Body) SetFormat(f Format, contentType string) {
	if f == b.format {
		if contentType != "" {
			b.ctype = contentType
		}
		return
	}
	if b.Untouched() {
		// Parse in the old format first so the conversion has something to
		// convert from.
		if b.format == FormatJSON {
			if _, err := b.JSON(); err == nil {
				b.primary, b.rawOK = repJSON, false
			}
		} else if _, err := b.Envelope(); err == nil {
			b.primary, b.rawOK = repXML, false
		}
	}
	b.rawOK = false
	b.format = f
	if contentType == "" {
		contentType = ContentTypeOf(f)
	}
	b.ctype = contentType
}

// keepCT keeps the existing content type if it already denotes format f.
func keepCT(ct string, f Format) string {
	if ct != "" && FormatOf(ct) == f {
		return ct
	}
	return ContentTypeOf(f)
}

// ParsedEnvelope returns the envelope if the body has already been parsed
// as XML, without parsing it.
func (b *Body) ParsedEnvelope() *xmltree.Node { return b.env }

// ensureSOAPBody gives an envelope that lacks one an empty Body element, so
// that everything holding a Body's envelope may rely on SOAPBody.
func ensureSOAPBody(env *xmltree.Node) {
	if _, ok := IsEnvelope(env); ok && SOAPBody(env) == nil {
		env.AppendChild(xmltree.NewElement(env.Name.Space, "Body", env.Name.Prefix))
	}
}
