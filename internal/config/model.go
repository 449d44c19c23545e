package config

// Deployment is everything one load read: the typed artifacts, in file
// order, and a hash of the files so that an unchanged reload is a no-op.
type Deployment struct {
	Root         string
	APIs         []*API
	Proxies      []*Proxy
	Sequences    []*Sequence
	Endpoints    []*Endpoint
	LocalEntries []*LocalEntry
	Templates    []*Template
	Stores       []*MessageStore
	Processors   []*MessageProcessor
	// Hash is a SHA-256 over every file read, in order.
	Hash [32]byte
}

// Artifact is what every top-level artifact has.
type Artifact struct {
	Name string
	Pos  Pos
	Elem *Element
	// Path is the artifact's element path, e.g. "api[orders]".
	Path string
}

// API is an <api>.
type API struct {
	Artifact
	Context     string
	Version     string
	VersionType string // "context" (default when a version is set) or "url"
	Host        string
	Port        int
	Resources   []*Resource
}

// Resource is an API <resource>.
type Resource struct {
	Elem        *Element
	Pos         Pos
	Path        string
	Methods     []string // upper case; empty means any
	URITemplate string
	URLMapping  string
	Protocols   []string
	In          SeqRef
	Out         SeqRef
	Fault       SeqRef
}

// SeqRef is a sequence given by key or inline.
type SeqRef struct {
	Key    string
	Inline *Element // the element whose children are the mediators
	Pos    Pos
}

// IsSet reports whether the reference names or holds a sequence.
func (r SeqRef) IsSet() bool { return r.Key != "" || r.Inline != nil }

// EndpointRef is an endpoint given by key or inline.
type EndpointRef struct {
	Key    string
	Inline *Element // an <endpoint> element
	Pos    Pos
}

// IsSet reports whether the reference names or holds an endpoint.
func (r EndpointRef) IsSet() bool { return r.Key != "" || r.Inline != nil }

// Proxy is a <proxy> service.
type Proxy struct {
	Artifact
	Transports  []string
	StartOnLoad bool
	In          SeqRef
	Out         SeqRef
	Fault       SeqRef
	Endpoint    EndpointRef
	Parameters  map[string]string
}

// Sequence is a named <sequence>.
type Sequence struct {
	Artifact
	OnError string
}

// Endpoint is a named <endpoint>; its definition is decoded by the endpoint
// kind's factory.
type Endpoint struct {
	Artifact
}

// LocalEntry is a <localEntry>: text, an XML element, or a src URL.
type LocalEntry struct {
	Artifact
	Text string
	XML  *Element
	Src  string
}

// Template is a <template> holding a sequence or an endpoint.
type Template struct {
	Artifact
	Params   []TemplateParam
	Sequence *Element
	Endpoint *Element
	OnError  string
}

// TemplateParam is a template <parameter>.
type TemplateParam struct {
	Name      string
	Default   string
	Mandatory bool
	Pos       Pos
}

// Parameter is a <parameter name="...">value</parameter> of a store or
// processor.
type Parameter struct {
	Name  string
	Value string
	Pos   Pos
}

// MessageStore is a <messageStore name class>.
type MessageStore struct {
	Artifact
	Class  string
	Params []Parameter
}

// MessageProcessor is a <messageProcessor name class messageStore
// targetEndpoint>.
type MessageProcessor struct {
	Artifact
	Class          string
	Store          string
	TargetEndpoint string
	Params         []Parameter
}

// ParamMap returns parameters by name (the last one wins).
func ParamMap(ps []Parameter) map[string]string {
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.Name] = p.Value
	}
	return m
}
