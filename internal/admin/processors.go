package admin

import (
	"log/slog"
	"maps"
	"net/http"
	"strings"

	"github.com/busbar/busbar/internal/engine"
)

// ManagedProcessor is what the management API needs of a message
// processor, beyond engine.Processor. The kinds in internal/processor
// implement it; one that does not is listed as MI's
// "Custom-message-processor" with status "unknown" and cannot be switched.
type ManagedProcessor interface {
	Name() string
	// Type is MI's name for the kind: "Scheduled-message-forwarding-processor",
	// "Failover-scheduled-message-forwarding-processor" or "Sampling-processor".
	Type() string
	// StoreName is the message store the processor takes messages from.
	StoreName() string
	Active() bool
	Activate()
	Deactivate()
	// Parameters are the <parameter>s as configured.
	Parameters() map[string]string
	// Configuration is the processor's XML as deployed.
	Configuration() string
	// Status is the processor's own counters and state, shown as
	// "statistics" (a Busbar addition).
	Status() map[string]any
}

// fileNamed is an artifact that knows the file it was deployed from, for
// MI's fileName member; without it the member is left out.
type fileNamed interface{ FileName() string }

// ArtifactContainer is MI's artifactContainer value. MI names the CApp an
// artifact came from; Busbar deploys a folder, so the container is Busbar
// itself, in MI's format, which MI's dashboard displays as is.
const ArtifactContainer = "[ Deployed From Artifact Container: busbar ]"

// Processor statuses, as MI writes them; StatusUnknown is Busbar's, for a
// processor that cannot report its state.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
	StatusUnknown  = "unknown"
)

// customProcessorType is MI's type for a processor class it does not know.
const customProcessorType = "Custom-message-processor"

// ProcessorList is the answer of GET /management/message-processors.
type ProcessorList struct {
	Count int                `json:"count"`
	List  []ProcessorSummary `json:"list"`
}

// ProcessorSummary is one processor in the list.
type ProcessorSummary struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

// ProcessorView is the answer of GET /management/message-processors?name=X:
// MI's members plus Statistics.
type ProcessorView struct {
	ProcessorSummary
	ArtifactContainer string            `json:"artifactContainer"`
	FileName          string            `json:"fileName,omitempty"`
	Parameters        map[string]string `json:"parameters"`
	MessageStore      string            `json:"messageStore"`
	Configuration     string            `json:"configuration,omitempty"`
	Statistics        map[string]any    `json:"statistics,omitempty"`
}

type processors struct {
	src GraphSource
	log *slog.Logger
}

func (h *processors) get(w http.ResponseWriter, r *http.Request) {
	g := served(w, h.src)
	if g == nil {
		return
	}
	q := r.URL.Query()
	if q.Has("name") {
		name := q.Get("name")
		p := g.Processors[name]
		if p == nil {
			writeError(w, http.StatusNotFound, "Specified message processor ('"+name+"') not found")
			return
		}
		writeJSON(w, http.StatusOK, processorView(name, p))
		return
	}
	writeJSON(w, http.StatusOK, processorList(g, q.Get("searchKey")))
}

// processorList summarises the processors whose name contains key (any
// case), sorted by name.
func processorList(g *engine.Graph, key string) ProcessorList {
	l := matching(g.Processors, key, processorSummary)
	return ProcessorList{Count: len(l), List: l}
}

func processorSummary(name string, p engine.Processor) ProcessorSummary {
	mp, ok := p.(ManagedProcessor)
	if !ok {
		return ProcessorSummary{Name: name, Type: customProcessorType, Status: StatusUnknown}
	}
	return ProcessorSummary{Name: name, Type: mp.Type(), Status: activeWord(mp.Active())}
}

func activeWord(active bool) string {
	if active {
		return StatusActive
	}
	return StatusInactive
}

func processorView(name string, p engine.Processor) ProcessorView {
	v := ProcessorView{ProcessorSummary: processorSummary(name, p), ArtifactContainer: ArtifactContainer, Parameters: map[string]string{}}
	if f, ok := p.(fileNamed); ok {
		v.FileName = f.FileName()
	}
	mp, ok := p.(ManagedProcessor)
	if !ok {
		return v
	}
	v.Parameters = masked(mp.Parameters())
	v.MessageStore = mp.StoreName()
	v.Configuration = mp.Configuration()
	v.Statistics = mp.Status()
	return v
}

// maskedValue replaces secrets, as MI does for message stores.
const maskedValue = "*****"

// masked copies parameters, hiding any whose name mentions a password: the
// API is read by operators who need the settings, not the credentials.
func masked(params map[string]string) map[string]string {
	out := maps.Clone(params)
	if out == nil {
		return map[string]string{}
	}
	for k := range out {
		if strings.Contains(strings.ToLower(k), "password") {
			out[k] = maskedValue
		}
	}
	return out
}

func (h *processors) post(w http.ResponseWriter, r *http.Request) {
	g := served(w, h.src)
	if g == nil {
		return
	}
	req, status, msg := readSwitch(w, r)
	if status == 0 {
		status, msg = h.apply(g, req, r.RemoteAddr)
	}
	if status != http.StatusOK {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, status, Message{Message: msg})
}

// apply activates or deactivates a processor, checking in MI's order: both
// members present, then the name, then the status.
func (h *processors) apply(g *engine.Graph, req SwitchRequest, remote string) (int, string) {
	if req.Status == "" {
		return http.StatusBadRequest, "Missing parameters in payload"
	}
	p := g.Processors[req.Name]
	if p == nil {
		return http.StatusNotFound, "Message processor does not exist"
	}
	on := strings.EqualFold(req.Status, StatusActive)
	if !on && !strings.EqualFold(req.Status, StatusInactive) {
		return http.StatusBadRequest, "Provided state is not valid"
	}
	mp, ok := p.(ManagedProcessor)
	if !ok {
		return http.StatusNotImplemented, "Message processor " + req.Name + " cannot be activated or deactivated"
	}
	if on {
		mp.Activate()
		h.log.Info("message processor activated", "processor", req.Name, "via", "management API", "remote", remote)
		return http.StatusOK, req.Name + " : is activated"
	}
	mp.Deactivate()
	h.log.Info("message processor deactivated", "processor", req.Name, "via", "management API", "remote", remote)
	return http.StatusOK, req.Name + " : is deactivated"
}
