package hubobj

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/testenv/hub"
)

func TestMain(m *testing.M) { hub.Main(m) }

var upgrades = Kind[*v1alpha1.BlueGreenUpgrade]{
	Noun: "blue-green upgrade", Start: "upshift bluegreen start",
	New:    func() *v1alpha1.BlueGreenUpgrade { return &v1alpha1.BlueGreenUpgrade{} },
	Action: func(bg *v1alpha1.BlueGreenUpgrade) *string { return &bg.Spec.Action },
}

func seed(t *testing.T, h *hub.Hub, phase string) *v1alpha1.BlueGreenUpgrade {
	t.Helper()
	bg := &v1alpha1.BlueGreenUpgrade{ObjectMeta: metav1.ObjectMeta{Name: "shop"},
		Spec: v1alpha1.BlueGreenUpgradeSpec{BlueMember: "prod", Green: v1alpha1.NewClusterSpec{ClusterName: "green", KubernetesVersion: "1.37.2"},
			Manifests: v1alpha1.ManifestBundle{ConfigMap: "shop"}},
		Status: v1alpha1.BlueGreenUpgradeStatus{Phase: phase, Message: "baking"}}
	h.Seed(t, bg)
	return bg
}

func TestGetAndSetAction(t *testing.T) {
	ctx := context.Background()
	h := hub.Start(t)
	var nf *NotFoundError
	if _, err := upgrades.Get(ctx, h.Client, h.Namespace, "nope"); !errors.As(err, &nf) ||
		err.Error() != fmt.Sprintf(`blue-green upgrade "nope" not found in namespace %s; start one with 'upshift bluegreen start nope ...'`, h.Namespace) {
		t.Fatalf("get of a missing object: %v", err)
	}
	seed(t, h, v1alpha1.BlueGreenBaking)
	refuse := func(bg *v1alpha1.BlueGreenUpgrade) error { return errors.New("not now") }
	if _, err := upgrades.SetAction(ctx, h.Client, h.Namespace, "shop", v1alpha1.ActionPromote, refuse); err == nil || err.Error() != "not now" {
		t.Fatalf("a refused action: %v", err)
	}
	allow := func(*v1alpha1.BlueGreenUpgrade) error { return nil }
	first, err := upgrades.SetAction(ctx, h.Client, h.Namespace, "shop", v1alpha1.ActionPromote, allow)
	if err != nil || first.Spec.Action != v1alpha1.ActionPromote {
		t.Fatalf("promote: %v, action %q", err, first.Spec.Action)
	}
	// Asking again makes a new generation, which the controller acts on.
	again, err := upgrades.SetAction(ctx, h.Client, h.Namespace, "shop", v1alpha1.ActionPromote, allow)
	if err != nil || again.Spec.Action != v1alpha1.ActionPromote || again.Generation < first.Generation+2 {
		t.Fatalf("promote again: %v, generation %d after %d", err, again.Generation, first.Generation)
	}
}

func TestWatchPrintsChangesUntilAtRest(t *testing.T) {
	ctx := context.Background()
	h := hub.Start(t)
	seed(t, h, v1alpha1.BlueGreenBaking)
	ios, _, out, _ := cmdutil.Test()
	go func() {
		time.Sleep(300 * time.Millisecond)
		bg, err := upgrades.Get(ctx, h.Client, h.Namespace, "shop")
		if err != nil {
			return
		}
		bg.Status.Phase, bg.Status.Message = v1alpha1.BlueGreenPromoted, "promoted"
		_ = h.Client.Status().Update(ctx, bg)
	}()
	done := errors.New("at rest")
	err := upgrades.Watch(ctx, h.Client, h.Namespace, "shop", View[*v1alpha1.BlueGreenUpgrade]{
		IO: ios, Now: time.Now, Interval: 50 * time.Millisecond,
		Line:   func(bg *v1alpha1.BlueGreenUpgrade) string { return bg.Status.Phase + ": " + bg.Status.Message },
		Render: func(bg *v1alpha1.BlueGreenUpgrade) { fmt.Fprintln(ios.Out, "rendered "+bg.Status.Phase) },
		AtRest: func(bg *v1alpha1.BlueGreenUpgrade) bool { return bg.Status.Phase == v1alpha1.BlueGreenPromoted },
		Exit:   func(*v1alpha1.BlueGreenUpgrade) error { return done },
	})
	if err != done {
		t.Fatalf("watch ended with %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasSuffix(lines[0], " Baking: baking") || !strings.HasSuffix(lines[1], " Promoted: promoted") || lines[3] != "rendered Promoted" {
		t.Errorf("watch printed:\n%s", out)
	}
	var nf *NotFoundError
	if err := upgrades.Watch(ctx, h.Client, h.Namespace, "gone", View[*v1alpha1.BlueGreenUpgrade]{IO: ios, Now: time.Now}); !errors.As(err, &nf) {
		t.Errorf("watch of a missing object: %v", err)
	}
}

func TestCreateOwnsTheManifestsAndRefusesATwin(t *testing.T) {
	ctx := context.Background()
	h := hub.Start(t)
	ios, _, _, _ := cmdutil.Test()
	objs := func() (*corev1.ConfigMap, *v1alpha1.BlueGreenUpgrade) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "shop-manifests", Namespace: h.Namespace}, Data: map[string]string{"a.yaml": "kind: Namespace"}}
		bg := &v1alpha1.BlueGreenUpgrade{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: h.Namespace},
			Spec: v1alpha1.BlueGreenUpgradeSpec{BlueMember: "prod", Green: v1alpha1.NewClusterSpec{ClusterName: "green", KubernetesVersion: "1.37.2"},
				Manifests: v1alpha1.ManifestBundle{ConfigMap: "shop-manifests"}}}
		return cm, bg
	}
	cm, bg := objs()
	if err := upgrades.Create(ctx, h.Client, ios, cm, bg, "upshift bluegreen status"); err != nil {
		t.Fatal(err)
	}
	got := &corev1.ConfigMap{}
	if err := h.Client.Get(ctx, client.ObjectKeyFromObject(cm), got); err != nil || len(got.OwnerReferences) != 1 || got.OwnerReferences[0].Name != "shop" {
		t.Fatalf("ConfigMap %+v, %v: want it owned by the upgrade", got.OwnerReferences, err)
	}
	cm, bg = objs()
	err := upgrades.Create(ctx, h.Client, ios, cm, bg, "upshift bluegreen status")
	if err == nil || !strings.Contains(err.Error(), "a blue-green upgrade named shop was started before; watch it with 'upshift bluegreen status shop -n "+h.Namespace+"'") {
		t.Fatalf("a second start: %v", err)
	}
}
