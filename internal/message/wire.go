package message

import (
	"bytes"
	"io"
)

// OutFormat is the format a message is to be written in: the axis2
// messageType property if set (as MI's formatter selection), else the
// body's own format.
func (m *Message) OutFormat() (Format, string) {
	if v, ok := m.Get(ScopeAxis2, PropMessageType); ok {
		ct := ValueString(v)
		if ct != "" {
			return FormatOf(ct), ct
		}
	}
	return m.Body.Format(), m.Body.ContentType()
}

// Wire is a body ready to be written: a reader, its length (-1 if
// unknown) and the Content-Type to send ("" keeps the header as it is).
type Wire struct {
	Body        io.ReadCloser
	Size        int64
	ContentType string
	// InMemory says Body reads Size bytes already in memory.
	InMemory bool
}

// WireBody prepares the body for the wire. An untouched body in its own
// format streams through as it came (pass-through); anything else is
// serialised once in the outgoing format. The caller must close Body.
func (m *Message) WireBody() (Wire, error) {
	f, ct := m.OutFormat()
	b := &m.Body
	if b.Untouched() && f == b.Format() {
		if r := b.TakeStream(); r != nil {
			return Wire{Body: r, Size: b.size, ContentType: m.contentTypeOverride("")}, nil
		}
		return bytesWire(b.raw, m.contentTypeOverride("")), nil
	}
	data, err := b.Serialize(f)
	if err != nil {
		return Wire{}, err
	}
	if ct == "" {
		ct = ContentTypeOf(f)
	}
	return bytesWire(data, m.contentTypeOverride(ct)), nil
}

// contentTypeOverride applies the axis2 ContentType property, which MI
// lets flows use to force the Content-Type header.
func (m *Message) contentTypeOverride(ct string) string {
	if v, ok := m.Get(ScopeAxis2, PropContentType); ok {
		if s := ValueString(v); s != "" {
			return s
		}
	}
	return ct
}

func bytesWire(data []byte, ct string) Wire {
	return Wire{Body: io.NopCloser(bytes.NewReader(data)), Size: int64(len(data)), ContentType: ct, InMemory: true}
}
