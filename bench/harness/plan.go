package main

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Peer names. "direct" is not a proxy: wrk talks to the echo backend itself,
// which is the ceiling every proxy is measured against.
const (
	peerDirect  = "direct"
	peerNginx   = "nginx"
	peerHAProxy = "haproxy"
	peerGoProxy = "goproxy"
	peerBusbar  = "busbar"
	// peerBaseline is a second Busbar binary (-baseline), run wherever
	// busbar runs, for A/B comparisons of two builds in the same run.
	peerBaseline = "baseline"
)

// allPeers is also the base running order; odd rounds run it backwards so
// that no peer always benefits from (or pays for) going first.
var allPeers = []string{peerDirect, peerNginx, peerHAProxy, peerGoProxy, peerBusbar, peerBaseline}

// defaultPeers are the peers run when -peers is not given; the baseline
// joins them only with -baseline.
var defaultPeers = allPeers[:len(allPeers)-1]

// runsIn tells whether a peer takes part in a scenario: the baseline goes
// wherever Busbar goes.
func runsIn(s scenario, peer string) bool {
	if peer == peerBaseline {
		peer = peerBusbar
	}
	return slices.Contains(s.Peers, peer)
}

type payloadKind int

const (
	kindSOAP payloadKind = iota
	kindJSON
)

func (k payloadKind) contentType() string {
	if k == kindJSON {
		return "application/json"
	}
	return "text/xml; charset=UTF-8"
}

// scenario is one row group of WSO2 MI's published performance set. Every
// peer is sent to the same path, so the nginx and haproxy configurations
// route on the same prefixes as Busbar's artifacts.
type scenario struct {
	Name      string
	Path      string
	Kind      payloadKind
	Peers     []string
	Headers   [][2]string
	Transform bool
	// Unrouted turns the request into one the scenario's routing must
	// answer with its 404 branch; nil when the scenario does not route.
	Unrouted func(body []byte, headers [][2]string) ([]byte, [][2]string)
	// Primary scenarios get the whole payload × conns × delay matrix in the
	// default plan; the others a reduced set to keep the run bounded.
	Primary bool
	Note    string
}

var scenarios = []scenario{
	{
		Name: "direct-proxy", Path: "/services/DirectProxy", Kind: kindSOAP, Primary: true,
		Peers: defaultPeers,
		Note:  "Busbar: a proxy service whose target is the backend endpoint, no content access (WSO2's DirectProxy). nginx, haproxy and goproxy pass the request through.",
	},
	{
		Name: "direct-api", Path: "/directapi/echo", Kind: kindJSON,
		Peers: defaultPeers,
		Note:  "Busbar: an API resource (POST, url-mapping /*) that sends to the backend, outSequence send. nginx, haproxy and goproxy do the same plain proxying as in direct-proxy.",
	},
	{
		Name: "header-routing", Path: "/services/HeaderRoutingProxy", Kind: kindSOAP,
		Peers:    []string{peerDirect, peerNginx, peerHAProxy, peerBusbar},
		Headers:  [][2]string{{"X-Route", "echo"}},
		Unrouted: withoutHeaders,
		Note:     "Routing on the X-Route header (value echo goes to the backend, anything else is a 404): Busbar switch on get-property('transport','X-Route'), nginx map/if on $http_x_route, haproxy acl hdr(X-Route).",
	},
	{
		Name: "cbr-xpath", Path: "/services/CBRProxy", Kind: kindSOAP, Unrouted: otherSymbol,
		Peers: []string{peerDirect, peerBusbar},
		Note:  "Busbar: switch on the XPath /soapenv:Envelope/soapenv:Body/m:buyStocks/order[1]/symbol of a SOAP 1.1 request (the body is parsed).",
	},
	{
		Name: "cbr-jsonpath", Path: "/cbrjson/echo", Kind: kindJSON, Unrouted: otherSymbol,
		Peers: []string{peerDirect, peerBusbar},
		Note:  "Busbar: filter on json-eval($.order.symbol) of a JSON request (the body is parsed).",
	},
	{
		Name: "transform", Path: "/services/TransformProxy", Kind: kindSOAP, Transform: true,
		Peers: []string{peerDirect, peerBusbar},
		Note:  "Busbar: payloadFactory builds a small new SOAP payload from four XPath values of the request and sends that to the backend; the client gets it back. direct is sent that small payload (what the backend receives), so its row is the backend's ceiling, not a like-for-like proxy.",
	},
	{
		Name: "failover-dead-primary", Path: "/services/FailoverProxy", Kind: kindSOAP,
		Peers: []string{peerDirect, peerNginx, peerHAProxy, peerBusbar},
		Note:  "A failover group whose primary is a closed loopback port. Busbar suspends the primary after its first failure (MI's default 30 s); nginx marks it failed (max_fails=1 fail_timeout=30s, live server backup); haproxy marks it down on the first connection error (observe layer4, check every 30 s, live server backup).",
	},
}

func withoutHeaders(body []byte, _ [][2]string) ([]byte, [][2]string) { return body, nil }

// otherSymbol changes the routed value (the first symbol of the payload).
func otherSymbol(body []byte, headers [][2]string) ([]byte, [][2]string) {
	return bytes.Replace(body, []byte("IBM"), []byte("XYZ"), 1), headers
}

func scenarioByName(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// runSpec is one measured wrk run (preceded by its probe and warm-up).
type runSpec struct {
	Round    int
	Scenario string
	Payload  int
	Conns    int
	Delay    time.Duration
	Peer     string
}

func (r runSpec) String() string {
	return fmt.Sprintf("%s %s c%d d%s %s", r.Scenario, sizeLabel(r.Payload), r.Conns, delayLabel(r.Delay), r.Peer)
}

// block is a stretch of runs that share one backend (the delay is a flag of
// the echo process) and one set of freshly started peers.
type block struct {
	Round int
	Delay time.Duration
	Peers []string
	Runs  []runSpec
}

type planOptions struct {
	Scenarios []string
	Peers     []string
	Payloads  []int
	Conns     []int
	Delays    []time.Duration
	Rounds    int
	Full      bool
}

// config is one (payload, conns, delay) point of the matrix.
type config struct {
	Payload int
	Conns   int
	Delay   time.Duration
}

// configsFor gives a scenario its share of the matrix. The reduced set of
// non-primary scenarios is the first two payloads at the first connection
// count and first delay, plus the first payload with each further delay:
// with the default lists that is 1k and 10k at 50/0 plus 1k/50/30ms.
func configsFor(s scenario, o planOptions) []config {
	var out []config
	for _, d := range o.Delays {
		for _, p := range o.Payloads {
			for _, c := range o.Conns {
				if !(s.Primary || o.Full) {
					firstConns := c == o.Conns[0]
					firstDelay := d == o.Delays[0]
					inFirstTwo := slices.Index(o.Payloads, p) < 2
					if !firstConns || !(firstDelay && inFirstTwo || !firstDelay && p == o.Payloads[0]) {
						continue
					}
				}
				out = append(out, config{p, c, d})
			}
		}
	}
	return out
}

func peerOrder(round int) []string {
	order := slices.Clone(allPeers)
	if round%2 == 1 {
		slices.Reverse(order)
	}
	return order
}

// expandPlan turns the options into blocks in running order: rounds, then
// delays (one backend per delay), then scenarios, payloads, connection
// counts and finally the peers, adjacent so that their figures are taken
// under the same conditions.
func expandPlan(o planOptions) []block {
	var blocks []block
	for round := range o.Rounds {
		for _, d := range o.Delays {
			b := block{Round: round, Delay: d}
			for _, name := range o.Scenarios {
				s, ok := scenarioByName(name)
				if !ok {
					continue
				}
				for _, c := range configsFor(s, o) {
					if c.Delay != d {
						continue
					}
					for _, peer := range peerOrder(round) {
						if !runsIn(s, peer) || !slices.Contains(o.Peers, peer) {
							continue
						}
						b.Runs = append(b.Runs, runSpec{Round: round, Scenario: s.Name, Payload: c.Payload, Conns: c.Conns, Delay: d, Peer: peer})
						if !slices.Contains(b.Peers, peer) {
							b.Peers = append(b.Peers, peer)
						}
					}
				}
			}
			if len(b.Runs) > 0 {
				blocks = append(blocks, b)
			}
		}
	}
	return blocks
}

func countRuns(blocks []block) int {
	n := 0
	for _, b := range blocks {
		n += len(b.Runs)
	}
	return n
}

// Measured costs outside the timed wrk runs, used only for the estimate.
const (
	perRunOverhead   = 150 * time.Millisecond
	perBlockOverhead = time.Second
)

func estimate(blocks []block, duration, warmup time.Duration) time.Duration {
	return time.Duration(countRuns(blocks))*(duration+warmup+perRunOverhead) + time.Duration(len(blocks))*perBlockOverhead
}

// parseSize reads "1k", "10k", "100k", "1m" or a byte count.
func parseSize(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1024, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, strings.TrimSuffix(s, "m")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad payload size %q (use 1k, 10k, 100k or bytes)", s)
	}
	return n * mult, nil
}

func sizeLabel(n int) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dm", n>>20)
	case n%1024 == 0:
		return fmt.Sprintf("%dk", n/1024)
	}
	return fmt.Sprintf("%dB", n)
}

func parseDelay(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad delay %q (use 0 or a duration such as 30ms)", s)
	}
	return d, nil
}

func delayLabel(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return d.String()
}

// splitList parses a comma-separated flag value.
func splitList[T comparable](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for f := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		v, err := parse(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list %q", s)
	}
	return out, nil
}
