// Package jsonpath evaluates JSONPath expressions the way WSO2 Micro
// Integrator's json-eval() does, which is Jayway JsonPath 2.x semantics
// over Busbar's ordered JSON model (package jsontree): dot and bracket
// notation, wildcards, deep scan, array indexes, unions and slices (with
// Jayway's treatment of negative bounds), filter expressions with Jayway's
// operator set and comparison rules, and the functions Jayway allows at the
// end of a path. Compiled paths are immutable and safe for concurrent use.
// Besides selecting values, a path can locate them (parent container plus
// key or index) so that mediators such as enrich can replace, remove or
// insert around each match, and EvalString renders a result as the string
// json-eval() yields.
package jsonpath
