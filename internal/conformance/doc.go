// Package conformance holds the scenarios every adapter (nethttpmw,
// ginmw, fibermw) must pass identically; its tests run them against a
// small app built with each.
package conformance
