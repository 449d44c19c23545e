// Package reload watches a deployment folder and hot-swaps the served
// graph when it changes: the new version is loaded and compiled completely,
// swapped in atomically, and the old one is drained and closed. A version
// that fails to compile is reported and the old one keeps serving; a change
// that compiles to identical content is a no-op.
package reload

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/registry"
)

// Swapper is what serves graphs (transport/httpin.Server).
type Swapper interface {
	Swap(g *engine.Graph) *engine.Graph
	Graph() *engine.Graph
}

// Watcher polls a deployment for changes. Polling (stat of every file)
// needs no platform-specific notification API and costs little for the
// hundreds of files a deployment has.
type Watcher struct {
	Path     string
	Interval time.Duration
	Registry *registry.Registry
	Options  engine.Options
	Target   Swapper
	Log      *slog.Logger
	// OnReload, if set, is called after each attempt with the result.
	OnReload func(ok bool, diags *config.Diagnostics)

	last   [32]byte
	primed bool
}

// Prime records the folder's current state as the one being served. Call
// it before loading the first version, so that a change made while that
// version loads is still noticed.
func (w *Watcher) Prime() {
	w.last, w.primed = fingerprint(w.Path), true
}

// Run polls until ctx is cancelled.
func (w *Watcher) Run(ctx context.Context) {
	if !w.primed {
		w.Prime()
	}
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fp := fingerprint(w.Path)
			if fp == w.last {
				continue
			}
			w.last = fp
			w.Reload()
		}
	}
}

// Reload loads, compiles and swaps now.
func (w *Watcher) Reload() bool {
	g, diags := compile.Load(w.Path, w.Registry, w.Options)
	if g == nil {
		for _, d := range diags.Errors() {
			w.Log.Error("reload: configuration error; the previous version keeps serving", "error", d.String())
		}
		if w.OnReload != nil {
			w.OnReload(false, diags)
		}
		return false
	}
	if cur := w.Target.Graph(); cur != nil && cur.Hash == g.Hash {
		_ = g.Close()
		return true
	}
	for _, d := range diags.Warnings() {
		w.Log.Warn("configuration warning", "warning", d.String())
	}
	old := w.Target.Swap(g)
	// Stop the old version's processors before the new ones start, so two
	// versions never consume one store at once (order would interleave).
	if old != nil {
		old.StopProcessors()
	}
	g.Start()
	w.Log.Info("deployment reloaded", "apis", len(g.APIs), "proxies", len(g.Proxies), "sequences", len(g.Sequences), "endpoints", len(g.Endpoints))
	if old != nil {
		go func() {
			if err := old.Close(); err != nil {
				w.Log.Warn("closing the previous version", "error", err)
			}
		}()
	}
	if w.OnReload != nil {
		w.OnReload(true, diags)
	}
	return true
}

// fingerprint hashes the names, sizes and modification times of every
// file under path.
func fingerprint(path string) [32]byte {
	h := sha256.New()
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:8], uint64(info.Size()))
		binary.LittleEndian.PutUint64(b[8:], uint64(info.ModTime().UnixNano()))
		h.Write([]byte(p))
		h.Write(b[:])
		return nil
	})
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}
