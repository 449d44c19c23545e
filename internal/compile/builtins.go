package compile

import (
	"github.com/busbar/busbar/internal/config"
	"github.com/busbar/busbar/internal/engine"
)

// BuiltinFault is the fault sequence used when a deployment defines none
// (synapse-semantics §4.7): log the error at level full, then drop. With
// nobody responding, the client then gets Busbar's default fault answer.
const BuiltinFault = `<sequence xmlns="http://ws.apache.org/ns/synapse" name="fault">
  <log level="full">
    <property name="MESSAGE" value="Executing default 'fault' sequence"/>
    <property name="ERROR_CODE" expression="get-property('ERROR_CODE')"/>
    <property name="ERROR_MESSAGE" expression="get-property('ERROR_MESSAGE')"/>
  </log>
  <drop/>
</sequence>`

// BuiltinMain is the main sequence used when a deployment defines none:
// MI's shipped main.xml, which answers requests that match no proxy or API
// with an empty 404.
const BuiltinMain = `<sequence xmlns="http://ws.apache.org/ns/synapse" name="main">
  <log level="custom">
    <property name="main sequence executed for call to non-existent" expression="get-property('To')"/>
  </log>
  <property name="NO_ENTITY_BODY" value="true" scope="axis2" type="BOOLEAN"/>
  <property name="HTTP_SC" value="404" scope="axis2"/>
  <respond/>
</sequence>`

// builtins adds the default main and fault sequences when the deployment
// does not define them.
func (c *compiler) builtins() {
	for _, def := range []struct{ name, src string }{{"fault", BuiltinFault}, {"main", BuiltinMain}} {
		if _, ok := c.g.Sequences[def.name]; ok {
			continue
		}
		el, err := config.ParseXML("<built-in "+def.name+">", []byte(def.src))
		if err != nil {
			panic(err)
		}
		path := config.Path("sequence", def.name)
		seq := &engine.Sequence{Name: def.name, Path: path}
		c.g.Sequences[def.name] = seq
		built := c.builder(path, def.name).Mediators(el, "")
		seq.Steps = built.Steps
	}
}
