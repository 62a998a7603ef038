package hub

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
)

func TestMain(m *testing.M) { Main(m) }

func TestSeedKeepsStatusInATestsOwnNamespace(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Namespace == b.Namespace {
		t.Fatalf("two tests share namespace %s", a.Namespace)
	}
	run := &v1alpha1.UpdateRun{
		ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "elsewhere"},
		Spec:       v1alpha1.UpdateRunSpec{UpdateStrategyName: "s", Upgrade: v1alpha1.UpgradeSpec{Type: v1alpha1.UpgradeFull, KubernetesVersion: "1.37.2"}},
		Status:     v1alpha1.UpdateRunStatus{State: v1alpha1.StateRunning, Progress: "1/3 members"},
	}
	a.Seed(t, run)
	got := &v1alpha1.UpdateRun{}
	if err := a.Client.Get(context.Background(), client.ObjectKey{Namespace: a.Namespace, Name: "r"}, got); err != nil {
		t.Fatal(err)
	}
	if got.Status.State != v1alpha1.StateRunning || got.Status.Progress != "1/3 members" || run.Namespace != a.Namespace || run.ResourceVersion != got.ResourceVersion {
		t.Errorf("seeded %+v, read back %+v", run.ObjectMeta, got.Status)
	}
}

func TestNamespaceForIsADNSLabel(t *testing.T) {
	for _, name := range []string{"TestX/sub_case", "Test" + string(make([]byte, 80)), "---"} {
		ns := namespaceFor(name, 12345)
		if len(ns) > 63 || ns[0] == '-' {
			t.Errorf("namespaceFor(%q) = %q", name, ns)
		}
	}
}
