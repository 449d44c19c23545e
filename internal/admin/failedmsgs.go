package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/busbar/busbar/internal/engine"
	"github.com/busbar/busbar/internal/failed"
)

// FailedQuery selects failed messages: the query parameters of GET and
// DELETE /management/failed-messages, and the JSON body of the bulk
// resubmit. Empty members match everything; From and To are RFC 3339 and
// bound the last failure.
type FailedQuery struct {
	Artifact  string `json:"artifact,omitempty"`
	Endpoint  string `json:"endpoint,omitempty"`
	ErrorCode string `json:"errorCode,omitempty"`
	Status    string `json:"status,omitempty"`
	Text      string `json:"text,omitempty"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
}

// FailedList is the answer of GET /management/failed-messages: Count
// records (most recent failure first) of Total matching ones.
type FailedList struct {
	Count int             `json:"count"`
	Total int             `json:"total"`
	List  []FailedSummary `json:"list"`
}

// FailedSummary is one failed message in the list, without its body.
type FailedSummary struct {
	ID           string    `json:"id"`
	Artifact     string    `json:"artifact"`
	Endpoint     string    `json:"endpoint,omitempty"`
	Processor    string    `json:"processor,omitempty"`
	Store        string    `json:"store,omitempty"`
	Step         string    `json:"step"`
	ErrorCode    string    `json:"errorCode"`
	ErrorMessage string    `json:"errorMessage"`
	FirstFailed  time.Time `json:"firstFailed"`
	LastFailed   time.Time `json:"lastFailed"`
	Attempts     int       `json:"attempts"`
	Status       string    `json:"status"`
	Resubmits    int       `json:"resubmits"`
	ContentType  string    `json:"contentType,omitempty"`
	BodySize     int       `json:"bodySize"`
}

// DeleteResult is the answer of a bulk delete.
type DeleteResult struct {
	Deleted int `json:"deleted"`
}

// defaultLimit caps a list without ?limit: the store may hold many
// thousands of records, and a list is for reading.
const defaultLimit = 100

type failedMsgs struct {
	src GraphSource
	log *slog.Logger
}

func registerFailed(mux *http.ServeMux, h *failedMsgs) {
	mux.HandleFunc("GET /management/failed-messages", h.list)
	mux.HandleFunc("DELETE /management/failed-messages", h.deleteMany)
	mux.HandleFunc("POST /management/failed-messages/resubmit", h.resubmitMany)
	mux.HandleFunc("GET /management/failed-messages/{id}", h.show)
	mux.HandleFunc("PATCH /management/failed-messages/{id}", h.edit)
	mux.HandleFunc("PUT /management/failed-messages/{id}", h.edit)
	mux.HandleFunc("DELETE /management/failed-messages/{id}", h.delete)
	mux.HandleFunc("POST /management/failed-messages/{id}/resubmit", h.resubmitOne)
}

// apiError is a refusal with its HTTP status.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func refuse(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// writeErr answers err with its status; anything but an apiError is a 500.
func writeErr(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae.status, ae.msg)
		return
	}
	writeError(w, http.StatusInternalServerError, err.Error())
}

// open returns the served graph and its failed-message store, or answers
// 503 and returns nil.
func (h *failedMsgs) open(w http.ResponseWriter) (*engine.Graph, *failed.DB) {
	g := served(w, h.src)
	if g == nil {
		return nil, nil
	}
	db := failed.From(g.Options.Runtime)
	if db == nil {
		writeError(w, http.StatusServiceUnavailable, "the failed-message store is not enabled")
		return nil, nil
	}
	return g, db
}

func (h *failedMsgs) list(w http.ResponseWriter, r *http.Request) {
	_, db := h.open(w)
	if db == nil {
		return
	}
	q := r.URL.Query()
	f, err := queryOf(q).Filter()
	if err != nil {
		writeErr(w, err)
		return
	}
	limit, err := limitOf(q.Get("limit"))
	if err != nil {
		writeErr(w, err)
		return
	}
	recs, err := db.List(f, 0)
	if err != nil {
		writeErr(w, err)
		return
	}
	out := FailedList{Total: len(recs), List: []FailedSummary{}}
	for i, rec := range recs {
		if limit > 0 && i == limit {
			break
		}
		out.List = append(out.List, summarise(rec))
	}
	out.Count = len(out.List)
	writeJSON(w, http.StatusOK, out)
}

func queryOf(q url.Values) FailedQuery {
	return FailedQuery{Artifact: q.Get("artifact"), Endpoint: q.Get("endpoint"), ErrorCode: q.Get("errorCode"),
		Status: q.Get("status"), Text: q.Get("text"), From: q.Get("from"), To: q.Get("to")}
}

// limitOf reads ?limit: absent means defaultLimit, 0 means no limit.
func limitOf(s string) (int, error) {
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, refuse(http.StatusBadRequest, "limit %q is not a whole number >= 0", s)
	}
	return n, nil
}

// Filter converts the query, refusing malformed times and unknown
// statuses rather than matching nothing.
func (q FailedQuery) Filter() (failed.Filter, error) {
	f := failed.Filter{Artifact: q.Artifact, Endpoint: q.Endpoint, Code: q.ErrorCode, Status: q.Status, Text: q.Text}
	if q.Status != "" && q.Status != failed.StatusFailed && q.Status != failed.StatusResubmitted {
		return f, refuse(http.StatusBadRequest, "status %q is not %s or %s", q.Status, failed.StatusFailed, failed.StatusResubmitted)
	}
	var err error
	if f.From, err = instant("from", q.From); err != nil {
		return f, err
	}
	f.To, err = instant("to", q.To)
	return f, err
}

// IsZero reports whether the query selects everything.
func (q FailedQuery) IsZero() bool { return q == FailedQuery{} }

func instant(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, refuse(http.StatusBadRequest, "%s %q is not an RFC 3339 time such as 2026-03-01T12:00:00Z", name, s)
	}
	return t, nil
}

func summarise(r *failed.Record) FailedSummary {
	s := FailedSummary{ID: r.ID, Artifact: r.Artifact, Endpoint: r.Endpoint, Processor: r.Processor, Store: r.Store,
		Step: r.Step, ErrorCode: r.Code, ErrorMessage: r.Error, FirstFailed: r.FirstFailed, LastFailed: r.LastFailed,
		Attempts: len(r.Attempts), Status: r.Status, Resubmits: r.Resubmits, BodySize: len(r.Body)}
	if r.Message != nil {
		s.ContentType = r.Message.ContentType
	}
	return s
}

func (h *failedMsgs) show(w http.ResponseWriter, r *http.Request) {
	_, db := h.open(w)
	if db == nil {
		return
	}
	rec, err := get(db, r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// get reads one record, naming an unknown ID in a 404.
func get(db *failed.DB, id string) (*failed.Record, error) {
	rec, err := db.Get(id)
	return rec, notFound(id, err)
}

func notFound(id string, err error) error {
	if errors.Is(err, failed.ErrNotFound) {
		return refuse(http.StatusNotFound, "Failed message %s does not exist", id)
	}
	return err
}

func (h *failedMsgs) delete(w http.ResponseWriter, r *http.Request) {
	_, db := h.open(w)
	if db == nil {
		return
	}
	id := r.PathValue("id")
	if err := db.Delete(id); err != nil {
		writeErr(w, notFound(id, err))
		return
	}
	h.log.Info("failed message deleted", "id", id, "via", "management API", "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, Message{Message: "Failed message " + id + " deleted"})
}

// deleteMany deletes every record the query selects. An empty query must
// say all=true: a forgotten filter must not empty the store.
func (h *failedMsgs) deleteMany(w http.ResponseWriter, r *http.Request) {
	_, db := h.open(w)
	if db == nil {
		return
	}
	q := queryOf(r.URL.Query())
	f, err := q.Filter()
	if err == nil && q.IsZero() && r.URL.Query().Get("all") != "true" {
		err = refuse(http.StatusBadRequest, "give at least one filter, or all=true to delete every failed message")
	}
	var recs []*failed.Record
	if err == nil {
		recs, err = db.List(f, 0)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	n := 0
	for _, rec := range recs {
		// Another operator may have deleted it meanwhile; that is fine.
		if err := db.Delete(rec.ID); err == nil {
			n++
		} else if !errors.Is(err, failed.ErrNotFound) {
			writeErr(w, fmt.Errorf("deleted %d failed messages, then: %w", n, err))
			return
		}
	}
	h.log.Info("failed messages deleted", "count", n, "query", q, "via", "management API", "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, DeleteResult{Deleted: n})
}
