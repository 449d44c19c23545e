package jsonxml

import (
	"regexp"

	"github.com/busbar/busbar/internal/jsontree"
	"github.com/busbar/busbar/internal/xmltree"
)

// Options are the synapse.properties settings that shape the conversion.
// The zero value reproduces MI's defaults.
type Options struct {
	// ProcessingInstructions emits <?xml-multiple name?> before the
	// elements of every JSON array when converting to XML, so that arrays
	// of one element, and empty arrays, survive a round trip
	// (synapse.json.to.xml.processing.instruction.enabled; default false,
	// as with MI's default JsonStreamBuilder).
	ProcessingInstructions bool

	// DisableAutoPrimitive keeps all element text as JSON strings when
	// converting to JSON (synapse.commons.json.output.autoPrimitive=false).
	DisableAutoPrimitive bool

	// KeepString, when set, keeps element text it matches as a JSON string
	// even if it looks like a number or boolean
	// (synapse.commons.json.output.disableAutoPrimitive.regex). Java applies
	// it with matches(), so anchor it: ^(?:...)$.
	KeepString *regexp.Regexp

	// EmptyElementAsEmptyString writes an element with no content as ""
	// instead of null (synapse.commons.enableXmlNullForEmptyElement=false).
	EmptyElementAsEmptyString bool

	// ValidNCNames escapes every character of a JSON key that cannot appear
	// in an XML name as _JsonReader_<UTF-16 code unit in decimal>_, and
	// reverses that on the way back
	// (synapse.commons.json.buildValidNCNames).
	ValidNCNames bool

	// PreserveNamespaces keeps namespace prefixes in JSON keys, joined to
	// the local name by NamespaceSeparator, instead of dropping them
	// (synapse.commons.json.preserve.namespace).
	PreserveNamespaces bool

	// NamespaceSeparator joins prefix and local name when namespaces are
	// preserved (synapse.commons.json.output.namespaceSepChar); "" means "_".
	NamespaceSeparator string
}

// ToXML converts v to XML with MI's default settings; see Options.ToXML.
func ToXML(v *jsontree.Value) *xmltree.Node { return Options{}.ToXML(v) }

// FromXML converts XML to JSON with MI's default settings; see
// Options.FromXML.
func FromXML(el *xmltree.Node) (*jsontree.Value, error) { return Options{}.FromXML(el) }

func (o Options) separator() string {
	if o.NamespaceSeparator == "" {
		return "_"
	}
	return o.NamespaceSeparator
}
