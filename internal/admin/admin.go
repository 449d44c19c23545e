// Package admin is Busbar's management listener: GET /healthz without a
// token, and under /management the MI-compatible management API
// (endpoints, message processors, message stores) plus Busbar's
// failed-message store, every route of which needs the bearer token.
// Errors are JSON objects with an "Error" member, as MI writes them. The
// listener binds to loopback unless told otherwise.
package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/busbar/busbar/internal/engine"
)

// GraphSource gives the graph being served; it is read on every request,
// so a reload shows at once. Nil means the deployment is not loaded yet.
type GraphSource interface{ Graph() *engine.Graph }

// Options configure the management handler.
type Options struct {
	// Token is the bearer token every /management route requires. An
	// empty token locks those routes rather than opening them.
	Token string
	// Log records changes made through the API; nil discards.
	Log *slog.Logger
	// SizeTimeout bounds how long one message store may take to report
	// its size (a store whose broker is down must not stall the list);
	// zero means 2 s.
	SizeTimeout time.Duration
}

// Handler returns the management HTTP handler.
func Handler(src GraphSource, opts Options) http.Handler {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	api := http.NewServeMux()
	eps := &endpoints{src: src, log: log}
	api.HandleFunc("GET /management/endpoints", eps.get)
	api.HandleFunc("POST /management/endpoints", eps.post)
	procs := &processors{src: src, log: log}
	api.HandleFunc("GET /management/message-processors", procs.get)
	api.HandleFunc("POST /management/message-processors", procs.post)
	sts := &stores{src: src, timeout: opts.SizeTimeout}
	if sts.timeout <= 0 {
		sts.timeout = 2 * time.Second
	}
	api.HandleFunc("GET /management/message-stores", sts.get)
	registerFailed(api, &failedMsgs{src: src, log: log})
	api.HandleFunc("/management/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no management resource at "+r.URL.Path)
	})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz(src))
	// Authentication wraps the whole subtree, so a caller without the
	// token cannot even learn which resources exist.
	mux.Handle("/management/", requireToken(opts.Token, api))
	return mux
}

// served returns the graph being served, or answers 503 and returns nil.
func served(w http.ResponseWriter, src GraphSource) *engine.Graph {
	g := src.Graph()
	if g == nil {
		writeError(w, http.StatusServiceUnavailable, "the deployment is not loaded yet")
	}
	return g
}

func healthz(src GraphSource) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		g := src.Graph()
		if g == nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "apis": len(g.APIs), "proxies": len(g.Proxies)})
	}
}

// Error is the body of every error answer, in MI's shape.
type Error struct {
	Error string `json:"Error"`
}

// Message is the body of a successful change, in MI's shape.
type Message struct {
	Message string `json:"Message"`
}

// matching summarises the entries of m whose name contains key (any
// case), in name order: the searchKey filter of MI's list routes.
func matching[V, S any](m map[string]V, key string, summarise func(string, V) S) []S {
	key = strings.ToLower(key)
	names := make([]string, 0, len(m))
	for name := range m {
		if strings.Contains(strings.ToLower(name), key) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := make([]S, 0, len(names))
	for _, name := range names {
		out = append(out, summarise(name, m[name]))
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Configurations are XML; escaping < and > would make them unreadable
	// with curl, and the answer is never embedded in HTML.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, Error{Error: msg})
}

// readJSON decodes a JSON request body of at most limit bytes into v; a
// non-zero status is the error to answer. strict refuses unknown members,
// for Busbar's own bodies, where a misspelt member would otherwise be
// silently ignored (an edit that changes nothing); MI's bodies stay
// lenient, as MI is.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any, strict bool) (int, string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, "JSON payload is too large"
	case err != nil:
		return http.StatusBadRequest, "cannot read the payload: " + err.Error()
	case len(bytes.TrimSpace(body)) == 0:
		return http.StatusBadRequest, "JSON payload is missing"
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return http.StatusBadRequest, "invalid JSON payload: " + err.Error()
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		return http.StatusBadRequest, "invalid JSON payload: more than one JSON value"
	}
	return 0, ""
}
