package endpoint

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/message"
	"github.com/busbar/busbar/internal/transport/httpout"
)

// client is the outbound transport shared by every endpoint of every graph
// version, so connection pools survive reloads.
var client atomic.Pointer[httpout.Client]

// SetClient installs the outbound client (the CLI does, from its flags).
func SetClient(c *httpout.Client) { client.Store(c) }

// Client returns the outbound client, creating a default one on first use.
func Client() *httpout.Client {
	if c := client.Load(); c != nil {
		return c
	}
	client.CompareAndSwap(nil, httpout.New(httpout.Options{}))
	return client.Load()
}

// outbound is a prepared send: where, how, and with what timeout.
type outbound struct {
	method string
	url    string
}

// deliver sends c.Msg to o.url with the definition's settings and, on
// success, turns c.Msg into the response.
func deliver(c *engine.Context, d *Definition, o outbound) error {
	m := c.Msg
	if err := applyProperties(c, d); err != nil {
		return err
	}
	applyFormat(m, d.Format, &o)
	timeout, err := effectiveTimeout(c, d)
	if err != nil {
		return err
	}
	req := &httpout.Request{Method: o.method, URL: o.url, Header: m.Header, Timeout: timeout}
	if hasBody(o.method, m) {
		w, err := m.WireBody()
		if err != nil {
			return err
		}
		req.Body, req.ContentLength, req.InMemory = w.Body, w.Size, w.InMemory
		if w.ContentType != "" {
			req.Header = withContentType(m.Header, w.ContentType)
		}
	} else {
		m.Body.Close()
	}
	m.To = o.url
	resp, fe := Client().Do(c.Ctx, req)
	if fe != nil {
		c.Log().Debug("endpoint send failed", "endpoint", d.Name, "url", o.url, "code", fe.Code.String(), "error", fe.Message)
		return fe
	}
	m.Status = resp.Status
	m.Header = resp.Header
	m.Body.ResetStream(resp.Body, resp.Header.Get("Content-Type"), resp.ContentLength, c.G.Options.MaxBodyBytes)
	m.Response = true
	return nil
}

// hasBody decides whether the request carries the message body. GET, HEAD
// and OPTIONS never do (an http endpoint with method="get" turns a POST
// into a bodiless GET, as in MI); DELETE does only when there is content.
func hasBody(method string, m *message.Message) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS":
		return false
	case "DELETE":
		if m.Body.IsStream() {
			return m.Body.StreamSize() > 0
		}
		raw, err := m.Body.Raw()
		return err == nil && len(raw) > 0
	}
	return true
}

func withContentType(h map[string][]string, ct string) map[string][]string {
	out := make(map[string][]string, len(h)+1)
	for k, v := range h {
		out[k] = v
	}
	out["Content-Type"] = []string{ct}
	return out
}

func applyProperties(c *engine.Context, d *Definition) error {
	for _, p := range d.Properties {
		v, err := p.Value.Eval(c.Msg)
		if err != nil {
			return err
		}
		c.Msg.Set(p.Scope, p.Name, v)
	}
	return nil
}

// applyFormat converts the message for an endpoint's format= attribute.
func applyFormat(m *message.Message, format string, o *outbound) {
	switch format {
	case "soap11":
		m.Body.SetFormat(message.FormatSOAP11, "")
		m.Set(message.ScopeAxis2, message.PropMessageType, message.CTSOAP11)
	case "soap12":
		m.Body.SetFormat(message.FormatSOAP12, "")
		m.Set(message.ScopeAxis2, message.PropMessageType, message.CTSOAP12)
	case "pox":
		m.Body.SetFormat(message.FormatPOX, "")
		m.Set(message.ScopeAxis2, message.PropMessageType, message.CTXML)
	case "json":
		m.Body.SetFormat(message.FormatJSON, "")
		m.Set(message.ScopeAxis2, message.PropMessageType, message.CTJSON)
	case "get":
		o.method = "GET"
	}
}

// effectiveTimeout is the endpoint's timeout: its static duration, its
// dynamic one capped by the global timeout, or the global timeout
// (synapse-semantics §2.2).
func effectiveTimeout(c *engine.Context, d *Definition) (time.Duration, error) {
	global := time.Duration(c.G.Options.GlobalTimeoutMS) * time.Millisecond
	if d.Timeout > 0 {
		return d.Timeout, nil
	}
	if d.TimeoutExpr != nil {
		s, err := d.TimeoutExpr.EvalString(c.Msg)
		if err != nil {
			return 0, err
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && n > 0 {
			t := time.Duration(n) * time.Millisecond
			if global > 0 && t > global {
				t = global
			}
			return t, nil
		}
	}
	return global, nil
}

// joinPostfix appends REST_URL_POSTFIX to an address endpoint's URI, as MI
// does for messages that came in through an API or a proxy sub-path.
func joinPostfix(uri string, m *message.Message) string {
	post, ok := m.Postfix()
	if !ok || post == "" {
		return uri
	}
	if strings.HasPrefix(post, "?") {
		if strings.Contains(uri, "?") {
			return uri + "&" + post[1:]
		}
		return uri + post
	}
	if strings.HasSuffix(uri, "/") && strings.HasPrefix(post, "/") {
		return uri + post[1:]
	}
	if !strings.HasPrefix(post, "/") && !strings.HasSuffix(uri, "/") {
		return uri + "/" + post
	}
	return uri + post
}
