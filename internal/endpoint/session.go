package endpoint

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/fault"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/xmltree"
)

// Session-affinity errors (synapse-semantics §6.3).
const (
	salNotReady    = 309001
	salInvalidPath = 309002
	salFailed      = 309003
)

// Namespaces of the SOAP session headers.
const (
	nsAxis2Session = "http://ws.apache.org/namespaces/axis2"
	nsSynapse      = "http://ws.apache.org/ns/synapse"
)

// defaultSessionTimeout is MI's synapse.sal.endpoints.sesssion.timeout.default.
const defaultSessionTimeout = 600000 * time.Millisecond

// sessions binds clients to load-balance children: by HTTP cookie, by
// Axis2's ServiceGroupId SOAP header, or by Synapse's ClientID SOAP header.
// A session's first message may fail over; once a session is bound, a
// failure of its child is 309003 (no failover), as in Synapse.
type sessions struct {
	kind    string
	timeout time.Duration
	lb      *Loadbalance
	now     func() time.Time

	mu     sync.Mutex
	m      map[string]*binding
	sweeps int
}

type binding struct {
	child int
	last  time.Time
}

func newSessions(b registry.Builder, el *config.Element, lb *Loadbalance) *sessions {
	s := &sessions{kind: el.Get("type"), timeout: defaultSessionTimeout, lb: lb, m: map[string]*binding{}}
	rt := b.Options().Runtime
	s.now = func() time.Time { return rt.Now() }
	switch s.kind {
	case "http", "soap", "simpleClientSession":
	default:
		b.Errorf(el.Pos, "session type %q must be http, soap or simpleClientSession", s.kind)
	}
	if t := el.Child("sessionTimeout"); t != nil {
		n, err := strconv.ParseInt(strings.TrimSpace(t.Text()), 10, 64)
		if err != nil || n <= 0 {
			b.Errorf(t.Pos, "sessionTimeout %q must be a positive number of milliseconds", t.Text())
		} else {
			s.timeout = time.Duration(n) * time.Millisecond
		}
	}
	if lb.members != nil {
		b.Errorf(el.Pos, "session affinity works with child <endpoint>s, not <member>s")
	}
	return s
}

// send routes a message by its session.
func (s *sessions) send(c *engine.Context) error {
	id := s.requestID(c.Msg)
	child, known, valid := s.lookup(id)
	if id == "" || !known {
		// A new session: the first message may fail over (§6.3).
		child, err := s.lb.balance(c)
		if err == nil {
			s.bindNew(c, id, child)
		}
		return err
	}
	if !valid {
		return s.fault(salInvalidPath, "Session aware load balance endpoint : "+s.lb.reportingName()+" - invalid session endpoint reference", nil)
	}
	if !ready(s.lb.children[child]) {
		return s.fault(salNotReady, "Session aware load balance endpoint : "+s.lb.reportingName()+" - the endpoint bound to the session is not ready", nil)
	}
	c.EnterGroup()
	err := s.lb.children[child].Send(c)
	c.LeaveGroup()
	if err != nil {
		s.forget(id)
		fe := fault.Wrap(err)
		if fe.SkipHandlers || fe.Inbound {
			return fe
		}
		return s.fault(salFailed, "Session aware load balance endpoint : "+s.lb.reportingName()+" - the endpoint of an established session failed: "+fe.Error(), fe)
	}
	s.touch(id)
	return nil
}

func (s *sessions) fault(code int, msg string, prev *fault.Error) *fault.Error {
	return &fault.Error{Code: fault.Num(code), Message: msg, Detail: msg, State: -1, Status: 503, Prev: prev}
}

// bindNew binds a new session to the child that answered its first
// message: by the session ID the response establishes (a cookie, a
// ServiceGroupId), else by the one the request carried.
func (s *sessions) bindNew(c *engine.Context, requestID string, child int) {
	id := s.responseID(c.Msg)
	if id == "" {
		id = requestID
	}
	if id != "" {
		s.bindID(id, child)
	}
}

func (s *sessions) bindID(id string, child int) {
	if child < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = &binding{child: child, last: s.now()}
	s.sweepLocked()
}

func (s *sessions) lookup(id string) (child int, known, valid bool) {
	if id == "" {
		return 0, false, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[id]
	if !ok {
		return 0, false, false
	}
	if s.now().Sub(b.last) > s.timeout {
		delete(s.m, id)
		return 0, false, false
	}
	return b.child, true, b.child >= 0 && b.child < len(s.lb.children)
}

func (s *sessions) touch(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.m[id]; ok {
		b.last = s.now()
	}
}

func (s *sessions) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// sweepLocked drops idle sessions now and then, so that abandoned ones do
// not accumulate.
func (s *sessions) sweepLocked() {
	s.sweeps++
	if s.sweeps%256 != 0 {
		return
	}
	now := s.now()
	for id, b := range s.m {
		if now.Sub(b.last) > s.timeout {
			delete(s.m, id)
		}
	}
}

// Len returns the number of live sessions (tests, management API).
func (s *sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *sessions) requestID(m *message.Message) string {
	switch s.kind {
	case "http":
		return cookieIn(m.Header)
	case "soap":
		return soapHeader(m, nsAxis2Session, "ServiceGroupId")
	case "simpleClientSession":
		return soapHeader(m, nsSynapse, "ClientID")
	}
	return ""
}

func (s *sessions) responseID(m *message.Message) string {
	switch s.kind {
	case "http":
		return setCookie(m.Header)
	case "soap":
		return soapHeader(m, nsAxis2Session, "ServiceGroupId")
	}
	return ""
}

// cookieIn returns the first cookie of a request's Cookie header as
// "name=value", the key a backend's Set-Cookie bound.
func cookieIn(h http.Header) string {
	for _, line := range h.Values("Cookie") {
		for _, part := range strings.Split(line, ";") {
			if p := strings.TrimSpace(part); p != "" {
				return p
			}
		}
	}
	return ""
}

// setCookie returns the first cookie a response sets, as "name=value".
func setCookie(h http.Header) string {
	if v := h.Get("Set-Cookie"); v != "" {
		kv, _, _ := strings.Cut(v, ";")
		return strings.TrimSpace(kv)
	}
	return ""
}

// soapHeader reads a SOAP header block's text, parsing the body only for
// SOAP messages.
func soapHeader(m *message.Message, space, local string) string {
	if f := m.Body.Format(); f != message.FormatSOAP11 && f != message.FormatSOAP12 {
		return ""
	}
	env, err := m.Body.Envelope()
	if err != nil {
		return ""
	}
	h := message.SOAPHeader(env)
	if h == nil {
		return ""
	}
	for c := h.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmltree.ElementNode && c.Name.Local == local && c.Name.Space == space {
			return strings.TrimSpace(c.StringValue())
		}
		if c.Type == xmltree.ElementNode && c.Name.Local == "ReplyTo" {
			// WS-Addressing carries Axis2's ServiceGroupId inside
			// ReplyTo/ReferenceParameters.
			for d := range c.ChildElements() {
				for e := range d.ChildElements() {
					if e.Name.Local == local && e.Name.Space == space {
						return strings.TrimSpace(e.StringValue())
					}
				}
			}
		}
	}
	return ""
}
