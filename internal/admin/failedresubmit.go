package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/failed"
)

// ResubmitRequest is the body of POST /management/failed-messages/resubmit:
// the records with the given IDs, or those the query selects, or, with
// All, every failed record. Only records with status failed are
// resubmitted, unless Force is set.
type ResubmitRequest struct {
	FailedQuery
	IDs []string `json:"ids,omitempty"`
	All bool     `json:"all,omitempty"`
	// Force resubmits records with status resubmitted too: a message
	// resubmitted into a store that then lost it (an in-memory store
	// across a restart) would otherwise be stuck.
	Force bool `json:"force,omitempty"`
}

// ResubmitResult is the answer of a bulk resubmission.
type ResubmitResult struct {
	Resubmitted int               `json:"resubmitted"`
	Failed      []ResubmitFailure `json:"failed"`
}

// ResubmitFailure is one record that could not be resubmitted.
type ResubmitFailure struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

// resubmitTimeout bounds one resubmission: a processor putting the
// message back in a store whose broker hangs must not hold the request.
const resubmitTimeout = 30 * time.Second

func (h *failedMsgs) resubmitOne(w http.ResponseWriter, r *http.Request) {
	g, db := h.open(w)
	if db == nil {
		return
	}
	id := r.PathValue("id")
	proc, err := resubmit(r.Context(), g, db, id, r.URL.Query().Get("force") == "true")
	if err != nil {
		writeErr(w, err)
		return
	}
	h.log.Info("failed message resubmitted", "id", id, "processor", proc, "via", "management API", "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, Message{Message: "Failed message " + id + " resubmitted to " + proc})
}

func (h *failedMsgs) resubmitMany(w http.ResponseWriter, r *http.Request) {
	g, db := h.open(w)
	if db == nil {
		return
	}
	var req ResubmitRequest
	if status, msg := readJSON(w, r, maxSwitchBody, &req, true); status != 0 {
		writeError(w, status, msg)
		return
	}
	ids, err := req.pick(db)
	if err != nil {
		writeErr(w, err)
		return
	}
	out := ResubmitResult{Failed: []ResubmitFailure{}}
	for _, id := range ids {
		if _, err := resubmit(r.Context(), g, db, id, req.Force); err != nil {
			out.Failed = append(out.Failed, ResubmitFailure{ID: id, Error: err.Error()})
			continue
		}
		out.Resubmitted++
	}
	h.log.Info("failed messages resubmitted", "resubmitted", out.Resubmitted, "refused", len(out.Failed),
		"via", "management API", "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, out)
}

// pick returns the IDs to resubmit, oldest failure first so that a
// processor's store receives them in their original order. Explicit IDs
// are kept as given (an unknown or resubmitted one is reported for
// itself); a query selects failed records only, unless forced.
func (req ResubmitRequest) pick(db *failed.DB) ([]string, error) {
	q := req.FailedQuery
	switch {
	case len(req.IDs) > 0 && (!q.IsZero() || req.All):
		return nil, refuse(http.StatusBadRequest, "give ids, or filters, or all, not several")
	case len(req.IDs) > 0:
		return req.IDs, nil
	case q.IsZero() && !req.All:
		return nil, refuse(http.StatusBadRequest, `give ids, at least one filter, or "all":true to resubmit every failed message`)
	case q.Status != "" && q.Status != failed.StatusFailed && !req.Force:
		return nil, refuse(http.StatusBadRequest, "only messages with status %s can be resubmitted (unless forced)", failed.StatusFailed)
	case !req.Force:
		q.Status = failed.StatusFailed
	}
	f, err := q.Filter()
	if err != nil {
		return nil, err
	}
	recs, err := db.List(f, 0)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
	}
	slices.Reverse(ids) // List gives the most recent first
	return ids, nil
}

// errNotFailed refuses a claim on a record that is not failed.
var errNotFailed = errors.New("not failed")

// resubmit puts one failed record back through the processor it failed
// in and returns that processor's name. The record is claimed first
// (failed → resubmitted, Resubmits+1, in one transaction): two operators
// resubmitting at once then send it once, and a message that fails again
// at once (recorded by the processor before Resubmit even returns) keeps
// its new failed status instead of being marked resubmitted afterwards. A
// refused resubmission gives the claim back. force also claims a record
// already resubmitted.
func resubmit(ctx context.Context, g *engine.Graph, db *failed.DB, id string, force bool) (string, error) {
	rec, err := get(db, id)
	if err != nil {
		return "", err
	}
	target, err := resubmitter(g, rec)
	if err != nil {
		return "", err
	}
	prev := rec.Status
	claimed, err := db.Update(id, func(r *failed.Record) error { return claim(r, force) })
	if errors.Is(err, errNotFailed) {
		return "", refuse(http.StatusConflict, "failed message %s has status %s; only a message with status %s can be resubmitted (force=true resubmits it anyway)", id, rec.Status, failed.StatusFailed)
	}
	if err != nil {
		return "", notFound(id, err)
	}
	ctx, cancel := context.WithTimeout(ctx, resubmitTimeout)
	defer cancel()
	if err := target.Resubmit(ctx, claimed); err != nil {
		_, _ = db.Update(id, func(r *failed.Record) error { return unclaim(r, prev) })
		return "", refuse(http.StatusInternalServerError, "message processor %s could not take failed message %s back: %v", rec.Processor, id, err)
	}
	return rec.Processor, nil
}

func claim(r *failed.Record, force bool) error {
	if r.Status != failed.StatusFailed && !force {
		return errNotFailed
	}
	r.Status = failed.StatusResubmitted
	r.Resubmits++
	return nil
}

// unclaim undoes claim, putting back the status the record had, unless
// the record has moved on since.
func unclaim(r *failed.Record, prev string) error {
	if r.Status == failed.StatusResubmitted {
		r.Status = prev
		r.Resubmits--
	}
	return nil
}

// resubmitter finds the processor, in the graph being served, that takes
// the record back; 409 when it is gone or cannot.
func resubmitter(g *engine.Graph, rec *failed.Record) (failed.Resubmitter, error) {
	if rec.Processor == "" {
		return nil, refuse(http.StatusConflict, "failed message %s did not fail in a message processor (step %q), so there is none to resubmit it to", rec.ID, rec.Step)
	}
	p := g.Processors[rec.Processor]
	if p == nil {
		return nil, refuse(http.StatusConflict, "message processor %s, where failed message %s failed, is no longer deployed", rec.Processor, rec.ID)
	}
	rs, ok := p.(failed.Resubmitter)
	if !ok {
		return nil, refuse(http.StatusConflict, "message processor %s cannot resubmit failed messages", rec.Processor)
	}
	return rs, nil
}
