package gate

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
	"upshift.dev/upshift/internal/controller"
	"upshift.dev/upshift/internal/localfleet/fleettest"
)

const ns = fleetcmd.DefaultNamespace

// as returns a client that acts as the ServiceAccount name of ns, through
// impersonation by the hub's admin.
func as(t *testing.T, cfg *rest.Config, name string) func() (client.Client, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":" + name}
	return func() (client.Client, error) { return client.New(cfg, client.Options{Scheme: fleetcmd.Scheme()}) }
}

func create(t *testing.T, c client.Client, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := c.Create(context.Background(), o); err != nil {
			t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
}

// TestApproverRole checks the upshift-gate-approver ClusterRole that
// controller.Install puts on the hub: bound to a ServiceAccount, it lets
// `gate approve` through but refuses any change to an UpdateRun; without it
// `gate approve` says which role is missing.
func TestApproverRole(t *testing.T) {
	hub := fleettest.Start(t, fleettest.Options{})
	ctx := context.Background()
	if err := controller.Install(ctx, hub.RESTConfig); err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(hub.RESTConfig, client.Options{Scheme: fleetcmd.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	strategy := &v1alpha1.UpdateStrategySpec{Stages: []v1alpha1.StageSpec{{Name: "prod", Groups: []v1alpha1.GroupSpec{{Name: "prod"}},
		BeforeGates: []v1alpha1.GateDefinition{{Type: v1alpha1.GateApproval}}}}}
	create(t, admin,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "approver", Namespace: ns}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nobody", Namespace: ns}},
		&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "approvers", Namespace: ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "upshift-gate-approver"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "approver", Namespace: ns}},
		},
		&v1alpha1.UpdateRun{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: ns}, Spec: v1alpha1.UpdateRunSpec{
			Strategy: strategy, Upgrade: v1alpha1.UpgradeSpec{Type: v1alpha1.UpgradeFull, KubernetesVersion: "1.37.2"}, State: v1alpha1.RunStart}},
		&v1alpha1.Gate{ObjectMeta: metav1.ObjectMeta{Name: "r-prod-before-0", Namespace: ns, Labels: map[string]string{LabelRun: "r"}},
			Spec: v1alpha1.GateSpec{UpdateRun: "r", Stage: "prod", Timing: v1alpha1.GateBefore, Type: v1alpha1.GateApproval, DisplayName: "change board", State: v1alpha1.StatePending}},
	)

	set := func(client func() (client.Client, error)) (string, error) {
		ios, _, out, _ := cmdutil.Test()
		err := setRun(ctx, &SetOptions{IO: ios, Client: client, Namespace: ns, Name: "r-prod-before-0", State: v1alpha1.StateCompleted})
		return out.String(), err
	}

	// Without the role: refused, and the error names the role to ask for.
	_, err = set(as(t, hub.RESTConfig, "nobody"))
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "upshift-gate-approver") {
		t.Fatalf("approve without a role: %v", err)
	}
	t.Logf("approve without a role: %v", err)

	// RBAC caches need a moment to see a new binding.
	approver := as(t, hub.RESTConfig, "approver")
	var out string
	deadline := time.Now().Add(30 * time.Second)
	for out, err = set(approver); apierrors.IsForbidden(err) && time.Now().Before(deadline); out, err = set(approver) {
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("approve as upshift-gate-approver: %v", err)
	}
	want := `Approved gate "r-prod-before-0": "change board" (Approval gate before stage prod of update run "r"); the run goes on`
	if !strings.Contains(out, want) {
		t.Errorf("approve printed %q, want %q", out, want)
	}
	g := &v1alpha1.Gate{}
	if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "r-prod-before-0"}, g); err != nil || g.Spec.State != v1alpha1.StateCompleted {
		t.Fatalf("gate after approve: %v %+v", err, g.Spec)
	}
	if _, err := set(approver); err == nil || !strings.Contains(err.Error(), "already Completed (spec.state); only Pending gates can be approved") {
		t.Errorf("approving twice: %v", err)
	}

	// The approver can read runs but not change them.
	c, _ := approver()
	run := &v1alpha1.UpdateRun{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "r"}, run); err != nil {
		t.Fatalf("the approver cannot read the run: %v", err)
	}
	patch := client.MergeFrom(run.DeepCopy())
	run.Spec.State = v1alpha1.RunStop
	if err := c.Patch(ctx, run, patch); !apierrors.IsForbidden(err) {
		t.Fatalf("the approver patched an UpdateRun: %v (want Forbidden)", err)
	}
	if err := c.Delete(ctx, run); !apierrors.IsForbidden(err) {
		t.Fatalf("the approver deleted an UpdateRun: %v (want Forbidden)", err)
	}

	// gate list, as the approver.
	ios, _, listOut, _ := cmdutil.Test()
	if err := listRun(ctx, &ListOptions{IO: ios, Client: approver, Now: time.Now, Namespace: ns, Run: "r", Output: cmdutil.OutputTable}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"r-prod-before-0", `Approval "change board"`, "Completed"} {
		if !strings.Contains(listOut.String(), w) {
			t.Errorf("gate list lacks %q:\n%s", w, listOut)
		}
	}
}

func TestSettable(t *testing.T) {
	for _, tc := range []struct {
		spec, status, want string
	}{
		{v1alpha1.StatePending, "", ""},
		{v1alpha1.StatePending, v1alpha1.StatePending, ""},
		{v1alpha1.StateSkipped, v1alpha1.StateSkipped, "is already Skipped (spec.state); only Pending gates can be approved"},
		{v1alpha1.StatePending, v1alpha1.StateCompleted, `is already Completed in update run "r" (scheduled start passed)`},
		{v1alpha1.StatePending, v1alpha1.StateFailed, `Failed in update run "r" (scheduled start passed); the stage failed with it`},
	} {
		t.Run(tc.spec+"/"+tc.status, func(t *testing.T) {
			g := &v1alpha1.Gate{ObjectMeta: metav1.ObjectMeta{Name: "g"}, Spec: v1alpha1.GateSpec{UpdateRun: "r", State: tc.spec},
				Status: v1alpha1.GateObjectStatus{State: tc.status, Message: "scheduled start passed"}}
			err := settable(g, "approve")
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("settable: %v, want %q", err, tc.want)
			}
		})
	}
}
