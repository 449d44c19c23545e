package admin

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/busbar/busbar/internal/endpoint"
	"github.com/busbar/busbar/internal/engine"
)

// tracked is an endpoint with a state machine (address, http, default).
// Reading it through this interface keeps composite kinds, which have none
// yet, listable without any change to them.
type tracked interface{ Tracker() *endpoint.Tracker }

// defined is an endpoint with a leaf definition.
type defined interface{ Definition() *endpoint.Definition }

// kinded lets an endpoint name its kind when its Go type name is not the
// XML element.
type kinded interface{ Kind() string }

// grouped is a composite endpoint (failover, loadbalance, recipientlist).
type grouped interface {
	Children() []engine.Endpoint
	Retried() int64
}

// childSwitcher switches a group's children (JMX's EndpointView).
type childSwitcher interface{ SwitchChildren(on bool) }

// EndpointList is the answer of GET /management/endpoints.
type EndpointList struct {
	Count int               `json:"count"`
	List  []EndpointSummary `json:"list"`
}

// EndpointSummary is one endpoint in the list. IsActive is true only in
// state ACTIVE, as in MI.
type EndpointSummary struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	IsActive bool   `json:"isActive"`
	State    string `json:"state"`
}

// EndpointView is the answer of GET /management/endpoints?endpointName=X.
// The state fields are absent for endpoints without a state machine.
type EndpointView struct {
	EndpointSummary
	RemainingRetries *int `json:"remainingRetries,omitempty"`
	// NextRetryTime (RFC 3339, UTC) is set only in TIMEOUT and SUSPENDED.
	NextRetryTime string `json:"nextRetryTime,omitempty"`
	// LastSuspendDuration is in ms; -1 when not suspended since the last
	// recovery.
	LastSuspendDuration *int64                `json:"lastSuspendDuration,omitempty"`
	Transitions         []endpoint.Transition `json:"transitions,omitempty"`
	Configuration       string                `json:"configuration,omitempty"`
	Advanced            *Advanced             `json:"advanced,omitempty"`
	// Tracing is always "disabled": Busbar has no message tracing; the
	// member is kept for MI clients.
	Tracing string `json:"tracing"`
	// Children are a group's child endpoints with their own state.
	Children []EndpointView `json:"children,omitempty"`
	// Retries counts a group's failovers (MI's 304100) or load-balance
	// retries (303100), which MI only reports to JMX.
	Retries *int64 `json:"retries,omitempty"`
}

// Advanced is MI's advanced view of a leaf endpoint's definition.
type Advanced struct {
	SuspendState SuspendState `json:"suspendState"`
	TimeoutState TimeoutState `json:"timeoutState"`
}

// SuspendState is the <suspendOnFailure> configuration. MaxDuration is
// MI's Long.MAX_VALUE when there is no cap; InitialDuration is -1 when not
// configured (30 s at run time). ProgressionFactor is a Busbar addition.
type SuspendState struct {
	ErrorCodes        []int   `json:"errorCodes"`
	MaxDuration       int64   `json:"maxDuration"`
	InitialDuration   int64   `json:"initialDuration"`
	ProgressionFactor float64 `json:"progressionFactor"`
}

// TimeoutState is the <markForSuspension> configuration. "reties" is MI's
// spelling, kept so MI clients read it; RetryDelay (ms) is a Busbar
// addition.
type TimeoutState struct {
	ErrorCodes []int `json:"errorCodes"`
	Reties     int   `json:"reties"`
	RetryDelay int64 `json:"retryDelay"`
}

// SwitchRequest is the body of POST /management/endpoints.
type SwitchRequest struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Trace  string `json:"trace,omitempty"`
	// Children, for a group, switches its children instead of the group
	// itself, as MI's JMX view does (synapse-semantics §1.8).
	Children bool `json:"children,omitempty"`
}

type endpoints struct {
	src GraphSource
	log *slog.Logger
}

// graph returns the served graph, or answers 503 and returns nil.
func (h *endpoints) graph(w http.ResponseWriter) *engine.Graph { return served(w, h.src) }

func (h *endpoints) get(w http.ResponseWriter, r *http.Request) {
	g := h.graph(w)
	if g == nil {
		return
	}
	q := r.URL.Query()
	if q.Has("endpointName") {
		ep := g.Endpoints[q.Get("endpointName")]
		if ep == nil {
			writeError(w, http.StatusNotFound, "Endpoint does not exist")
			return
		}
		writeJSON(w, http.StatusOK, view(q.Get("endpointName"), ep))
		return
	}
	writeJSON(w, http.StatusOK, list(g, q.Get("searchKey")))
}

// list summarises the named endpoints whose name contains key (any case),
// sorted by name.
func list(g *engine.Graph, key string) EndpointList {
	l := matching(g.Endpoints, key, summary)
	return EndpointList{Count: len(l), List: l}
}

// summary describes an endpoint. One without a state machine can never be
// suspended or switched off, so it is ACTIVE, as MI's composite endpoints
// are until switched off.
func summary(name string, ep engine.Endpoint) EndpointSummary {
	s := EndpointSummary{Name: name, Type: kindOf(ep), IsActive: true, State: endpoint.Active.String()}
	if t := trackerOf(ep); t != nil {
		st := t.State()
		s.IsActive, s.State = st == endpoint.Active, st.String()
	}
	return s
}

func view(name string, ep engine.Endpoint) EndpointView {
	v := EndpointView{EndpointSummary: summary(name, ep), Tracing: "disabled"}
	if t := trackerOf(ep); t != nil {
		addStatus(&v, t.Status())
	}
	if d, ok := ep.(defined); ok && d.Definition() != nil {
		def := d.Definition()
		v.Configuration = def.Source
		v.Advanced = advanced(def)
	}
	if g, ok := ep.(grouped); ok {
		n := g.Retried()
		v.Retries = &n
		for i, c := range g.Children() {
			name := c.Name()
			if name == "" {
				name = "endpoint[" + strconv.Itoa(i+1) + "]"
			}
			cv := view(name, c)
			cv.Configuration = ""
			v.Children = append(v.Children, cv)
		}
	}
	return v
}

// addStatus copies a tracker snapshot; taking State from the same
// snapshot keeps the view consistent if the state moves meanwhile.
func addStatus(v *EndpointView, st endpoint.Status) {
	v.State, v.IsActive = st.State, st.State == endpoint.Active.String()
	v.RemainingRetries = &st.RemainingRetries
	v.LastSuspendDuration = &st.LastSuspendDuration
	if st.NextRetryTime != nil {
		v.NextRetryTime = st.NextRetryTime.UTC().Format(time.RFC3339Nano)
	}
	v.Transitions = make([]endpoint.Transition, len(st.Transitions))
	for i, tr := range st.Transitions {
		tr.At = tr.At.UTC()
		v.Transitions[i] = tr
	}
}

func advanced(d *endpoint.Definition) *Advanced {
	maxDur := d.MaxDuration
	if maxDur <= 0 {
		maxDur = math.MaxInt64 // MI's "no cap"
	}
	return &Advanced{
		SuspendState: SuspendState{ErrorCodes: nonNil(d.SuspendCodes), MaxDuration: maxDur,
			InitialDuration: d.InitialDuration, ProgressionFactor: d.Factor},
		TimeoutState: TimeoutState{ErrorCodes: nonNil(d.MarkCodes), Reties: d.Retries, RetryDelay: d.RetryDelay.Milliseconds()},
	}
}

// nonNil makes an empty code list encode as [] rather than null.
func nonNil(codes []int) []int {
	if codes == nil {
		return []int{}
	}
	return codes
}

func trackerOf(ep engine.Endpoint) *endpoint.Tracker {
	if t, ok := ep.(tracked); ok {
		return t.Tracker()
	}
	return nil
}

// kindOf names an endpoint's kind as MI's list does, by the element that
// defines it (address, http, default, failover, ...).
func kindOf(ep engine.Endpoint) string {
	switch e := ep.(type) {
	case kinded:
		return e.Kind()
	case *engine.MissingEndpoint:
		return "template"
	}
	return "endpoint"
}

// maxSwitchBody bounds the POST body; a switch request is a few bytes.
const maxSwitchBody = 64 << 10

func (h *endpoints) post(w http.ResponseWriter, r *http.Request) {
	g := h.graph(w)
	if g == nil {
		return
	}
	req, status, msg := readSwitch(w, r)
	if status == 0 {
		status, msg = h.apply(g, req, r.RemoteAddr)
	}
	if status != http.StatusOK {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, status, Message{Message: msg})
}

// readSwitch decodes the body; a non-zero status is the error to answer.
func readSwitch(w http.ResponseWriter, r *http.Request) (SwitchRequest, int, string) {
	var req SwitchRequest
	if status, msg := readJSON(w, r, maxSwitchBody, &req, false); status != 0 {
		return req, status, msg
	}
	if req.Name == "" {
		return req, http.StatusBadRequest, "Missing parameters in payload"
	}
	return req, 0, ""
}

// apply switches the endpoint, checking in MI's order: the name first,
// then the status.
func (h *endpoints) apply(g *engine.Graph, req SwitchRequest, remote string) (int, string) {
	ep := g.Endpoints[req.Name]
	switch {
	case ep == nil:
		return http.StatusNotFound, "Endpoint does not exist"
	case req.Status == "" && req.Trace != "":
		return http.StatusBadRequest, "Busbar does not support endpoint tracing"
	case req.Status == "":
		return http.StatusBadRequest, "Missing parameters in payload"
	}
	on := strings.EqualFold(req.Status, "active")
	if !on && !strings.EqualFold(req.Status, "inactive") {
		return http.StatusBadRequest, "Provided state is not valid"
	}
	if req.Children {
		cs, ok := ep.(childSwitcher)
		if !ok {
			return http.StatusBadRequest, "Endpoint " + req.Name + " is not a group"
		}
		cs.SwitchChildren(on)
		h.log.Info("endpoint group's children switched", "endpoint", req.Name, "on", on, "via", "management API", "remote", remote)
		if on {
			return http.StatusOK, req.Name + " children are switched On"
		}
		return http.StatusOK, req.Name + " children are switched Off"
	}
	t := trackerOf(ep)
	if t == nil {
		return http.StatusNotImplemented, "Endpoint " + req.Name + " (" + kindOf(ep) + ") has no state that can be switched yet"
	}
	if on {
		t.SwitchOn()
		h.log.Info("endpoint switched on", "endpoint", req.Name, "via", "management API", "remote", remote)
		return http.StatusOK, req.Name + " is switched On"
	}
	t.SwitchOff()
	h.log.Info("endpoint switched off", "endpoint", req.Name, "via", "management API", "remote", remote)
	return http.StatusOK, req.Name + " is switched Off"
}
