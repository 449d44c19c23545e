// Package admin is Busbar's management listener: GET /healthz without a
// token, and under /management the MI-compatible management API (endpoints
// today; processors, stores and failed messages as they come), every route
// of which needs the bearer token. Errors are JSON objects with an "Error"
// member, as MI writes them. The listener binds to loopback unless told
// otherwise.
package admin

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

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
