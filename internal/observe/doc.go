// Package observe is how upshift reports what it does to the people and
// systems watching a cluster: Kubernetes Events on the objects it acts on
// (nodes, update runs), Prometheus metrics, and the alert rules and
// dashboards generated for them.
package observe
