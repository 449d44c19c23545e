// Package jsontree is Busbar's JSON document model: an ordered tree that a
// message body is parsed into when a mediator needs its content, that
// JSONPath expressions are evaluated over, and that mediators such as enrich
// and payloadFactory edit before it is written out again. Object members keep
// their order (duplicates included) and numbers keep the literal text they
// were written with, so a payload that passes through unedited parts of a
// flow serialises to the same keys in the same order with the same number
// spellings; only insignificant whitespace and string escapes are
// normalised. Parsing is a strict RFC 8259 single pass over the input with
// a bounded nesting depth, accepting exactly what encoding/json's Valid
// accepts below that depth.
package jsontree
