// Package endpoint holds Busbar's endpoint kinds, one self-registering file
// each (address, http, default, ...), and what they share: the endpoint
// definition (timeouts, suspension and retry settings, properties) and the
// outbound send through transport/httpout.
package endpoint

import (
	"strconv"
	"strings"
	"time"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/expr"
	"github.com/busbar/busbar/internal/registry"
)

// Timeout actions of <timeout><responseAction>.
const (
	ActionNone    = ""
	ActionFault   = "fault"
	ActionDiscard = "discard"
)

// Definition is what every leaf endpoint kind shares: the children of
// <address>, <http>, <default> (synapse-semantics §1.2, §2.1) and the
// <property> children of the enclosing <endpoint>.
type Definition struct {
	Name   string
	Format string
	// Timeout is the static <timeout><duration>; TimeoutExpr a dynamic one
	// written as {xpath}. Zero and nil mean the global timeout.
	Timeout       time.Duration
	TimeoutExpr   *expr.Expr
	TimeoutAction string

	MarkCodes    []int
	Retries      int
	RetryDelay   time.Duration
	SuspendCodes []int
	// InitialDuration is -1 when not configured (meaning 30 s at run
	// time), Factor 1 and MaxDuration 0 (no cap) by default.
	InitialDuration int64
	Factor          float64
	MaxDuration     int64
	RetryDisabled   []int
	RetryEnabled    []int

	Properties []Property
	OnError    string

	// Source is the endpoint's configuration as XML (the enclosing
	// <endpoint> when there is one), kept for the management API.
	Source string
}

// Property is an endpoint <property> set on the message when it is sent.
type Property struct {
	Name  string
	Value expr.Param
	Scope string
}

// definitionChildren are the children a leaf endpoint definition accepts.
var definitionChildren = []registry.Child{
	{Name: "timeout", Doc: "Per-call timeout: <duration> in ms (or {xpath}) and <responseAction> fault|discard."},
	{Name: "markForSuspension", Doc: "Timeout-class errors: <errorCodes>, <retriesBeforeSuspension>, <retryDelay>."},
	{Name: "suspendOnFailure", Doc: "Suspending errors: <errorCodes>, <initialDuration>, <progressionFactor>, <maximumDuration>."},
	{Name: "suspendDurationOnFailure", Doc: "Deprecated: suspension in seconds."},
	{Name: "retryConfig", Doc: "<disabledErrorCodes>/<enabledErrorCodes> used by failover and load-balance parents."},
	{Name: "enableAddressing", Doc: "WS-Addressing (not supported; warned)."},
	{Name: "enableSec", Doc: "WS-Security (not supported; warned)."},
	{Name: "enableRM", Doc: "WS-ReliableMessaging (not supported; warned)."},
	{Name: "authentication", Doc: "Basic/OAuth authentication (not supported yet)."},
}

// ParseDefinition decodes a leaf definition element.
func ParseDefinition(b registry.Builder, el *config.Element, name string) *Definition {
	d := &Definition{Name: name, InitialDuration: -1, Factor: 1, Format: el.Get("format")}
	if ep := el.Parent; ep != nil {
		d.OnError = ep.Get("onError")
		d.Properties = parseProperties(b, ep)
	}
	for _, c := range el.Children {
		switch c.Name.Local {
		case "timeout":
			parseTimeout(b, c, d)
		case "markForSuspension":
			d.MarkCodes = codes(b, c.Child("errorCodes"))
			d.Retries = intChild(b, c.Child("retriesBeforeSuspension"), 0)
			d.RetryDelay = time.Duration(intChild(b, c.Child("retryDelay"), 0)) * time.Millisecond
		case "suspendOnFailure":
			d.SuspendCodes = codes(b, c.Child("errorCodes"))
			d.InitialDuration = int64(intChild(b, c.Child("initialDuration"), -1))
			d.Factor = floatChild(b, c.Child("progressionFactor"), 1)
			d.MaxDuration = int64(intChild(b, c.Child("maximumDuration"), 0))
		case "suspendDurationOnFailure":
			b.Warnf(c.Pos, "<suspendDurationOnFailure> is deprecated; use <suspendOnFailure><initialDuration>")
			d.InitialDuration = int64(intChild(b, c, 0)) * 1000
			d.Factor = 1
		case "retryConfig":
			d.RetryDisabled = codes(b, c.Child("disabledErrorCodes"))
			d.RetryEnabled = codes(b, c.Child("enabledErrorCodes"))
		case "enableAddressing", "enableSec", "enableRM":
			b.Warnf(c.Pos, "<%s> is not supported by Busbar; ignored", c.Name.Local)
		case "authentication":
			b.Errorf(c.Pos, "endpoint <authentication> is not supported by Busbar yet")
		}
	}
	return d
}

func parseTimeout(b registry.Builder, c *config.Element, d *Definition) {
	if dur := c.Child("duration"); dur != nil {
		s := strings.TrimSpace(dur.Text())
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			d.TimeoutExpr = b.Expr(dur, s[1:len(s)-1], dur.Pos)
		} else if n, err := strconv.ParseInt(s, 10, 64); err != nil || n < 0 {
			b.Errorf(dur.Pos, "timeout duration %q must be a number of milliseconds or {xpath}", s)
		} else {
			d.Timeout = time.Duration(n) * time.Millisecond
		}
	}
	if a := c.Child("responseAction"); a != nil {
		switch v := strings.ToLower(strings.TrimSpace(a.Text())); v {
		case ActionFault, ActionDiscard:
			d.TimeoutAction = v
		default:
			b.Errorf(a.Pos, "invalid timeout action %q: must be fault or discard", v)
		}
	}
}

func parseProperties(b registry.Builder, ep *config.Element) []Property {
	var out []Property
	for _, p := range ep.ChildrenNamed("property") {
		v, ok := registry.ValueOrExpr(b, p, "value", "expression", true)
		if !ok {
			continue
		}
		out = append(out, Property{Name: p.Get("name"), Value: v, Scope: p.Get("scope")})
	}
	return out
}

// codes parses an error-code list: integers separated by commas and/or
// spaces; any other token makes the configuration invalid.
func codes(b registry.Builder, el *config.Element) []int {
	if el == nil {
		return nil
	}
	var out []int
	for _, tok := range strings.FieldsFunc(el.Text(), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
		n, err := strconv.Atoi(tok)
		if err != nil {
			b.Errorf(el.Pos, "error code %q is not a number", tok)
			continue
		}
		out = append(out, n)
	}
	return out
}

func intChild(b registry.Builder, el *config.Element, def int) int {
	if el == nil {
		return def
	}
	s := strings.TrimSpace(el.Text())
	n, err := strconv.Atoi(s)
	if err != nil {
		b.Errorf(el.Pos, "<%s> %q must be an integer", el.Name.Local, s)
		return def
	}
	return n
}

func floatChild(b registry.Builder, el *config.Element, def float64) float64 {
	if el == nil {
		return def
	}
	s := strings.TrimSpace(el.Text())
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		b.Errorf(el.Pos, "<%s> %q must be a number", el.Name.Local, s)
		return def
	}
	return f
}
