// Package engine runs messages through a compiled, immutable Graph: it
// dispatches an inbound message to a proxy service, an API resource or the
// main sequence, executes sequences mediator by mediator, keeps Synapse's
// fault-handler stack, delivers responses to out sequences, and makes sure
// every client gets an answer. The request path is visible here:
// transport/httpin calls Serve, mediators call back into the Context, and
// endpoints reach transport/httpout.
package engine

import (
	"errors"
	"io"
	"sort"
	"sync"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/store"
)

// Graph is one compiled version of a deployment. It is immutable once built
// and is swapped as a whole on reload; in-flight messages keep the version
// they started with until they finish.
type Graph struct {
	Proxies      map[string]*Proxy
	APIs         []*API // sorted by context length, longest first
	Sequences    map[string]*Sequence
	Endpoints    map[string]Endpoint
	Templates    map[string]*Template
	LocalEntries map[string]*LocalEntry
	// Stores are the message stores by name; Processors the message
	// processors, started by Start once the graph is served.
	Stores     map[string]store.Store
	Processors map[string]Processor
	// StoreParams are each store's <parameter>s (the store mediator reads
	// the guaranteed-delivery ones).
	StoreParams map[string]map[string]string
	// Main and Fault are the main and fault sequences (built-in defaults
	// when the deployment does not define them).
	Main  *Sequence
	Fault *Sequence
	// Hash identifies the configuration the graph was compiled from.
	Hash [32]byte
	// Options are runtime settings that apply to the whole graph.
	Options Options

	closers []io.Closer
	wg      sync.WaitGroup
	start   sync.Once
	stop    sync.Once
}

// Processor is a message processor: background work a graph owns,
// started when the graph is served and stopped when it is retired.
type Processor interface {
	Name() string
	// Start begins the processor's work; it must return at once.
	Start()
	// Stop ends the work and waits for the message in progress.
	Stop()
}

// Start starts the graph's processors. It is called once the graph is the
// one being served (never by validate); calling it again does nothing.
func (g *Graph) Start() {
	g.start.Do(func() {
		for _, name := range sortedNames(g.Processors) {
			g.Processors[name].Start()
		}
	})
}

// StopProcessors stops the graph's processors (waiting for the messages
// they are delivering); it is safe to call more than once.
func (g *Graph) StopProcessors() {
	g.stop.Do(func() {
		for _, p := range g.Processors {
			p.Stop()
		}
	})
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Options are deployment-wide runtime settings.
type Options struct {
	// MaxBodyBytes limits how much of a body Busbar reads into memory.
	MaxBodyBytes int64
	// GlobalTimeoutMS is synapse.global_timeout_interval: the timeout of
	// endpoints without their own.
	GlobalTimeoutMS int64
	// Runtime is the process-wide state graphs share; compile creates one
	// when it is nil.
	Runtime *Runtime
	// DataDir is where durable state lives (--data-dir); empty in validate,
	// where nothing is opened.
	DataDir string
}

// AddCloser registers a resource to close when the graph is retired.
func (g *Graph) AddCloser(c io.Closer) { g.closers = append(g.closers, c) }

// Acquire marks a message as running on g; Release ends it.
func (g *Graph) Acquire() { g.wg.Add(1) }

// Release ends a message started with Acquire.
func (g *Graph) Release() { g.wg.Done() }

// Close waits for in-flight messages and closes the graph's resources. It is
// safe on a partially built graph.
func (g *Graph) Close() error {
	g.StopProcessors()
	g.wg.Wait()
	var errs []error
	for i := len(g.closers) - 1; i >= 0; i-- {
		if err := g.closers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Sequence returns a named sequence or nil.
func (g *Graph) Sequence(name string) *Sequence { return g.Sequences[name] }

// Endpoint returns a named endpoint or nil.
func (g *Graph) Endpoint(name string) Endpoint { return g.Endpoints[name] }

// Proxy is a compiled proxy service.
type Proxy struct {
	Name       string
	Path       string
	Transports []string
	In         SeqRef
	Out        SeqRef
	Fault      SeqRef
	Endpoint   EndpointRef
	Pos        config.Pos
}

// API is a compiled API.
type API struct {
	Name        string
	Path        string
	Context     string // with the version folded in when version-type is context/url
	Version     string
	Host        string
	Port        int
	Resources   []*Resource
	Pos         config.Pos
	ResMismatch *Sequence // _resource_mismatch_handler_
	MethodNA    *Sequence // _method_not_allowed_handler_
}

// Resource is a compiled API resource.
type Resource struct {
	Path      string
	Methods   []string
	Protocols []string
	Match     Matcher
	In        SeqRef
	Out       SeqRef
	Fault     SeqRef
}

// Matcher matches the part of a request path after the API context and
// sets the uri.var.* properties of a uri-template.
type Matcher interface {
	// Match reports whether path (starting with "/", without query) and
	// the raw query match; vars receives template variables.
	Match(path, rawQuery string, vars func(name, value string)) bool
	String() string
}

// Template is a compiled sequence template (call-template targets it).
type Template struct {
	Name     string
	Path     string
	Params   []TemplateParam
	Sequence *Sequence
	OnError  string
}

// TemplateParam is a template parameter.
type TemplateParam struct {
	Name      string
	Default   string
	Mandatory bool
}

// LocalEntry is a compiled local entry.
type LocalEntry struct {
	Key  string
	Text string
	// XML is the entry's element rendered as a standalone document, if it
	// holds one.
	XML []byte
}
