package fleet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/window"
)

func TestJoinFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dev"}, "--group is required"},
		{[]string{"Dev", "--group", "g"}, `member name "Dev": use lowercase letters`},
		{[]string{"dev", "--group", "g", "--provider", "gke"}, `--provider "gke": use local, kubeconfig or aks`},
		{[]string{"dev", "--group", "g", "--provider", "kubeconfig"}, "--provider kubeconfig needs --kubeconfig-file"},
		{[]string{"dev", "--group", "g", "--kubeconfig-file", "k"}, "--kubeconfig-file is for --provider kubeconfig"},
		{[]string{"dev", "--group", "g", "--provider", "aks"}, "--provider aks needs --cluster aks://SUBSCRIPTION/RESOURCE_GROUP/NAME"},
		{[]string{"dev", "--group", "g", "--provider", "aks", "--cluster", "aks://sub/rg"}, `got "aks://sub/rg"`},
		{[]string{"dev", "--group", strings.Repeat("g", 51)}, "longer than 50 characters"},
		{[]string{"dev", "--group", "g"}, ""},
		{[]string{"prod-1", "--group", "prod", "--provider", "aks", "--cluster", "aks://sub/rg/prod-1"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			var got *JoinOptions
			cmd := newCmdJoin(&cmdutil.Factory{IO: ios}, func(o *JoinOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tc.want == "" {
				if err != nil || got == nil || got.Cluster == "" {
					t.Fatalf("got %v %+v", err, got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestStandaloneKubeconfig(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := clientcmdapi.NewConfig()
	for _, n := range []string{"a", "b"} {
		cfg.Clusters[n] = &clientcmdapi.Cluster{Server: "https://" + n + ".example:6443", CertificateAuthority: "ca.crt"}
		cfg.AuthInfos[n] = &clientcmdapi.AuthInfo{Token: "token-" + n}
		cfg.Contexts[n] = &clientcmdapi.Context{Cluster: n, AuthInfo: n}
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	if _, err := standaloneKubeconfig(path, ""); err == nil || !strings.Contains(err.Error(), "has no current context; pick one with --kubeconfig-context (it has: a, b)") {
		t.Errorf("two contexts, none current: %v", err)
	}
	if _, err := standaloneKubeconfig(path, "c"); err == nil || !strings.Contains(err.Error(), `has no context "c"; it has: a, b`) {
		t.Errorf("a context that is not there: %v", err)
	}
	b, err := standaloneKubeconfig(path, "b")
	if err != nil {
		t.Fatal(err)
	}
	got, err := clientcmd.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Contexts) != 1 || got.Clusters["b"] == nil || len(got.Clusters["b"].CertificateAuthorityData) == 0 || got.AuthInfos["b"].Token != "token-b" {
		t.Errorf("standalone kubeconfig: one context with the CA embedded, got %+v", got)
	}
}

func TestPoolsAndWindow(t *testing.T) {
	r := MemberSummary{KubernetesVersion: "1.37.2", NodePools: []v1alpha1.MemberNodePool{
		{Name: "system", KubernetesVersion: "1.37.2", Count: 3}, {Name: "apps", KubernetesVersion: "1.36.3", Count: 5}}}
	if got := pools(r); got != "apps:5@1.36.3 system:3" {
		t.Errorf("pools: %q", got)
	}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) // a Wednesday
	spec, err := window.Parse([]byte(weekend))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := spec.Status(now)
	for tty, want := range map[bool]string{true: "closed, opens in 3d12h", false: "closed, opens 2026-11-28T22:00:00Z"} {
		if got := windowText(st, now, tty); got != want {
			t.Errorf("tty=%t: %q, want %q", tty, got, want)
		}
	}
	st, _ = spec.Status(time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC))
	if got := windowText(st, time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC), true); got != "open, closes in 7h" {
		t.Errorf("open window: %q", got)
	}
	st, _ = (*window.Spec)(nil).Status(now)
	if got := windowText(st, now, true); got != "always open" {
		t.Errorf("no window: %q", got)
	}
}

func TestHubError(t *testing.T) {
	gr := schema.GroupResource{Group: "upshift.dev", Resource: "updateruns"}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "upshift.dev", Kind: "Member"}}, "upshift's CRDs are not installed on this hub; install them with 'upshift fleet install'"},
		{apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "team-a"), "namespace team-a does not exist on the hub; create it with 'upshift fleet install -n team-a'"},
		{apierrors.NewForbidden(gr, "r", errors.New("no")), "not allowed to create member \"x\": "},
		{errors.New("boom"), `cannot create member "x": boom`},
	} {
		err := HubError(tc.err, `create member "x"`, "team-a")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.err) {
			t.Errorf("HubError(%v) = %v, want %q and the original in the chain", tc.err, err, tc.want)
		}
	}
}
