package fleet

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/controller"
	"upshift.dev/upshift/internal/localfleet/fleettest"
)

// A weekly window of Saturday nights, and the same with a typo.
const (
	weekend    = "schedule: {weekly: {intervalWeeks: 1, dayOfWeek: Saturday}}\ndurationHours: 8\nstartTime: \"22:00\"\n"
	badWeekend = "schedule: {weekly: {intervalWeeks: 1, dayOfWeek: Saturdy}}\ndurationHours: 8\nstartTime: \"22:00\"\n"
)

// generatedKubeconfig writes a kubeconfig for cfg with its certificates
// embedded, the kind of file a person hands to --kubeconfig-file.
func generatedKubeconfig(t *testing.T, cfg *rest.Config, path string) {
	t.Helper()
	read := func(b []byte, file string) []byte {
		if len(b) > 0 || file == "" {
			return b
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	c := clientcmdapi.NewConfig()
	c.Clusters["edge"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: read(cfg.CAData, cfg.CAFile)}
	c.AuthInfos["edge"] = &clientcmdapi.AuthInfo{ClientCertificateData: read(cfg.CertData, cfg.CertFile), ClientKeyData: read(cfg.KeyData, cfg.KeyFile), Token: cfg.BearerToken}
	c.Contexts["edge"] = &clientcmdapi.Context{Cluster: "edge", AuthInfo: "edge"}
	c.CurrentContext = "edge"
	if err := clientcmd.WriteToFile(*c, path); err != nil {
		t.Fatal(err)
	}
}

// TestJoinListLeave joins a cluster of a local fleet started by the test
// (provider local), the same cluster by a generated kubeconfig file with a
// maintenance window (provider kubeconfig), and an AKS cluster, against a
// hub whose controller probes members; lists them; and makes one leave.
func TestJoinListLeave(t *testing.T) {
	lf := fleettest.StartFleet(t, fleettest.Options{}.Spec("hub"), fleettest.Options{Nodes: 1}.Spec("dev"))
	hub, dev := lf.Clusters["hub"], lf.Clusters["dev"]
	ctx := context.Background()
	ios, _, out, errOut := cmdutil.Test()
	if err := installRun(ctx, &InstallOptions{IO: ios, RESTConfig: func() (*rest.Config, error) { return hub.RESTConfig, nil }, Namespace: DefaultNamespace}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Hub ready") || !strings.Contains(errOut.String(), "Created namespace upshift-system") {
		t.Errorf("install printed %q / %q", out, errOut)
	}
	mgr, err := controller.NewManager(hub.RESTConfig, controller.Options{LocalFleetDir: lf.Dir, SeveralPerProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	mctx, stop := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- mgr.Start(mctx) }()
	t.Cleanup(func() { stop(); <-stopped })

	c, err := client.New(hub.RESTConfig, client.Options{Scheme: Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	hubClient := func() (client.Client, error) { return c, nil }
	dir := t.TempDir()
	kc := filepath.Join(dir, "edge.kubeconfig")
	generatedKubeconfig(t, dev.RESTConfig, kc)
	window := filepath.Join(dir, "weekend.yaml")
	badWindow := filepath.Join(dir, "bad.yaml")
	for p, s := range map[string]string{window: weekend, badWindow: badWeekend} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	join := func(o JoinOptions) (string, error) {
		ios, _, out, _ := cmdutil.Test()
		o.IO, o.Client, o.Now, o.Namespace, o.LocalFleetDir = ios, hubClient, time.Now, DefaultNamespace, lf.Dir
		if err := o.validate(); err != nil {
			return "", err
		}
		err := joinRun(ctx, &o)
		return out.String(), err
	}
	_, err = join(JoinOptions{Name: "edge", Group: "edge", Provider: v1alpha1.ProviderKubeconfig, KubeconfigFile: kc, WindowFile: badWindow})
	if err == nil || !strings.Contains(err.Error(), "schedule.weekly.dayOfWeek") {
		t.Errorf("a window file with a typo: %v (want the field named)", err)
	}
	t.Logf("a window file with a typo: %v", err)
	if _, err := join(JoinOptions{Name: "nope", Group: "dev", Provider: v1alpha1.ProviderLocal}); err == nil || !strings.Contains(err.Error(), `local cluster "nope" is not in the local fleet`) {
		t.Errorf("joining a local cluster that does not exist: %v", err)
	}
	for _, o := range []JoinOptions{
		{Name: "dev", Group: "dev", Provider: v1alpha1.ProviderLocal},
		{Name: "edge", Group: "edge", Provider: v1alpha1.ProviderKubeconfig, KubeconfigFile: kc, WindowFile: window},
		{Name: "aks-1", Group: "prod", Provider: v1alpha1.ProviderAKS, Cluster: "aks://sub/rg/aks-1"},
	} {
		out, err := join(o)
		if err != nil {
			t.Fatalf("join %s: %v", o.Name, err)
		}
		t.Logf("join %s:\n%s", o.Name, out)
	}

	// The Secret holds a kubeconfig that reaches the cluster, and is owned
	// by the Member.
	s := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: DefaultNamespace, Name: "member-dev-kubeconfig"}, s); err != nil {
		t.Fatal(err)
	}
	if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].Kind != "Member" || s.OwnerReferences[0].Name != "dev" {
		t.Errorf("the Secret's owners: %+v", s.OwnerReferences)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(s.Data["kubeconfig"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kubernetes.NewForConfigOrDie(cfg).Discovery().ServerVersion(); err != nil {
		t.Fatalf("the stored kubeconfig does not reach dev: %v", err)
	}

	// Joining again updates the member.
	if out, err := join(JoinOptions{Name: "dev", Group: "dev-2", Provider: v1alpha1.ProviderLocal}); err != nil || !strings.Contains(out, `Updated member "dev"`) {
		t.Fatalf("joining again: %v %s", err, out)
	}

	// The controller probes the local and kubeconfig members; the AKS one
	// cannot be reached without Azure credentials.
	byName := map[string]MemberSummary{}
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		ios, _, out, _ := cmdutil.Test()
		if err := listRun(ctx, &ListOptions{IO: ios, Client: hubClient, Now: time.Now, Namespace: DefaultNamespace, Output: cmdutil.OutputJSON}); err != nil {
			return false, err
		}
		var rows []MemberSummary
		if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
			return false, err
		}
		for _, r := range rows {
			byName[r.Name] = r
		}
		return len(rows) == 3 && byName["aks-1"].Reachable == "False" && byName["edge"].Reachable == "True" &&
			byName["dev"].Reachable == "True" && len(byName["dev"].NodePools) == 2, nil
	})
	if err != nil {
		t.Fatalf("members never got probed: %v %+v", err, byName)
	}
	if v := byName["dev"].KubernetesVersion; v == "" || v != byName["edge"].KubernetesVersion {
		t.Errorf("dev joined twice shows versions %q and %q", v, byName["edge"].KubernetesVersion)
	}
	if w := byName["edge"].Window; w.NextWindow == nil && w.CurrentWindow == nil {
		t.Errorf("edge's window: %+v", w)
	}
	ios, _, out, _ = cmdutil.Test()
	if err := listRun(ctx, &ListOptions{IO: ios, Client: hubClient, Now: time.Now, Namespace: DefaultNamespace, Output: cmdutil.OutputTable}); err != nil {
		t.Fatal(err)
	}
	t.Logf("fleet list:\n%s", out)
	lines := strings.Split(out.String(), "\n")
	// Sorted by group, then name: dev (group dev-2), edge, aks-1 (prod).
	for i, want := range [][]string{
		{"NAME", "PROVIDER", "CLUSTER", "GROUP", "VERSION", "NODE POOLS", "REACHABLE", "WINDOW"},
		{"dev", "local", "dev-2", "apps:1 system:1", "True", "always open"},
		{"edge", "kubeconfig", "edge", "True", ":00:00Z"},
		{"aks-1", "aks", "aks://sub/rg/aks-1", "prod", "-", "False", "always open"},
	} {
		for _, w := range want {
			if i >= len(lines) || !strings.Contains(lines[i], w) {
				t.Errorf("fleet list line %d lacks %q:\n%s", i, w, out)
			}
		}
	}

	// Leaving deletes the Member and its Secret.
	ios, _, out, _ = cmdutil.Test()
	if err := leaveRun(ctx, &LeaveOptions{IO: ios, Client: hubClient, Namespace: DefaultNamespace, Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: DefaultNamespace, Name: "member-dev-kubeconfig"}, s); !apierrors.IsNotFound(err) {
		t.Errorf("the Secret outlived its member: %v", err)
	}
	err = leaveRun(ctx, &LeaveOptions{IO: ios, Client: hubClient, Namespace: DefaultNamespace, Name: "dev"})
	if err == nil || err.Error() != `member "dev" not found in namespace upshift-system; list members with 'upshift fleet list'` {
		t.Errorf("leaving twice: %v", err)
	}
}
