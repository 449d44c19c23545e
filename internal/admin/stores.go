package admin

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/store"
)

// StoreList is the answer of GET /management/message-stores.
type StoreList struct {
	Count int            `json:"count"`
	List  []StoreSummary `json:"list"`
}

// StoreSummary is one store in the list. Size is -1, and Error says why,
// when the store cannot count its messages (a broker that is down): one
// unreachable store must not hide the others.
type StoreSummary struct {
	Name string `json:"name"`
	// Type is MI's name for the kind ("in-memory-message-store",
	// "jdbc-message-store", "rabbitmq-message-store", ...); Busbar's own
	// kinds follow the pattern ("embedded-message-store").
	Type string `json:"type"`
	// Kind is Store.Kind(), the name Busbar's docs use.
	Kind  string `json:"kind"`
	Size  int64  `json:"size"`
	Error string `json:"error,omitempty"`
}

// StoreView is the answer of GET /management/message-stores?name=X: MI's
// members (container, file, properties with passwords masked, size,
// configuration) plus the list's and the processors reading the store.
type StoreView struct {
	StoreSummary
	Container     string            `json:"container"`
	File          string            `json:"file,omitempty"`
	Properties    map[string]string `json:"properties"`
	Configuration string            `json:"configuration,omitempty"`
	Processors    []string          `json:"processors"`
}

// configured is a store that can give its XML as deployed.
type configured interface{ Configuration() string }

type stores struct {
	src     GraphSource
	timeout time.Duration
}

func (h *stores) get(w http.ResponseWriter, r *http.Request) {
	g := served(w, h.src)
	if g == nil {
		return
	}
	q := r.URL.Query()
	if q.Has("name") {
		name := q.Get("name")
		s := g.Stores[name]
		if s == nil {
			writeError(w, http.StatusNotFound, "Specified message store ('"+name+"') not found")
			return
		}
		writeJSON(w, http.StatusOK, h.view(r.Context(), g, name, s))
		return
	}
	writeJSON(w, http.StatusOK, h.list(r.Context(), g, q.Get("searchKey")))
}

// list summarises the stores whose name contains key (any case), sorted by
// name. Sizes are asked for concurrently, so that several unreachable
// brokers cost one timeout, not one each.
func (h *stores) list(ctx context.Context, g *engine.Graph, key string) StoreList {
	out := StoreList{List: matching(g.Stores, key, func(name string, s store.Store) StoreSummary {
		return StoreSummary{Name: name, Type: storeType(s.Kind()), Kind: s.Kind()}
	})}
	var wg sync.WaitGroup
	for i := range out.List {
		wg.Go(func() { h.size(ctx, g.Stores[out.List[i].Name], &out.List[i]) })
	}
	wg.Wait()
	out.Count = len(out.List)
	return out
}

// size fills in the store's size, or -1 and the error.
func (h *stores) size(ctx context.Context, s store.Store, into *StoreSummary) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	n, err := s.Size(ctx)
	if err != nil {
		into.Size, into.Error = -1, err.Error()
		return
	}
	into.Size = n
}

func (h *stores) view(ctx context.Context, g *engine.Graph, name string, s store.Store) StoreView {
	v := StoreView{
		StoreSummary: StoreSummary{Name: name, Type: storeType(s.Kind()), Kind: s.Kind()},
		Container:    ArtifactContainer,
		Properties:   masked(g.StoreParams[name]),
		Processors:   readers(g, name),
	}
	h.size(ctx, s, &v.StoreSummary)
	if f, ok := s.(fileNamed); ok {
		v.File = f.FileName()
	}
	if c, ok := s.(configured); ok {
		v.Configuration = c.Configuration()
	}
	return v
}

// readers names the processors that take messages from the store.
func readers(g *engine.Graph, storeName string) []string {
	out := []string{}
	for name, p := range g.Processors {
		if mp, ok := p.(ManagedProcessor); ok && mp.StoreName() == storeName {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// storeType names a kind as MI's message-store resource does.
func storeType(kind string) string {
	switch kind {
	case "memory":
		return "in-memory-message-store"
	case "":
		return "custom-message-store"
	}
	return kind + "-message-store"
}
