// Package canary implements `upshift canary start|status|promote|abort`: the
// person's side of a CanaryIntake on the hub. start packs the manifests
// into a ConfigMap and creates the intake; the controller (package
// strategy) moves traffic step by step, and the other verbs read the intake
// or set spec.action.
package canary
