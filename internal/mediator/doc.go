// Package mediator holds Busbar's mediators, one file per mediator. Each
// file registers its element, its Synapse class alias, its spec (attributes,
// children, documented and tested examples) and its factory in init; the
// factory decodes and compiles the element once, and the returned mediator
// only evaluates compiled expressions on the request path.
package mediator

import "github.com/busbar/busbar/internal/registry"

// unsupported are Synapse mediators Busbar knows by name but does not
// implement yet; using one is a configuration error that says so.
var unsupported = map[string]string{
	"clone": "Clone", "iterate": "Iterate", "aggregate": "Aggregate", "foreach": "ForEach", "scatter-gather": "Scatter Gather",
	"xslt": "XSLT", "fastXSLT": "Fast XSLT", "xquery": "XQuery", "datamapper": "Data Mapper", "script": "Script",
	"class": "Class (Java)", "validate": "Validate", "cache": "Cache", "throttle": "Throttle", "dblookup": "DB Lookup",
	"dbreport": "DB Report", "smooks": "Smooks", "rule": "Rule", "bean": "Bean", "ejb": "EJB", "pojoCommand": "POJO Command",
	"spring": "Spring", "transaction": "Transaction", "event": "Event", "enqueue": "Enqueue",
	"router": "Router", "conditionalRouter": "Conditional Router", "rewrite": "URL Rewrite", "jsontransform": "JSON Transform",
	"entitlementService": "Entitlement", "oauthService": "OAuth", "builder": "Builder", "publishEvent": "Publish Event",
	"ntlm": "NTLM", "dataServiceCall": "Data Service Call", "bam": "BAM", "variable": "Variable", "sendFail": "Send Fail",
	"jsonTransform": "JSON Transform", "xmlTransform": "XML Transform", "kafkaTransport": "Kafka",
}

func init() {
	for el, name := range unsupported {
		registry.RegisterUnsupported(registry.KindMediator, el, "Synapse "+name+" mediator.")
	}
}
