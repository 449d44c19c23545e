package processor_test

import (
	"strings"
	"testing"

	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/testkit"
)

// TestConfigDiagnostics: bad processor configurations are refused with
// the parameter's position; MI's traps and unknown or ignored parameters
// warn.
func TestConfigDiagnostics(t *testing.T) {
	t.Parallel()
	stores := `<messageStore name="S"/><messageStore name="T"/>` + endpoint("EP", "http://127.0.0.1:9/") +
		`<sequence name="Work"><log/></sequence><sequence name="Stop"><drop/></sequence>`
	fwd := func(params ...string) string { return stores + messageProcessor("P", fwdClass, "S", "EP", params...) }
	cases := []struct {
		name, artifacts, want string
	}{
		{"cron", fwd("cronExpression", "0 0 12 * * *"), "error: cron expression \"0 0 12 * * *\": give exactly one of day-of-month and day-of-week"},
		{"cron L", fwd("cronExpression", "0 0 12 L * ?"), `not supported yet`},
		{"interval", fwd("interval", "soon"), `parameter interval="soon" must be an integer of at least 1`},
		{"member.count", fwd("member.count", "0"), `member.count="0" must be an integer of at least 1`},
		{"is.active", fwd("is.active", "maybe"), `is.active="maybe" must be true or false`},
		{"retry", fwd("client.retry.interval", "-5"), `client.retry.interval="-5" must be an integer of at least 0`},
		{"fail store", fwd("message.processor.failMessagesStore", "Nope"), `message store "Nope" (message.processor.failMessagesStore) is not defined`},
		{"fail store is own", fwd("message.processor.failMessagesStore", "S"), "warning: message.processor.failMessagesStore is the processor's own store"},
		{"drop spelling", fwd("max.delivery.drop", "enabled"), `warning: max.delivery.drop="enabled" does not enable dropping`},
		{"drop forever", fwd("max.delivery.drop", "Enabled", "max.delivery.attempts", "-1"), "warning: max.delivery.drop=Enabled has no effect"},
		{"non-retry token", fwd("non.retry.status.codes", "4xx"), `warning: non.retry.status.codes token "4xx" is not a status code`},
		{"reply drops", fwd("message.processor.reply.sequence", "Stop"), `warning: the reply sequence "Stop" ends with <drop/>`},
		{"missing sequence", fwd("message.processor.fault.sequence", "Nope"), `warning: sequence "Nope" is not defined`},
		{"missing endpoint", stores + messageProcessor("P", fwdClass, "S", "Nope"), `warning: endpoint "Nope" is not defined`},
		{"unknown parameter", fwd("max.delivery.atempts", "3"), `warning: unknown parameter "max.delivery.atempts"`},
		{"ignored parameter", fwd("throttle", "true"), `warning: parameter "throttle" has no effect in Busbar`},
		{"missing store", stores + messageProcessor("P", fwdClass, "Nope", "EP"), `message store "Nope" is not defined`},
		{"sampling sequence", stores + messageProcessor("P", sampleClass, "S", ""), `needs the parameter "sequence"`},
		{"sampling unknown sequence", stores + messageProcessor("P", sampleClass, "S", "", "sequence", "Nope"), `sequence "Nope" (parameter "sequence") is not defined`},
		{"sampling concurrency", stores + messageProcessor("P", sampleClass, "S", "", "sequence", "Work", "concurrency", "0"), `concurrency="0" must be an integer of at least 1`},
		{"failover target", stores + messageProcessor("P", failClass, "S", ""), "needs the parameter message.target.store.name"},
		{"failover unknown target", stores + messageProcessor("P", failClass, "S", "", "message.target.store.name", "Nope"), `message store "Nope" (message.target.store.name) is not defined`},
		{"failover own target", stores + messageProcessor("P", failClass, "S", "", "message.target.store.name", "S"), "is the processor's own store"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := diagnose(c.artifacts)
			if !strings.Contains(got, c.want) {
				t.Fatalf("diagnostics do not contain %q:\n%s", c.want, got)
			}
			if !strings.Contains(got, "test.xml:") {
				t.Fatalf("diagnostics have no position:\n%s", got)
			}
		})
	}
}

// TestClassAliases: every class name MI maps to a processor compiles.
func TestClassAliases(t *testing.T) {
	t.Parallel()
	for _, class := range []string{
		"org.apache.synapse.message.processors.forward.ScheduledMessageForwardingProcessor",
		"org.apache.synapse.message.processors.sampler.SamplingProcessor",
	} {
		arts := `<messageStore name="S"/><sequence name="Work"><log/></sequence>` + endpoint("EP", "http://127.0.0.1:9/") +
			messageProcessor("P", class, "S", "EP", "sequence", "Work")
		if g, diags := testkit.Compile(arts); g == nil {
			t.Fatalf("%s: %v", class, diags.Err())
		} else {
			_ = g.Close()
		}
	}
}

// TestExamples: every documented processor example compiles without
// errors or warnings, so the reference documentation stays runnable.
func TestExamples(t *testing.T) {
	t.Parallel()
	n := 0
	for _, e := range registry.Default.Walk(registry.KindProcessor) {
		if e.Spec.Summary == "" || e.Spec.Doc == "" {
			t.Errorf("%s: no summary or doc", e.Spec.Element)
		}
		for _, ex := range e.Spec.Examples {
			n++
			g, diags := testkit.Compile(ex.Config)
			if g == nil || len(diags.List) > 0 {
				t.Errorf("%s example %q: %v", e.Spec.Element, ex.Title, diags.List)
				continue
			}
			if _, ok := g.Processors[firstProcessor(ex.Config)]; !ok {
				t.Errorf("%s example %q builds no processor", e.Spec.Element, ex.Title)
			}
			_ = g.Close()
		}
	}
	if n < 3 {
		t.Fatalf("%d processor examples, want one per kind", n)
	}
}

func firstProcessor(config string) string {
	_, rest, _ := strings.Cut(config, `<messageProcessor name="`)
	name, _, _ := strings.Cut(rest, `"`)
	return name
}
