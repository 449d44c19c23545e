package compile_test

import (
	"testing"

	"github.com/busbar/busbar/internal/compile"
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/registry"
	"github.com/busbar/busbar/internal/testkit"
)

// FuzzCompile: loading and compiling any configuration never panics; a
// configuration either compiles or reports at least one error.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`<definitions xmlns="http://ws.apache.org/ns/synapse"><sequence name="s"><filter xpath="//a"><then><log level="full"/></then></filter></sequence></definitions>`,
		`<definitions xmlns="http://ws.apache.org/ns/synapse"><api name="a" context="/a"><resource uri-template="/{id}"><inSequence><payloadFactory media-type="json"><format>{"a":"$1"}</format><args><arg expression="$ctx:uri.var.id"/></args></payloadFactory><respond/></inSequence></resource></api></definitions>`,
		`<definitions xmlns="http://ws.apache.org/ns/synapse"><endpoint name="e"><address uri="http://127.0.0.1:1/"><timeout><duration>10</duration><responseAction>fault</responseAction></timeout></address></endpoint></definitions>`,
		`<definitions xmlns="http://ws.apache.org/ns/synapse"><sequence name="s"><enrich><source type="body"/><target type="property" property="p"/></enrich><makefault><code value="soap11Env:Server" xmlns:soap11Env="http://schemas.xmlsoap.org/soap/envelope/"/><reason value="x"/></makefault></sequence></definitions>`,
		`<definitions xmlns="http://ws.apache.org/ns/synapse"><sequence name="s"><switch source="$ctx:x"><case regex="a"><drop/></case></switch><call-template target="t"/></sequence><template name="t"><parameter name="p"/><sequence><property name="x" expression="$func:p"/></sequence></template></definitions>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dep, diags := config.LoadBytes("f.xml", data)
		if diags.HasErrors() {
			return
		}
		g, cd := compile.Compile(dep, registry.Default, testkit.DefaultOptions)
		if g == nil && !cd.HasErrors() {
			t.Fatal("no graph and no error")
		}
		if g != nil {
			_ = g.Close()
		}
	})
}
