package compile

import (
	"sync"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/store"
)

// openStores keeps the message stores of a process open across graph
// versions: a reload whose store definition is unchanged reuses the open
// store (its connections, its leases); a changed one gets a new store, and
// the old one closes when the last graph using it is retired.
type openStores struct {
	mu sync.Mutex
	m  map[string]*sharedStore
}

type sharedStore struct {
	fingerprint string
	s           store.Store
	refs        int
}

func storesOf(rt *engine.Runtime) *openStores {
	return rt.Value("compile.stores", func() any { return &openStores{m: map[string]*sharedStore{}} }).(*openStores)
}

// acquire returns the open store for name, opening it with open when there
// is none with this fingerprint; release gives the reference back.
func (o *openStores) acquire(name, fingerprint string, open func() (store.Store, error)) (store.Store, func(), error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sh, ok := o.m[name]
	if !ok || sh.fingerprint != fingerprint {
		s, err := open()
		if err != nil {
			return nil, nil, err
		}
		sh = &sharedStore{fingerprint: fingerprint, s: s}
		o.m[name] = sh
	}
	sh.refs++
	return sh.s, func() { o.release(name, sh) }, nil
}

func (o *openStores) release(name string, sh *sharedStore) {
	o.mu.Lock()
	sh.refs--
	last := sh.refs == 0
	if last && o.m[name] == sh {
		delete(o.m, name)
	}
	o.mu.Unlock()
	// A factory that reported configuration errors returns no store.
	if last && sh.s != nil {
		_ = sh.s.Close()
	}
}

func (c *compiler) stores() {
	open := storesOf(c.g.Options.Runtime)
	for _, def := range c.dep.Stores {
		e := c.reg.ByAlias(def.Class)
		if e == nil || e.Spec.Kind != registry.KindStore {
			c.diags.Errorf(attrPos(def.Elem, "class"), def.Path, "unknown message store class %q%s", def.Class, knownClasses(c.reg, registry.KindStore))
			continue
		}
		if e.Spec.Status == registry.StatusUnsupported {
			c.diags.Errorf(attrPos(def.Elem, "class"), def.Path, "message store class %s is not supported by Busbar yet", def.Class)
			continue
		}
		b := c.builder(def.Path, "")
		cfg := store.Config{Name: def.Name, Class: def.Class, Params: config.ParamMap(def.Params), DataDir: c.g.Options.DataDir}
		s, release, err := open.acquire(def.Name, ToXMLTree(def.Elem).String(), func() (store.Store, error) { return e.Store(b, def, cfg) })
		if err != nil {
			c.diags.Errorf(def.Pos, def.Path, "%v", err)
			continue
		}
		if s == nil {
			release()
			continue
		}
		c.g.Stores[def.Name] = s
		c.g.StoreParams[def.Name] = cfg.Params
		c.g.AddCloser(closerFunc(release))
	}
}

func (c *compiler) processors() {
	for _, def := range c.dep.Processors {
		e := c.reg.ByAlias(def.Class)
		if e == nil || e.Spec.Kind != registry.KindProcessor {
			c.diags.Errorf(attrPos(def.Elem, "class"), def.Path, "unknown message processor class %q%s", def.Class, knownClasses(c.reg, registry.KindProcessor))
			continue
		}
		if e.Spec.Status == registry.StatusUnsupported {
			c.diags.Errorf(attrPos(def.Elem, "class"), def.Path, "message processor class %s is not supported by Busbar yet", def.Class)
			continue
		}
		if _, ok := c.g.Stores[def.Store]; !ok && def.Store != "" {
			c.diags.Errorf(attrPos(def.Elem, "messageStore"), def.Path, "message store %q is not defined", def.Store)
			continue
		}
		p, err := e.Processor(c.builder(def.Path, ""), def)
		if err != nil {
			c.diags.Errorf(def.Pos, def.Path, "%v", err)
			continue
		}
		if p != nil {
			c.g.Processors[def.Name] = p
		}
	}
}

func knownClasses(reg *registry.Registry, k registry.Kind) string {
	var names []string
	for _, e := range reg.Walk(k) {
		if e.Spec.Status != registry.StatusUnsupported {
			names = append(names, e.Spec.Aliases...)
		}
	}
	if len(names) == 0 {
		return ""
	}
	out := " (known: "
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out + ")"
}
