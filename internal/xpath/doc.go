// Package xpath is Busbar's XPath 1.0 engine. Expressions found in Synapse
// configurations are compiled once, when the configuration loads, with their
// namespace prefixes, extension functions and variables (including Synapse's
// undeclared $ctx:, $trp:, $axis2: and similar prefixes) resolved at compile
// time, and are then evaluated per message over internal/xmltree documents.
// Evaluation asks the Env for the context node only when an expression
// actually needs it, so a message body is parsed only if some expression looks
// at it, and it draws its working buffers from a pool so that the common
// "path compared with a literal" expressions allocate next to nothing.
package xpath
