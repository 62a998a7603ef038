// Package analysis implements `upshift analysis run`: measure a set of
// metrics from a file with the same engine (and Argo Rollouts semantics) as
// update-run Validation gates and canary steps, and exit with the verdict.
package analysis
