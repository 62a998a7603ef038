package strategy

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/api/v1alpha1"
)

// conditionInputs are the parts of either kind's status the conditions are
// derived from.
type conditionInputs struct {
	gen          int64
	now          time.Time
	policy       v1alpha1.PreflightPolicy
	preflight    *v1alpha1.PreflightResult
	inPreflight  bool
	cluster      *v1alpha1.ClusterFacts
	clusterError bool
	traffic      *v1alpha1.TrafficStatus
	analysis     *v1alpha1.AnalysisStatus
}

// setConditions sets every condition the strategies own, each with one of
// the Reasons documented on it in package v1alpha1.
func setConditions(conds *[]metav1.Condition, in conditionInputs) {
	set := func(typ string, status metav1.ConditionStatus, reason, msg string) {
		setCondition(conds, in.gen, in.now, typ, status, reason, msg)
	}
	switch pf := in.preflight; {
	case pf != nil && pf.Skipped:
		set(v1alpha1.ConditionPreflightPassed, metav1.ConditionTrue, "Skipped", "spec.preflight.skip is set")
	case pf != nil && pf.CompletedAt != nil && pf.Errors > 0 && in.policy.IgnoreErrors:
		set(v1alpha1.ConditionPreflightPassed, metav1.ConditionTrue, "ErrorsIgnored", fmt.Sprintf("%d errors ignored (spec.preflight.ignoreErrors)", pf.Errors))
	case pf != nil && pf.CompletedAt != nil && pf.Errors > 0:
		set(v1alpha1.ConditionPreflightPassed, metav1.ConditionFalse, "Blocked", fmt.Sprintf("%d errors for %s", pf.Errors, pf.TargetVersion))
	case pf != nil && pf.CompletedAt != nil:
		set(v1alpha1.ConditionPreflightPassed, metav1.ConditionTrue, "Passed", fmt.Sprintf("no errors for %s, %d warnings", pf.TargetVersion, pf.Warnings))
	case in.inPreflight:
		set(v1alpha1.ConditionPreflightPassed, metav1.ConditionUnknown, "Running", "preflight is running")
	default:
		set(v1alpha1.ConditionPreflightPassed, metav1.ConditionUnknown, "Pending", "preflight has not run yet")
	}

	switch c := in.cluster; {
	case c == nil || c.CreationStartedAt == nil:
		set(v1alpha1.ConditionClusterReady, metav1.ConditionUnknown, "Pending", "the new cluster is not created yet")
	case c.DeletedAt != nil:
		set(v1alpha1.ConditionClusterReady, metav1.ConditionFalse, "Deleted", "cluster "+c.Name+" was deleted")
	case c.ReadyAt != nil:
		set(v1alpha1.ConditionClusterReady, metav1.ConditionTrue, "Ready", "cluster "+c.Name+" runs the manifests, every workload ready")
	case in.clusterError:
		set(v1alpha1.ConditionClusterReady, metav1.ConditionFalse, "Failed", "cluster "+c.Name+" did not become ready; see the message")
	case c.CreatedAt == nil:
		set(v1alpha1.ConditionClusterReady, metav1.ConditionFalse, "Creating", "creating cluster "+c.Name)
	case c.DeployedAt == nil:
		set(v1alpha1.ConditionClusterReady, metav1.ConditionFalse, "Deploying", "deploying the manifests to "+c.Name)
	default:
		set(v1alpha1.ConditionClusterReady, metav1.ConditionFalse, "WaitingReady", "waiting for the workloads on "+c.Name)
	}

	switch t := in.traffic; {
	case t == nil:
		set(v1alpha1.ConditionTrafficSettled, metav1.ConditionUnknown, "NoChange", "traffic has not been touched")
	case t.AppliedAt == nil || weightsString(t.Applied) != weightsString(t.Weights):
		set(v1alpha1.ConditionTrafficSettled, metav1.ConditionFalse, "Applying", "the router is taking "+weightsString(t.Weights))
	case t.SettledAt != nil && in.now.Before(t.SettledAt.Time):
		set(v1alpha1.ConditionTrafficSettled, metav1.ConditionFalse, "Propagating", fmt.Sprintf("%s accepted; clients follow within %ds", weightsString(t.Applied), t.PropagationSeconds))
	default:
		set(v1alpha1.ConditionTrafficSettled, metav1.ConditionTrue, "Settled", weightsString(t.Applied))
	}

	switch a := in.analysis; {
	case a == nil:
		set(v1alpha1.ConditionAnalysisHealthy, metav1.ConditionUnknown, "NotRunning", "no analysis runs")
	case a.Phase == v1alpha1.AnalysisPhaseSuccessful:
		set(v1alpha1.ConditionAnalysisHealthy, metav1.ConditionTrue, "Successful", summary(a))
	case a.Phase.Completed():
		set(v1alpha1.ConditionAnalysisHealthy, metav1.ConditionFalse, string(a.Phase), verdict(a))
	default:
		set(v1alpha1.ConditionAnalysisHealthy, metav1.ConditionTrue, "Running", summary(a))
	}
}
