// Package message is Busbar's message context: what a mediator sees of one
// message in flight. It holds the transport headers, Synapse's scoped
// properties (default, transport, axis2, operation, plus the read-only func,
// system and env scopes), the request or response line, the latest fault,
// and a Body that streams untouched unless a mediator asks for its content.
package message

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/xmltree"
)

// Scope names accepted by the property mediator and get-property.
const (
	ScopeDefault     = "default"
	ScopeTransport   = "transport"
	ScopeAxis2       = "axis2"
	ScopeAxis2Client = "axis2-client"
	ScopeOperation   = "operation"
	ScopeFunc        = "func"
	ScopeSystem      = "system"
	ScopeEnv         = "env"
	ScopeRegistry    = "registry"
	ScopeFile        = "file"
)

// Well-known axis2-scope property names that map onto message fields.
const (
	PropHTTPSC        = "HTTP_SC"
	PropHTTPMethod    = "HTTP_METHOD"
	PropRESTURLPost   = "REST_URL_POSTFIX"
	PropMessageType   = "messageType"
	PropContentType   = "ContentType"
	PropNoEntityBody  = "NO_ENTITY_BODY"
	PropForceSCAccept = "FORCE_SC_ACCEPTED"
)

// Message is one message in flight. It is owned by one goroutine at a time.
type Message struct {
	// ID is the Synapse MessageID ("urn:uuid:...").
	ID string
	// Response is true once the message is a response (Synapse's
	// isResponse): after a backend answered, after loopback or makefault.
	Response bool
	// Method is the HTTP method (axis2 HTTP_METHOD).
	Method string
	// RequestURI is the path and query the client asked for.
	RequestURI string
	// To is the destination address; for an inbound request it is the
	// request URI, after an endpoint send it is the endpoint address.
	To string
	// From, ReplyTo, FaultTo, RelatesTo and Action are the message's
	// WS-Addressing headers, set by the header mediator and read by
	// get-property ahead of any property of the same name, as in MI.
	From, ReplyTo, FaultTo, RelatesTo, Action string
	// Status is the HTTP status of a response (axis2 HTTP_SC); 0 means not
	// set, in which case the status follows synapse-semantics §3.5.
	Status int
	// Header holds the transport headers (transport scope).
	Header http.Header
	// Body is the payload.
	Body Body
	// Fault is the latest fault this message saw; its Prev chain holds the
	// earlier ones (FAIL_INFO).
	Fault *fault.Error
	// Created is when the message entered Busbar.
	Created time.Time

	props map[string]any
	axis2 map[string]any
	op    map[string]any
	funcs []map[string]any
	// postfix is REST_URL_POSTFIX; postfixSet distinguishes "" from removed.
	postfix    string
	postfixSet bool
}

// New returns an empty message with a fresh ID.
func New() *Message {
	return &Message{ID: NewID(), Header: http.Header{}, Created: time.Now()}
}

// Get reads a property in a scope. Transport scope reads a header. Unknown
// scopes read the default scope, as get-property does.
func (m *Message) Get(scope, name string) (any, bool) {
	switch scope {
	case "", ScopeDefault:
		return m.getDefault(name)
	case ScopeTransport:
		if vs, ok := m.Header[http.CanonicalHeaderKey(name)]; ok && len(vs) > 0 {
			return strings.Join(vs, ","), true
		}
		return nil, false
	case ScopeAxis2, ScopeAxis2Client:
		return m.getAxis2(name)
	case ScopeOperation:
		v, ok := m.op[name]
		return v, ok
	case ScopeFunc:
		for i := len(m.funcs) - 1; i >= 0; i-- {
			if v, ok := m.funcs[i][name]; ok {
				return v, true
			}
		}
		return nil, false
	case ScopeSystem, ScopeEnv:
		return os.LookupEnv(name)
	case ScopeRegistry, ScopeFile:
		return nil, false
	}
	return m.getDefault(name)
}

// GetString is Get rendered as a string ("" when absent).
func (m *Message) GetString(scope, name string) string {
	v, ok := m.Get(scope, name)
	if !ok {
		return ""
	}
	return ValueString(v)
}

// Set writes a property. Setting nil removes it.
func (m *Message) Set(scope, name string, v any) {
	if v == nil {
		m.Remove(scope, name)
		return
	}
	switch scope {
	case "", ScopeDefault:
		m.setDefault(name, v)
	case ScopeTransport:
		m.Header.Set(name, ValueString(v))
	case ScopeAxis2, ScopeAxis2Client:
		m.setAxis2(name, v)
	case ScopeOperation:
		if m.op == nil {
			m.op = map[string]any{}
		}
		m.op[name] = v
	default:
		m.setDefault(name, v)
	}
}

// Remove deletes a property.
func (m *Message) Remove(scope, name string) {
	switch scope {
	case "", ScopeDefault:
		delete(m.props, name)
	case ScopeTransport:
		m.Header.Del(name)
	case ScopeAxis2, ScopeAxis2Client:
		switch name {
		case PropHTTPSC:
			m.Status = 0
		case PropRESTURLPost:
			m.postfix, m.postfixSet = "", false
		}
		delete(m.axis2, name)
	case ScopeOperation:
		delete(m.op, name)
	}
}

// Props returns the default-scope properties (for logging and tests). The
// map must not be modified.
func (m *Message) Props() map[string]any { return m.props }

// getDefault reads the default scope. Synapse's get-property answers the
// addressing and message names before looking at properties, so a property
// called "To" cannot hide the real destination.
func (m *Message) getDefault(name string) (any, bool) {
	switch name {
	case "To":
		return m.To, m.To != ""
	case "From":
		return m.From, m.From != ""
	case "ReplyTo":
		return m.ReplyTo, m.ReplyTo != ""
	case "FaultTo":
		return m.FaultTo, m.FaultTo != ""
	case "RelatesTo":
		return m.RelatesTo, m.RelatesTo != ""
	case "MessageID":
		return m.ID, true
	case "Action":
		if m.Action != "" {
			return m.Action, true
		}
		a := strings.Trim(m.Header.Get("SOAPAction"), `"`)
		return a, a != ""
	case "MESSAGE_FORMAT":
		return m.Body.Format().String(), true
	case "SYSTEM_DATE":
		return time.Now().Format("2006-01-02T15:04:05.000Z07:00"), true
	case "SYSTEM_TIME":
		return strconv.FormatInt(time.Now().UnixMilli(), 10), true
	case "FAIL_INFO":
		if fi := m.FailInfo(); fi != nil {
			return fi, true
		}
		return nil, false
	}
	if v, ok := m.props[name]; ok {
		return v, true
	}
	switch name {
	case "WSAction", "SOAPAction":
		a := strings.Trim(m.Header.Get("SOAPAction"), `"`)
		return a, a != ""
	}
	return nil, false
}

func (m *Message) setDefault(name string, v any) {
	if m.props == nil {
		m.props = make(map[string]any, 8)
	}
	m.props[name] = v
}

func (m *Message) getAxis2(name string) (any, bool) {
	switch name {
	case PropHTTPSC:
		if m.Status != 0 {
			return m.Status, true
		}
	case PropHTTPMethod:
		return m.Method, m.Method != ""
	case PropRESTURLPost:
		return m.postfix, m.postfixSet
	}
	v, ok := m.axis2[name]
	return v, ok
}

func (m *Message) setAxis2(name string, v any) {
	switch name {
	case PropHTTPSC:
		if n, err := strconv.Atoi(strings.TrimSpace(ValueString(v))); err == nil {
			m.Status = n
			return
		}
	case PropHTTPMethod:
		m.Method = strings.ToUpper(ValueString(v))
		return
	case PropRESTURLPost:
		m.postfix, m.postfixSet = ValueString(v), true
		return
	}
	if m.axis2 == nil {
		m.axis2 = make(map[string]any, 4)
	}
	m.axis2[name] = v
}

// Postfix returns REST_URL_POSTFIX and whether it is set.
func (m *Message) Postfix() (string, bool) { return m.postfix, m.postfixSet }

// PushFuncs enters a template invocation whose parameters are readable in
// the func scope; PopFuncs leaves it.
func (m *Message) PushFuncs(params map[string]any) { m.funcs = append(m.funcs, params) }

// PopFuncs leaves the innermost template invocation.
func (m *Message) PopFuncs() {
	if n := len(m.funcs); n > 0 {
		m.funcs = m.funcs[:n-1]
	}
}

// Flag reads a boolean property the way Synapse does: the value "true"
// (case-insensitive) or a bool true.
func (m *Message) Flag(scope, name string) bool {
	v, ok := m.Get(scope, name)
	if !ok {
		return false
	}
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return strings.EqualFold(strings.TrimSpace(t), "true")
	}
	return false
}

// SetFault records f as the message's latest fault: the ERROR_* properties
// are rewritten (DESIGN §3.3) and the previous fault becomes f's
// predecessor.
func (m *Message) SetFault(f *fault.Error) {
	if f == nil || f == m.Fault {
		return
	}
	if f.Prev == nil && m.Fault != nil {
		f.Prev = m.Fault
	}
	m.Fault = f
	m.setDefault("ERROR_CODE", f.Code.Value())
	m.setDefault("ERROR_MESSAGE", f.Message)
	m.setDefault("ERROR_DETAIL", f.Detail)
	m.setDefault("ERROR_EXCEPTION", f.Exception())
	if f.State >= 0 {
		m.setDefault("BASE_ERROR_CODE", f.Base)
		m.setDefault("PROTOCOL_STATE_ON_FAILURE", f.State)
	} else {
		delete(m.props, "BASE_ERROR_CODE")
		delete(m.props, "PROTOCOL_STATE_ON_FAILURE")
	}
}

// ErrorCode returns ERROR_CODE as a fault code (unset if absent).
func (m *Message) ErrorCode() fault.Code {
	v, ok := m.props["ERROR_CODE"]
	if !ok {
		return fault.Code{}
	}
	if n, ok := v.(int); ok {
		return fault.Num(n)
	}
	return fault.ParseCode(ValueString(v))
}

// ContextNode returns the node XPath expressions are evaluated against: the
// SOAP envelope element of the body, parsing the body if needed. It makes a
// Message an xpath.Env.
func (m *Message) ContextNode() (*xmltree.Node, error) { return m.Body.Envelope() }

// ScopeProps returns the properties of the default, axis2 or operation
// scope (nil for others), for snapshots such as a stored message. The map
// must not be modified.
func (m *Message) ScopeProps(scope string) map[string]any {
	switch scope {
	case "", ScopeDefault:
		return m.props
	case ScopeAxis2, ScopeAxis2Client:
		return m.axis2
	case ScopeOperation:
		return m.op
	}
	return nil
}
