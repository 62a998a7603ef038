// Package controller runs upshift's controllers on a hub cluster: the
// update run and member reconcilers, with leader election so several
// replicas can run and one works, Prometheus metrics and health probes.
// It can also install upshift's CRDs and roles on the hub.
package controller
