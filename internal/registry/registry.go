// Package registry is where every mediator and endpoint kind registers
// itself: its XML element, its Synapse class aliases, its spec (attributes,
// children, examples, status) and its factory. Compile looks components up
// here; docs, `busbar list` and the example tests are generated from the
// same specs, so documentation cannot drift from behaviour. Default is the
// registry the binary uses; tests build their own with New.
package registry

import (
	"fmt"
	"sort"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/store"
)

// Kind is what a component is.
type Kind string

// Kinds.
const (
	KindMediator  Kind = "mediator"
	KindEndpoint  Kind = "endpoint"
	KindStore     Kind = "store"
	KindProcessor Kind = "processor"
)

// Status of a component.
const (
	StatusStable      = "stable"
	StatusUnsupported = "unsupported"
)

// Attr describes an attribute.
type Attr struct {
	Name     string
	Type     string // string, int, bool, xpath, expression, key, enum, duration
	Default  string
	Required bool
	Values   []string // for enums
	Doc      string
}

// Child describes a child element.
type Child struct {
	Name     string
	Doc      string
	Required bool
	Multiple bool
}

// Example is a documented, tested use of a component: the configuration
// snippet, an input message and what must come out.
type Example struct {
	Title string
	// Config is the mediator's XML (one or more mediators).
	Config string
	// Input is the request body and InputType its content type.
	Input     string
	InputType string
	// Output is the expected body after mediation ("" means not checked)
	// and OutputType its expected content type (media type only).
	Output     string
	OutputType string
	// Props are expected default-scope property values after mediation.
	Props map[string]string
	// Fault is the expected ERROR_CODE if the example fails on purpose.
	Fault string
}

// Spec is the single description of a component.
type Spec struct {
	Kind    Kind
	Element string
	// Aliases are Synapse class names that map to this component.
	Aliases  []string
	Summary  string
	Doc      string
	Attrs    []Attr
	Children []Child
	// Mediators says the element may contain mediators directly.
	Mediators bool
	// AnyChildren says children are free-form (checked by the factory).
	AnyChildren bool
	Examples    []Example
	Status      string
	// Differences lists where Busbar deliberately behaves unlike MI.
	Differences []string
}

// MediatorFactory builds a mediator from its element.
type MediatorFactory func(b Builder, el *config.Element) (engine.Mediator, error)

// EndpointFactory builds an endpoint from its definition element (the
// <address>, <http>, ... child of <endpoint>). name is the endpoint's name
// ("" for anonymous inline endpoints).
type EndpointFactory func(b Builder, el *config.Element, name string) (engine.Endpoint, error)

// StoreFactory builds a message store from its definition. It must not
// block on the network or touch the disk: stores connect or open lazily,
// so that validate never does, and reconnect by themselves.
type StoreFactory func(b Builder, def *config.MessageStore, cfg store.Config) (store.Store, error)

// ProcessorFactory builds a message processor; it starts only when the
// graph's Start runs.
type ProcessorFactory func(b Builder, def *config.MessageProcessor) (engine.Processor, error)

// Entry is a registered component.
type Entry struct {
	Spec      Spec
	Mediator  MediatorFactory
	Endpoint  EndpointFactory
	Store     StoreFactory
	Processor ProcessorFactory
}

// Registry holds components by kind and element name.
type Registry struct {
	byKey   map[string]*Entry
	aliases map[string]*Entry
	order   []*Entry
}

// New returns an empty registry.
func New() *Registry { return &Registry{byKey: map[string]*Entry{}, aliases: map[string]*Entry{}} }

// Default is the registry filled by the init functions of component
// packages.
var Default = New()

func key(k Kind, element string) string { return string(k) + "/" + element }

// Add registers an entry. It panics on an incomplete spec or a duplicate,
// because both are programming errors caught at start-up.
func (r *Registry) Add(e *Entry) {
	s := e.Spec
	if s.Kind == "" || s.Element == "" || s.Summary == "" {
		panic(fmt.Sprintf("registry: incomplete spec for %q (kind, element and summary are required)", s.Element))
	}
	if s.Status == "" {
		e.Spec.Status = StatusStable
	}
	if e.Spec.Status != StatusUnsupported && e.Mediator == nil && e.Endpoint == nil && e.Store == nil && e.Processor == nil {
		panic(fmt.Sprintf("registry: %s %q has no factory", s.Kind, s.Element))
	}
	k := key(s.Kind, s.Element)
	if _, dup := r.byKey[k]; dup {
		panic(fmt.Sprintf("registry: %s %q registered twice", s.Kind, s.Element))
	}
	r.byKey[k] = e
	for _, a := range s.Aliases {
		if _, dup := r.aliases[a]; dup {
			panic(fmt.Sprintf("registry: alias %q registered twice", a))
		}
		r.aliases[a] = e
	}
	r.order = append(r.order, e)
}

// Lookup returns the component of a kind with an element name, or nil.
func (r *Registry) Lookup(k Kind, element string) *Entry { return r.byKey[key(k, element)] }

// ByAlias returns the component registered under a Synapse class name.
func (r *Registry) ByAlias(class string) *Entry { return r.aliases[class] }

// Walk returns every entry of a kind sorted by element name.
func (r *Registry) Walk(k Kind) []*Entry {
	var out []*Entry
	for _, e := range r.order {
		if e.Spec.Kind == k {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec.Element < out[j].Spec.Element })
	return out
}

// RegisterMediator adds a mediator to Default.
func RegisterMediator(s Spec, f MediatorFactory) {
	s.Kind = KindMediator
	Default.Add(&Entry{Spec: s, Mediator: f})
}

// RegisterEndpoint adds an endpoint kind to Default.
func RegisterEndpoint(s Spec, f EndpointFactory) {
	s.Kind = KindEndpoint
	Default.Add(&Entry{Spec: s, Endpoint: f})
}

// RegisterStore adds a message store kind to Default; its Aliases are the
// <messageStore class> names it answers to.
func RegisterStore(s Spec, f StoreFactory) {
	s.Kind = KindStore
	Default.Add(&Entry{Spec: s, Store: f})
}

// RegisterProcessor adds a message processor kind to Default; its Aliases
// are the <messageProcessor class> names it answers to.
func RegisterProcessor(s Spec, f ProcessorFactory) {
	s.Kind = KindProcessor
	Default.Add(&Entry{Spec: s, Processor: f})
}

// RegisterUnsupported records a Synapse element Busbar knows but does not
// implement yet, so configurations using it get a precise error.
func RegisterUnsupported(k Kind, element, summary string) {
	Default.Add(&Entry{Spec: Spec{Kind: k, Element: element, Summary: summary, Status: StatusUnsupported}})
}
