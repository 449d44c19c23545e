// Package javanum spells numbers the way the Java runtime under WSO2 Micro
// Integrator does, so that values Busbar computes or converts read exactly
// like MI's: BigDecimal.toString for numbers MI's XML-to-JSON conversion
// auto-types and JSONPath filters compare, and Double.toString for the
// results of JSONPath aggregate functions.
package javanum
