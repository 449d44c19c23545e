package xpath

// Options configures Compile. All fields are optional.
type Options struct {
	// Namespaces resolves the prefixes used in name tests and in function
	// and variable names, typically from the declarations in scope on the
	// configuration element the expression came from. The prefix xml is
	// always bound.
	Namespaces func(prefix string) (uri string, ok bool)

	// Functions resolves a function that is not in the XPath 1.0 core
	// library, or any prefixed function. space is the namespace URI of the
	// prefix ("" for an unprefixed name) and nargs the number of arguments.
	// A returned error makes Compile fail with its message; a Function with
	// a nil Fn is reported as an unknown function.
	Functions func(space, local string, nargs int) (Function, error)

	// Variables resolves a variable reference $local or $prefix:local.
	// space is the URI bound to prefix by Namespaces. A prefix that is not
	// declared is passed through with an empty space instead of failing,
	// because Synapse uses undeclared prefixes such as $ctx:, $trp:,
	// $axis2:, $url: and $func:; a non-empty prefix with an empty space
	// therefore means "undeclared". A returned error makes Compile fail with
	// its message; a Variable with a nil Fn is reported as unknown.
	Variables func(prefix, space, local string) (Variable, error)
}

// Function is an extension function. Fn receives its arguments already
// evaluated; neither the Context nor the args slice may be kept after Fn
// returns, and node-sets among the args must be copied to be kept.
type Function struct {
	Fn func(c *Context, args []Value) (Value, error)
	// NeedsNode says Fn reads the context node or the message document,
	// so the document must be parsed before evaluating.
	NeedsNode bool
	// UsesPosition says Fn reads the context position or size. Without
	// it the compiler may evaluate a predicate such as //a[f()] over all a
	// descendants at once, where positions differ from the REC's.
	UsesPosition bool
}

// Variable is a variable binding, computed when the expression is evaluated.
// The Context must not be kept after Fn returns, and the value must not
// depend on the context position or size.
type Variable struct {
	Fn func(c *Context) (Value, error)
	// NeedsNode says Fn reads the context node or the message document.
	NeedsNode bool
}

// Expr is a compiled XPath expression. It is immutable and safe for
// concurrent use.
type Expr struct {
	src       string
	root      expr
	needsNode bool
}

// Compile compiles an XPath 1.0 expression, resolving names through opts
// (which may be nil). Errors are *SyntaxError.
func Compile(src string, opts *Options) (*Expr, error) {
	return compile(src, opts, false)
}

func compile(src string, opts *Options, plain bool) (*Expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks, opts: opts, plain: plain}
	if toks[0].kind == tEOF {
		return nil, p.errorf(0, "empty expression")
	}
	root, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	m := root.info()
	return &Expr{src: src, root: root, needsNode: m.ctx || m.doc}, nil
}

// MustCompile is like Compile but panics on error. It is meant for
// expressions fixed in the program, not for configuration.
func MustCompile(src string, opts *Options) *Expr {
	e, err := Compile(src, opts)
	if err != nil {
		panic(err)
	}
	return e
}

// String returns the source of the expression.
func (e *Expr) String() string { return e.src }

// NeedsNode reports whether evaluating e may read the context node or its
// document, so that the caller must be able to supply one: e contains a
// location path or "." evaluated at the top level, a core function that
// defaults to the context node (string(), name(), number() ...), lang(), or
// an extension function or variable flagged NeedsNode. Paths starting from a
// variable, such as $body/order, do not count.
func (e *Expr) NeedsNode() bool { return e.needsNode }
