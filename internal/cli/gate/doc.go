// Package gate implements `upshift gate list|approve|skip`: the approver's
// side of update runs. Approving only sets a Gate's spec.state, never the
// run, so it works under the upshift-gate-approver ClusterRole, which can
// patch Gates but not edit runs.
package gate
