package processor

import (
	"strconv"
	"strings"
	"time"

	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/registry"
)

// param describes one <parameter> a processor kind accepts. The same
// table checks configurations (unknown names warn) and becomes the
// parameter table of the kind's documentation.
type param struct {
	name     string
	typ      string
	def      string
	doc      string
	required bool
	values   []string
	// ignored marks MI parameters that have no effect in Busbar; using
	// one warns.
	ignored bool
}

// Parameters every scheduled processor shares (ScheduledMessageProcessor).
var (
	pInterval = param{name: "interval", typ: "ms", def: "1000", doc: "Milliseconds between runs. Below 1000 (MI's throttle mode) " +
		"a run starts `interval` after the previous one ended; from 1000 up, `interval` after it began, as Quartz fires MI's task."}
	pCron = param{name: "cronExpression", typ: "cron", doc: "Quartz cron expression (seconds minutes hours day-of-month month " +
		"day-of-week [year]); when set it replaces `interval` as the schedule. Quartz's L, W and # are not supported yet."}
	pActive = param{name: "is.active", typ: "bool", def: "true", doc: "Whether the processor starts active. " +
		"The state an operator or a deactivation sets is kept across hot reloads while the definition is unchanged."}
	pStoreAttempts = param{name: "max.store.connection.attempts", typ: "int", def: "-1", doc: "Consecutive failed " +
		"reads of the message store after which the processor deactivates itself; -1 (or any value below 1) retries forever."}
	pStoreRetry = param{name: "store.connection.retry.interval", typ: "ms", def: "1000", doc: "Milliseconds between reads of a failing message store."}
	pMembers    = param{name: "member.count", typ: "int", def: "1", doc: "Number of parallel consumers. 1 delivers in " +
		"store order, a message being retried blocking the ones behind it; more than 1 gives up ordering."}

	pRetry = param{name: "client.retry.interval", typ: "ms", def: "1000", doc: "Milliseconds between two delivery attempts of the same message."}
	pDrop  = param{name: "max.delivery.drop", values: []string{"Enabled", "Disabled"}, def: "Disabled", doc: "Exactly `Enabled` (case-sensitive, as in MI) " +
		"drops a message that exhausted its attempts and goes on; ignored when max.delivery.attempts is below 1."}
	pFault      = param{name: "message.processor.fault.sequence", typ: "key", doc: "Sequence run on every failed attempt, with the failed response (or the message when nothing came back) and the error properties set."}
	pDeactivate = param{name: "message.processor.deactivate.sequence", typ: "key", doc: "Sequence run when the processor deactivates itself, with the message it was delivering (an empty one if none)."}

	mpIgnored = []param{
		{name: "throttle", ignored: true, doc: "MI-internal (derived from interval); ignored."},
		{name: "throttle.interval", ignored: true, doc: "MI-internal (derived from interval); ignored."},
		{name: "cron.expression", ignored: true, doc: "MI-internal (derived from cronExpression); ignored."},
		{name: "axis2.repo", ignored: true, doc: "Axis2 blocking-client setting; Busbar's outbound client is configured by flags."},
		{name: "axis2.config", ignored: true, doc: "Axis2 blocking-client setting; Busbar's outbound client is configured by flags."},
		{name: "quartz.conf", ignored: true, doc: "Quartz properties file; Busbar schedules by itself."},
		{name: "bind.processor.server", ignored: true, doc: "MI cluster pinning; ignored."},
		{name: "pinnedServers", ignored: true, doc: "MI cluster pinning; every Busbar node runs its processors (stores lease each message to one consumer)."},
	}
)

// params reads a processor's <parameter>s, reporting bad values at their
// positions.
type params struct {
	b   registry.Builder
	def *config.MessageProcessor
	m   map[string]config.Parameter
}

// readParams indexes the parameters (the last one of a name wins, as in
// MI) and warns about names the kind does not know and ones Busbar ignores.
func readParams(b registry.Builder, def *config.MessageProcessor, known []param) *params {
	p := &params{b: b, def: def, m: map[string]config.Parameter{}}
	for _, pr := range def.Params {
		p.m[pr.Name] = pr
	}
	for _, pr := range def.Params {
		k, ok := lookupParam(known, pr.Name)
		switch {
		case !ok:
			b.Warnf(pr.Pos, "unknown parameter %q for this message processor; it is ignored", pr.Name)
		case k.ignored:
			b.Warnf(pr.Pos, "parameter %q has no effect in Busbar: %s", pr.Name, k.doc)
		}
	}
	return p
}

func lookupParam(list []param, name string) (param, bool) {
	for _, p := range list {
		if p.name == name {
			return p, true
		}
	}
	return param{}, false
}

// str returns a parameter's value ("" when absent).
func (p *params) str(name string) string { return p.m[name].Value }

func (p *params) has(name string) bool { _, ok := p.m[name]; return ok }

// pos is where a parameter is written, or the processor element.
func (p *params) pos(name string) config.Pos {
	if pr, ok := p.m[name]; ok {
		return pr.Pos
	}
	return p.def.Pos
}

// int reads an integer of at least min.
func (p *params) int(name string, def, min int) int {
	pr, ok := p.m[name]
	if !ok || pr.Value == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(pr.Value))
	if err != nil || n < min {
		p.b.Errorf(pr.Pos, "parameter %s=%q must be an integer of at least %d", name, pr.Value, min)
		return def
	}
	return n
}

// millis reads a duration in milliseconds of at least min.
func (p *params) millis(name string, def, min time.Duration) time.Duration {
	n := p.int(name, int(def/time.Millisecond), int(min/time.Millisecond))
	return time.Duration(n) * time.Millisecond
}

// bool reads true or false (case-insensitive).
func (p *params) bool(name string, def bool) bool {
	pr, ok := p.m[name]
	if !ok || pr.Value == "" {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(pr.Value)) {
	case "true":
		return true
	case "false":
		return false
	}
	p.b.Errorf(pr.Pos, "parameter %s=%q must be true or false", name, pr.Value)
	return def
}

// attrs describes a kind's parameters for its registry spec, from which
// the reference documentation is generated.
func attrs(list []param) []registry.Attr {
	out := make([]registry.Attr, 0, len(list))
	for _, p := range list {
		typ := p.typ
		if typ == "" && len(p.values) == 0 {
			typ = "string"
		}
		out = append(out, registry.Attr{Name: p.name, Type: typ, Default: p.def, Required: p.required, Values: p.values, Doc: p.doc})
	}
	return out
}
