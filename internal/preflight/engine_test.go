package preflight

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"upshift.dev/upshift/internal/manifest"
	"upshift.dev/upshift/internal/version"
)

func obj(apiVersion, kind, ns, name string, spec map[string]any) map[string]any {
	md := map[string]any{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
	if spec != nil {
		o["spec"] = spec
	}
	return o
}

func engine137() *Engine { return New(Options{Target: version.MustParse("1.37.2")}) }

func only(t *testing.T, r Report, check string) []Finding {
	t.Helper()
	var out []Finding
	for _, f := range r.Findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

func TestOneFindingPerObjectWithEverySource(t *testing.T) {
	e := engine137()
	pdb := func(ns string) map[string]any {
		return obj("policy/v1beta1", "PodDisruptionBudget", ns, "db", map[string]any{"maxUnavailable": int64(1)})
	}
	e.ObserveDocument(manifest.Document{Path: "k8s/db.yaml", Index: 2, Line: 7, Object: pdb("shop")}, Source{Kind: SourceFile})
	e.Observe(pdb(""), Source{Kind: SourceHelm, Release: "db", Namespace: "shop"})
	meta := &metav1.ObjectMeta{Name: "db", Namespace: "shop", Annotations: map[string]string{
		LastAppliedAnnotation: `{"apiVersion":"policy/v1beta1","kind":"PodDisruptionBudget"}`}}
	e.ObserveLastApplied(ObjectRef{APIVersion: "policy/v1", Kind: "PodDisruptionBudget", Namespace: "shop", Name: "db"}, meta)
	// The live object itself is read at policy/v1 and is not an API finding.
	e.Observe(obj("policy/v1", "PodDisruptionBudget", "shop", "db", map[string]any{"maxUnavailable": int64(1)}), Source{Kind: SourceCluster})

	got := only(t, e.Report(), CheckAPIRemoved)
	if len(got) != 1 {
		t.Fatalf("got %d api-removed findings, want 1: %+v", len(got), got)
	}
	f := got[0]
	want := []string{"file:k8s/db.yaml#2", "cluster:last-applied", "helm:db/shop"}
	if strings.Join(f.Sources, " ") != strings.Join(want, " ") {
		t.Errorf("sources %v, want %v", f.Sources, want)
	}
	if f.Object != (ObjectRef{"policy/v1beta1", "PodDisruptionBudget", "shop", "db"}) {
		t.Errorf("object %+v", f.Object)
	}
	if f.RemovedIn != "1.25" || f.DeprecatedIn != "1.21" || f.Replacement != "policy/v1" {
		t.Errorf("lifecycle fields %q %q %q", f.DeprecatedIn, f.RemovedIn, f.Replacement)
	}
	if len(f.Locations) != 1 || f.Locations[0] != (Location{"k8s/db.yaml", 7}) {
		t.Errorf("locations %+v", f.Locations)
	}
}

func TestFileAndClusterViewsOfOneWorkloadMerge(t *testing.T) {
	e := engine137()
	dep := func(ns string) map[string]any {
		return obj("apps/v1", "Deployment", ns, "web", map[string]any{
			"replicas": int64(1),
			"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c"}}}},
		})
	}
	e.Observe(dep(""), Source{Kind: SourceFile, Path: "web.yaml", Doc: 1})
	e.Observe(dep("default"), Source{Kind: SourceCluster})
	got := only(t, e.Report(), CheckReplicasSingle)
	if len(got) != 1 {
		t.Fatalf("got %+v", got)
	}
	if got[0].Object.Namespace != "default" || strings.Join(got[0].Sources, " ") != "file:web.yaml#1 cluster" {
		t.Errorf("got object %+v sources %v; want the cluster's view with both sources", got[0].Object, got[0].Sources)
	}
}

func TestLastApplied(t *testing.T) {
	t1 := metav1.NewTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	t2 := metav1.NewTime(t1.Add(time.Hour))
	csa := func(av string, at metav1.Time) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: "kubectl-client-side-apply", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: av, Time: &at}
	}
	entry := func(mgr string, op metav1.ManagedFieldsOperationType, av string, at metav1.Time, sub string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: mgr, Operation: op, APIVersion: av, Time: &at, Subresource: sub}
	}
	tests := []struct {
		name       string
		annotated  string
		fields     []metav1.ManagedFieldsEntry
		wantCheck  string // "" for no finding
		wantSource string
	}{
		{"kubectl applied the old version", "policy/v1beta1", []metav1.ManagedFieldsEntry{csa("policy/v1beta1", t1)}, CheckAPIRemoved, "cluster:last-applied"},
		{"no managedFields: taken at its word", "policy/v1beta1", nil, CheckAPIRemoved, "cluster:last-applied"},
		{"helm rewrote it later at policy/v1: stale", "policy/v1beta1",
			[]metav1.ManagedFieldsEntry{csa("policy/v1beta1", t1), entry("helm", metav1.ManagedFieldsOperationUpdate, "policy/v1", t2, "")}, CheckLastAppliedStale, "cluster:last-applied"},
		{"server-side apply later: stale", "policy/v1beta1",
			[]metav1.ManagedFieldsEntry{csa("policy/v1beta1", t1), entry("deployer", metav1.ManagedFieldsOperationApply, "policy/v1", t2, "")}, CheckLastAppliedStale, "cluster:last-applied"},
		{"kubectl applied again after helm: current", "policy/v1beta1",
			[]metav1.ManagedFieldsEntry{csa("policy/v1beta1", t2), entry("helm", metav1.ManagedFieldsOperationUpdate, "policy/v1", t1, "")}, CheckAPIRemoved, "cluster:last-applied"},
		{"a controller's update is not a migration", "policy/v1beta1",
			[]metav1.ManagedFieldsEntry{entry("kube-controller-manager", metav1.ManagedFieldsOperationUpdate, "policy/v1", t2, "")}, CheckAPIRemoved, "cluster:last-applied"},
		{"a status write is not a migration", "policy/v1beta1",
			[]metav1.ManagedFieldsEntry{csa("policy/v1beta1", t1), entry("helm", metav1.ManagedFieldsOperationUpdate, "policy/v1", t2, "status")}, CheckAPIRemoved, "cluster:last-applied"},
		{"annotation at a served version", "policy/v1", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine137()
			meta := &metav1.ObjectMeta{Name: "db", Namespace: "shop", ManagedFields: tt.fields, Annotations: map[string]string{
				LastAppliedAnnotation: `{"apiVersion":"` + tt.annotated + `","kind":"PodDisruptionBudget","metadata":{"name":"db"}}`}}
			e.ObserveLastApplied(ObjectRef{APIVersion: "policy/v1", Kind: "PodDisruptionBudget", Namespace: "shop", Name: "db"}, meta)
			r := e.Report()
			if tt.wantCheck == "" {
				if len(r.Findings) != 0 {
					t.Fatalf("want no findings, got %+v", r.Findings)
				}
				return
			}
			if len(r.Findings) != 1 || r.Findings[0].Check != tt.wantCheck || r.Findings[0].Sources[0] != tt.wantSource {
				t.Fatalf("want one %s from %s, got %+v", tt.wantCheck, tt.wantSource, r.Findings)
			}
			if tt.wantCheck == CheckLastAppliedStale && r.Findings[0].Severity != SeverityInfo {
				t.Errorf("stale annotation severity %s, want info", r.Findings[0].Severity)
			}
		})
	}
}

func TestRequestedDeprecatedAPIs(t *testing.T) {
	e := New(Options{Target: version.MustParse("1.25.0")})
	e.ObserveRequestedAPI(RequestedAPI{Group: "policy", Version: "v1beta1", Resource: "poddisruptionbudgets", RemovedRelease: "1.25"})
	e.ObserveRequestedAPI(RequestedAPI{Group: "example.com", Version: "v1beta1", Resource: "widgets", RemovedRelease: "1.30"})
	e.ObserveRequestedAPI(RequestedAPI{Group: "apps", Version: "v1", Resource: "deployments"}) // not deprecated
	r := e.Report()
	if len(r.Findings) != 2 {
		t.Fatalf("got %+v", r.Findings)
	}
	removed := only(t, r, CheckAPIRemoved)
	if len(removed) != 1 || removed[0].Object.Kind != "PodDisruptionBudget" || removed[0].Sources[0] != "metric" {
		t.Errorf("api-removed: %+v", removed)
	}
	dep := only(t, r, CheckAPIDeprecated)
	if len(dep) != 1 || dep[0].Object.APIVersion != "example.com/v1beta1" || dep[0].RemovedIn != "1.30" {
		t.Errorf("api-deprecated: %+v", dep)
	}
}

func TestVersionChecks(t *testing.T) {
	v := version.MustParse
	tests := []struct {
		name   string
		target string
		info   VersionInfo
		want   []string
	}{
		{"one minor up, pools in skew", "1.37.2", VersionInfo{ControlPlane: v("1.36.3"), Pools: []NodePool{{Name: "a", Versions: []version.Version{v("1.36.3"), v("1.34.1")}, Nodes: 3}}}, nil},
		{"pool four minors behind", "1.37.2", VersionInfo{ControlPlane: v("1.36.3"), Pools: []NodePool{{Name: "old", Versions: []version.Version{v("1.33.9")}, Nodes: 2}}}, []string{"version-skew NodePool old"}},
		{"skips a minor", "1.37.2", VersionInfo{ControlPlane: v("1.35.1")}, []string{"version-skip-minor ControlPlane kube-apiserver"}},
		{"downgrade, and a pool newer than the target", "1.36.0", VersionInfo{ControlPlane: v("1.37.2"), Pools: []NodePool{{Name: "new", Versions: []version.Version{v("1.37.2")}}}},
			[]string{"version-downgrade ControlPlane kube-apiserver", "version-skew NodePool new"}},
		{"same version", "1.37.2", VersionInfo{ControlPlane: v("1.37.2")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(Options{Target: v(tt.target)})
			e.CheckVersions(tt.info)
			var got []string
			for _, f := range e.Report().Findings {
				got = append(got, f.Check+" "+f.Object.Kind+" "+f.Object.Name)
				if f.Severity != SeverityError || f.Sources[0] != "cluster" {
					t.Errorf("%+v", f)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDocumentsThatAreNotObjects(t *testing.T) {
	e := engine137()
	e.ObserveDocument(manifest.Document{Path: "a.yaml", Index: 3, Line: 9, Err: errorString("invalid YAML: line 2")}, Source{Kind: SourceFile})
	e.ObserveDocument(manifest.Document{Path: "a.yaml", Index: 4, Object: map[string]any{"replicaCount": int64(3)}}, Source{Kind: SourceFile})
	e.ObserveDocument(manifest.Document{Path: "b.yaml", Index: 1, Err: errorString("invalid YAML")}, Source{Kind: SourceFile})
	r := e.Report()
	if len(only(t, r, CheckManifestUnparsable)) != 2 || len(only(t, r, CheckManifestNotObject)) != 1 {
		t.Fatalf("got %+v", r.Findings)
	}
	f := only(t, r, CheckManifestUnparsable)[0]
	if f.Sources[0] != "file:a.yaml#3" || f.Locations[0].Line != 9 || !strings.Contains(f.Message, "line 2") {
		t.Errorf("%+v", f)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestCheckGroups(t *testing.T) {
	if _, err := ParseCheckSet([]string{"apis", "bogus"}); err == nil || !strings.Contains(err.Error(), "apis,workloads,versions") {
		t.Errorf("want an error naming the groups, got %v", err)
	}
	set, err := ParseCheckSet([]string{"workloads"})
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{Target: version.MustParse("1.37.2"), Checks: set})
	e.Observe(obj("extensions/v1beta1", "Ingress", "", "x", nil), Source{Kind: SourceFile, Path: "x", Doc: 1})
	e.ObserveDocument(manifest.Document{Path: "y", Index: 1, Err: errorString("bad")}, Source{Kind: SourceFile})
	r := e.Report()
	if len(r.Findings) != 1 || r.Findings[0].Check != CheckManifestUnparsable {
		t.Errorf("with --checks workloads: got %+v; want only the unparsable document", r.Findings)
	}
}

func TestReportJSONContract(t *testing.T) {
	r := engine137().Report()
	b, _ := json.Marshal(r)
	if string(b) != `{"targetVersion":"1.37.2","findings":[],"summary":{"errors":0,"warnings":0,"infos":0}}` {
		t.Errorf("empty report: %s", b)
	}
	e := engine137()
	e.Observe(obj("batch/v1beta1", "CronJob", "ns", "c", nil), Source{Kind: SourceFile, Path: "c.yaml", Doc: 1, Line: 1})
	var decoded map[string]any
	b, _ = json.Marshal(e.Report())
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	f := decoded["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"check", "severity", "object", "sources", "message", "fix", "deprecatedIn", "removedIn", "replacement"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding lacks %q: %s", k, b)
		}
	}
	if _, ok := f["Locations"]; ok {
		t.Errorf("locations leak into JSON: %s", b)
	}
	o := f["object"].(map[string]any)
	for _, k := range []string{"apiVersion", "kind", "namespace", "name"} {
		if _, ok := o[k]; !ok {
			t.Errorf("object lacks %q", k)
		}
	}
}

func TestSARIF(t *testing.T) {
	e := engine137()
	e.Observe(obj("batch/v1beta1", "CronJob", "ns", "c", nil), Source{Kind: SourceFile, Path: "dir/c.yaml", Doc: 2, Line: 5})
	e.ObserveRequestedAPI(RequestedAPI{Group: "resource.k8s.io", Version: "v1beta1", Resource: "deviceclasses"})
	log := e.Report().SARIF("v0.1.0")
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("%+v", log)
	}
	res := log.Runs[0].Results
	if len(res) != 2 {
		t.Fatalf("results %+v", res)
	}
	r0 := res[0]
	if r0.RuleID != CheckAPIRemoved || r0.Level != "error" || log.Runs[0].Tool.Driver.Rules[r0.RuleIndex].ID != r0.RuleID {
		t.Errorf("result 0 %+v", r0)
	}
	pl := r0.Locations[0].PhysicalLocation
	if pl == nil || pl.ArtifactLocation.URI != "dir/c.yaml" || pl.Region.StartLine != 5 {
		t.Errorf("location %+v", r0.Locations)
	}
	if res[1].Level != "warning" || res[1].Locations[0].PhysicalLocation != nil || res[1].Locations[0].LogicalLocations == nil {
		t.Errorf("result 1 %+v", res[1])
	}
}

// TestLivePDBStatus covers PDBs whose pods belong to controllers the checks
// do not know (an operator's pods): the live status decides.
func TestLivePDBStatus(t *testing.T) {
	pdb := func(name string, allowed, expected, healthy int64) map[string]any {
		o := obj("policy/v1", "PodDisruptionBudget", "db", name, map[string]any{
			"minAvailable": int64(2), "selector": map[string]any{"matchLabels": map[string]any{"cluster": name}}})
		o["status"] = map[string]any{"observedGeneration": int64(1), "disruptionsAllowed": allowed,
			"expectedPods": expected, "currentHealthy": healthy, "desiredHealthy": int64(2)}
		return o
	}
	e := engine137()
	e.Observe(pdb("blocked", 0, 2, 2), Source{Kind: SourceCluster})
	e.Observe(pdb("degraded", 0, 2, 1), Source{Kind: SourceCluster}) // a pod is down: not a deadlock
	e.Observe(pdb("fine", 1, 3, 3), Source{Kind: SourceCluster})
	e.Observe(pdb("empty", 0, 0, 0), Source{Kind: SourceCluster})
	r := e.Report()
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Check+" "+f.Object.Name)
	}
	want := "pdb-never-allows-eviction blocked,pdb-selects-nothing empty"
	if strings.Join(got, ",") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}
