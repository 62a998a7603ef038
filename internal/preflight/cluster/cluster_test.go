package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"upshift.dev/upshift/internal/preflight"
	"upshift.dev/upshift/internal/preflight/scratch"
	"upshift.dev/upshift/internal/toolchain"
	"upshift.dev/upshift/internal/version"
)

func TestParseDeprecatedMetric(t *testing.T) {
	in := `# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested
# TYPE apiserver_requested_deprecated_apis gauge
apiserver_requested_deprecated_apis{group="policy",removed_release="1.25",resource="poddisruptionbudgets",subresource="",version="v1beta1"} 1
apiserver_requested_deprecated_apis{group="",removed_release="",resource="componentstatuses",subresource="",version="v1"} 1
apiserver_requested_deprecated_apis{group="x.io",removed_release="1.40",resource="a\"b",subresource="status",version="v1beta1"} 0
apiserver_request_total{code="200"} 5
`
	got, err := parseDeprecatedMetric(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []preflight.RequestedAPI{
		{Group: "policy", Version: "v1beta1", Resource: "poddisruptionbudgets", RemovedRelease: "1.25"},
		{Group: "", Version: "v1", Resource: "componentstatuses"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{`{group="x"`, `{group=x} 1`, `{group="x"}`, `{group="x"} abc`} {
		if _, _, err := parseSeries(bad); err == nil {
			t.Errorf("parseSeries(%q): want an error", bad)
		}
	}
}

func helmRelease(name, ns string, rev int, status release.Status, manifest string) *release.Release {
	return &release.Release{Name: name, Namespace: ns, Version: rev, Manifest: manifest,
		Info: &release.Info{Status: status}}
}

// TestHelmRecordsFromBothDrivers writes records with Helm's own drivers to
// a real API server and reads them back through the scanner's pager.
func TestHelmRecordsFromBothDrivers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bins, err := toolchain.Cache{}.Ensure(ctx, nil, "1.37.2")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := scratch.Start(ctx, scratch.Options{Binaries: bins[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	kube, err := kubernetes.NewForConfig(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"shop", "web"} {
		if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	old := "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: db}\nspec: {maxUnavailable: 1}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	secrets := driver.NewSecrets(kube.CoreV1().Secrets("shop"))
	cms := driver.NewConfigMaps(kube.CoreV1().ConfigMaps("web"))
	for _, step := range []struct {
		d   driver.Driver
		rel *release.Release
	}{
		{secrets, helmRelease("db", "shop", 1, release.StatusSuperseded, "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: superseded}\n")},
		{secrets, helmRelease("db", "shop", 2, release.StatusDeployed, old)},
		{cms, helmRelease("web", "web", 1, release.StatusDeployed, "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: nightly}\n")},
	} {
		key := "sh.helm.release.v1." + step.rel.Name + ".v" + string(rune('0'+step.rel.Version))
		if err := step.d.Create(key, step.rel); err != nil {
			t.Fatal(err)
		}
	}
	// A record Helm cannot decode is reported, not skipped.
	_, err = kube.CoreV1().Secrets("shop").Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1.broken.v1", Namespace: "shop", Labels: map[string]string{"owner": "helm", "status": "deployed", "name": "broken"}},
		Data:       map[string][]byte{"release": []byte("not base64!")},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	e := preflight.New(preflight.Options{Target: version.MustParse("1.37.2"), Checks: preflight.CheckSet{preflight.GroupAPIs: true}})
	s := &Scanner{HelmPageSize: 1}
	n, err := s.scanHelm(context.Background(), kube, e)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("decoded %d deployed releases, want 2", n)
	}
	var got []string
	for _, f := range e.Report().Findings {
		got = append(got, f.Check+" "+f.Object.Namespace+"/"+f.Object.Name+" "+strings.Join(f.Sources, ","))
	}
	want := []string{
		"api-removed shop/db helm:db/shop",
		"api-removed web/nightly helm:web/web",
		"scan-incomplete shop/sh.helm.release.v1.broken.v1 cluster",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
