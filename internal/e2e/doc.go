// Package e2e holds Busbar's end-to-end tests: real deployments served by
// the real inbound transport on 127.0.0.1:0, in front of real HTTP
// backends, driven by real HTTP clients. It has no non-test code.
package e2e
