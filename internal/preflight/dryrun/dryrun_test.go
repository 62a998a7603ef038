package dryrun

import (
	"context"
	"strings"
	"testing"
	"time"

	"upshift.dev/upshift/internal/preflight"
	"upshift.dev/upshift/internal/version"
)

func TestServerDryRunAgainstRealAPIServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	target := version.MustParse("1.37.2")
	e := preflight.New(preflight.Options{Target: target, Checks: preflight.CheckSet{preflight.GroupAPIs: true}})
	r := &Runner{Target: target, Progress: func(m string) { t.Log(m) }}
	if err := r.Run(ctx, []string{"testdata/manifests.yaml"}, nil, e); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range e.Report().Findings {
		if f.Check == preflight.CheckServerRejected || f.Check == preflight.CheckDryRunSkipped {
			got[f.Check+" "+f.Object.Kind+" "+f.Object.Name] = f.Message + " @ " + strings.Join(f.Sources, ",")
		}
	}
	want := map[string]string{
		"server-rejected PodDisruptionBudget web": "policy/v1beta1 PodDisruptionBudget is not served (deprecated in 1.21, removed in 1.25) @ file:testdata/manifests.yaml#2",
		"server-rejected Deployment broken":       "selector` does not match template `labels` @ file:testdata/manifests.yaml#3",
		"server-rejected ServiceCIDR extra":       "networking.k8s.io/v1beta1 ServiceCIDR is not served",
		"server-rejected Widget big":              "spec.size",
		"server-dry-run-skipped Gadget ":          "1 other.example.com/v1 Gadget object(s) were not dry-run",
	}
	for k, v := range got {
		t.Logf("%s: %s", k, v)
	}
	for k, w := range want {
		if !strings.Contains(got[k], w) {
			t.Errorf("%s: got %q, want containing %q", k, got[k], w)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected finding %s: %s", k, v)
		}
	}
}
