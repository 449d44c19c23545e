// Package admin is Busbar's management listener: health and readiness
// today, and the MI-compatible management API as it grows. It binds to
// loopback unless told otherwise.
package admin

import (
	"encoding/json"
	"net/http"

	"github.com/busbar/busbar/internal/engine"
)

// GraphSource gives the graph being served.
type GraphSource interface{ Graph() *engine.Graph }

// Handler returns the management HTTP handler.
func Handler(src GraphSource) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		g := src.Graph()
		w.Header().Set("Content-Type", "application/json")
		if g == nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]string{"status": "starting"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "ready", "apis": len(g.APIs), "proxies": len(g.Proxies)})
	})
	return mux
}
