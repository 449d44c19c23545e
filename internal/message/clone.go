package message

import (
	"maps"
	"slices"
	"time"
)

// Clone returns an independent copy of m with a new message ID: headers,
// properties and addressing are copied, and the body is copied as bytes in
// its current format (an unread stream is read first). Recipient lists
// send one clone to each child.
func (m *Message) Clone() (*Message, error) {
	raw, err := m.Body.Serialize(m.Body.Format())
	if err != nil {
		return nil, err
	}
	c := &Message{
		ID: NewID(), Response: m.Response, Method: m.Method, RequestURI: m.RequestURI, To: m.To,
		From: m.From, ReplyTo: m.ReplyTo, FaultTo: m.FaultTo, RelatesTo: m.RelatesTo, Action: m.Action,
		Status: m.Status, Header: m.Header.Clone(), Fault: m.Fault, Created: time.Now(),
		props: maps.Clone(m.props), axis2: maps.Clone(m.axis2), op: maps.Clone(m.op), funcs: slices.Clone(m.funcs),
		postfix: m.postfix, postfixSet: m.postfixSet,
	}
	c.Body.SetBytes(raw, m.Body.ContentType())
	c.Body.limit = m.Body.limit
	return c, nil
}

// TakeResponse makes m carry the response held by from (status, headers,
// body), as if m itself had been sent; from must not be used afterwards.
func (m *Message) TakeResponse(from *Message) {
	m.Body.Close()
	m.Status, m.Header, m.Response = from.Status, from.Header, true
	m.Body = from.Body
	from.Body = Body{}
}
