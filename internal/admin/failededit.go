package admin

import (
	"net/http"

	"github.com/busbar/busbar/internal/failed"
	"github.com/busbar/busbar/internal/store"
)

// EditRequest is the body of PATCH (or PUT) /management/failed-messages/{id}.
// Absent members are left as they are. In Headers and Properties a value
// sets the entry and null removes it.
type EditRequest struct {
	Body        *string            `json:"body,omitempty"`
	ContentType *string            `json:"contentType,omitempty"`
	Headers     map[string]*string `json:"headers,omitempty"`
	Properties  map[string]*string `json:"properties,omitempty"`
}

// maxEditBody bounds an edit; a message body larger than this would not
// have been accepted in the first place.
const maxEditBody = 64 << 20

func (h *failedMsgs) edit(w http.ResponseWriter, r *http.Request) {
	_, db := h.open(w)
	if db == nil {
		return
	}
	var req EditRequest
	if status, msg := readJSON(w, r, maxEditBody, &req, true); status != 0 {
		writeError(w, status, msg)
		return
	}
	if req.Body == nil && req.ContentType == nil && req.Headers == nil && req.Properties == nil {
		writeError(w, http.StatusBadRequest, "nothing to change: give body, contentType, headers or properties")
		return
	}
	id := r.PathValue("id")
	rec, err := db.Update(id, func(rec *failed.Record) error { return req.apply(rec) })
	if err != nil {
		writeErr(w, notFound(id, err))
		return
	}
	h.log.Info("failed message edited", "id", id, "body", req.Body != nil, "contentType", req.ContentType != nil,
		"headers", len(req.Headers), "properties", len(req.Properties), "via", "management API", "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, rec)
}

// apply edits a record; only a failed one may change, since a resubmitted
// message is already back in flight and an edit would never reach it.
func (req EditRequest) apply(rec *failed.Record) error {
	if rec.Status != failed.StatusFailed {
		return refuse(http.StatusConflict, "failed message %s has status %s; only a message with status %s can be edited", rec.ID, rec.Status, failed.StatusFailed)
	}
	if rec.Message == nil {
		rec.Message = &store.Message{ID: rec.ID}
	}
	m := rec.Message
	if req.Body != nil {
		m.Body, rec.Body = []byte(*req.Body), *req.Body
	}
	if req.ContentType != nil {
		m.ContentType = *req.ContentType
		// Keep the header in step: a restored message carries both.
		if m.Header.Get("Content-Type") != "" {
			m.Header.Set("Content-Type", *req.ContentType)
		}
	}
	if req.Headers != nil && m.Header == nil {
		m.Header = http.Header{}
	}
	for k, v := range req.Headers {
		if v == nil {
			m.Header.Del(k)
		} else {
			m.Header.Set(k, *v)
		}
	}
	m.Props = editMap(m.Props, req.Properties)
	return nil
}

func editMap(m map[string]string, edits map[string]*string) map[string]string {
	if len(edits) > 0 && m == nil {
		m = map[string]string{}
	}
	for k, v := range edits {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = *v
		}
	}
	return m
}
