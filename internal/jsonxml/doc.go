// Package jsonxml converts between JSON payloads and the XML form WSO2
// Micro Integrator gives them, so that XPath, XSLT and XML-building
// mediators work on JSON messages as they do in MI, and a message built or
// edited as XML is written back as the JSON MI would write. The mapping is
// MI's (Apache Synapse's JsonUtil with its staxon configuration): objects
// become a jsonObject element and arrays repeated elements or a
// jsonArray/jsonElement pair, keys that cannot start an element name are
// prefixed, "@name" and "$" keys stand for attributes and text, and on the
// way back repeated elements and <?xml-multiple?> instructions make arrays
// and element text that looks like a number, boolean or null becomes one.
// Options carry the synapse.properties settings that change the mapping;
// the zero Options are MI's defaults.
package jsonxml
