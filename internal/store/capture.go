package store

import (
	"time"

	"github.com/busbar/busbar/internal/message"
)

// internalProps are engine bookkeeping, never stored.
const internalPrefix = "__busbar."

// Capture snapshots a message for storing: headers, the default, axis2 and
// operation scopes (as strings), addressing and the body serialised in its
// current format (an unread stream is read).
func Capture(m *message.Message) (*Message, error) {
	body, err := m.Body.Serialize(m.Body.Format())
	if err != nil {
		return nil, err
	}
	sm := &Message{
		ID: m.ID, Created: time.Now().UTC(), Method: m.Method, RequestURI: m.RequestURI, To: m.To,
		Header: m.Header.Clone(), ContentType: m.Body.ContentType(), Body: append([]byte(nil), body...),
		Props: asStrings(m.ScopeProps(message.ScopeDefault)), Axis2: asStrings(m.ScopeProps(message.ScopeAxis2)),
		Operation: asStrings(m.ScopeProps(message.ScopeOperation)),
	}
	if pf, ok := m.Postfix(); ok {
		if sm.Axis2 == nil {
			sm.Axis2 = map[string]string{}
		}
		sm.Axis2[message.PropRESTURLPost] = pf
	}
	return sm, nil
}

func asStrings(props map[string]any) map[string]string {
	if len(props) == 0 {
		return nil
	}
	out := make(map[string]string, len(props))
	for k, v := range props {
		if hasPrefix(k, internalPrefix) {
			continue
		}
		out[k] = message.ValueString(v)
	}
	return out
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// Restore rebuilds a message from a stored one, ready to be mediated or
// sent: same ID, headers, properties and body.
func Restore(sm *Message) *message.Message {
	m := message.New()
	m.ID, m.Method, m.RequestURI, m.To = sm.ID, sm.Method, sm.RequestURI, sm.To
	if sm.Header != nil {
		m.Header = sm.Header.Clone()
	}
	for k, v := range sm.Props {
		m.Set(message.ScopeDefault, k, v)
	}
	for k, v := range sm.Axis2 {
		m.Set(message.ScopeAxis2, k, v)
	}
	for k, v := range sm.Operation {
		m.Set(message.ScopeOperation, k, v)
	}
	m.Body.SetBytes(append([]byte(nil), sm.Body...), sm.ContentType)
	return m
}
