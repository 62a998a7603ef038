// Package preflight implements `upshift preflight`: what will break if a
// cluster, or a set of manifests, moves to a Kubernetes version.
package preflight
