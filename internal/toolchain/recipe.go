package toolchain

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"upshift.dev/upshift/internal/version"
)

// Pinned versions. Changing one of them makes the cache build that component
// again; nothing else does.
const (
	EtcdVersion = "3.6.16"
	KwokVersion = "0.8.0"

	// recipeRevision is bumped when the way a component is built changes
	// (flags, stamping), so caches built the old way are rebuilt.
	recipeRevision = 1
)

// KubernetesVersions are the control-plane versions the local fleet can run,
// oldest first.
var KubernetesVersions = []string{"1.36.3", "1.37.2"}

// Supported reports whether the local fleet can run Kubernetes version v
// (with or without a leading "v").
func Supported(v string) bool {
	for _, s := range KubernetesVersions {
		if version.Trim(v) == s {
			return true
		}
	}
	return false
}

// Component is one unit of the toolchain: a Go module at a version and the
// binaries built from it.
type Component struct {
	// Name is the cache directory prefix: kubernetes, etcd or kwok.
	Name string
	// Version without the leading "v".
	Version string
	// Module is the Go module the binaries come from.
	Module string
	// Packages maps each binary name to the Go package that builds it.
	Packages map[string]string
	// LDFlags stamps the version into the binaries.
	LDFlags string
	// goMod renders the tools module's go.mod.
	goMod func(ctx context.Context, c Component) ([]byte, error)
}

// Key is the component's cache directory name, for example kubernetes-v1.37.2.
func (c Component) Key() string { return c.Name + "-v" + c.Version }

// Binaries lists the binary names in a stable order.
func (c Component) Binaries() []string {
	var names []string
	for name := range c.Packages {
		names = append(names, name)
	}
	sortStrings(names)
	return names
}

// fingerprint identifies everything that shapes the build output, so a cache
// entry built by another recipe is not reused.
func (c Component) fingerprint() string {
	b, _ := json.Marshal(struct {
		Rev      int
		Module   string
		Version  string
		Packages map[string]string
		LDFlags  string
	}{recipeRevision, c.Module, c.Version, c.Packages, c.LDFlags})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Kubernetes is the control-plane component for version v (for example
// "1.37.2").
func Kubernetes(v string) (Component, error) {
	v = version.Trim(v)
	if !Supported(v) {
		return Component{}, fmt.Errorf("kubernetes version %q is not supported by the local fleet (supported: %s)",
			v, strings.Join(KubernetesVersions, ", "))
	}
	parsed, err := version.Parse(v)
	if err != nil {
		return Component{}, err
	}
	const pkg = "k8s.io/component-base/version."
	ld := strings.Join([]string{
		"-s", "-w",
		"-X", pkg + "gitVersion=v" + v,
		"-X", pkg + "gitMajor=" + fmt.Sprint(parsed.Major),
		"-X", pkg + "gitMinor=" + fmt.Sprint(parsed.Minor),
		"-X", pkg + "gitTreeState=clean",
		"-X", pkg + "gitCommit=0000000000000000000000000000000000000000",
		"-X", pkg + "buildDate=1970-01-01T00:00:00Z",
	}, " ")
	return Component{
		Name:    "kubernetes",
		Version: v,
		Module:  "k8s.io/kubernetes",
		Packages: map[string]string{
			"kube-apiserver":          "k8s.io/kubernetes/cmd/kube-apiserver",
			"kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
			"kube-scheduler":          "k8s.io/kubernetes/cmd/kube-scheduler",
			// kubectl of the same version, so comparisons with kubectl drain
			// run client and server at one version.
			"kubectl": "k8s.io/kubernetes/cmd/kubectl",
		},
		LDFlags: ld,
		goMod:   kubernetesGoMod,
	}, nil
}

// Etcd is the pinned etcd server component. The module root is package main.
func Etcd() Component {
	return Component{
		Name:     "etcd",
		Version:  EtcdVersion,
		Module:   "go.etcd.io/etcd/server/v3",
		Packages: map[string]string{"etcd": "go.etcd.io/etcd/server/v3"},
		LDFlags:  "-s -w",
		goMod:    plainGoMod,
	}
}

// Kwok is the pinned kwok controller and kwokctl.
func Kwok() Component {
	return Component{
		Name:    "kwok",
		Version: KwokVersion,
		Module:  "sigs.k8s.io/kwok",
		Packages: map[string]string{
			"kwok":    "sigs.k8s.io/kwok/cmd/kwok",
			"kwokctl": "sigs.k8s.io/kwok/cmd/kwokctl",
		},
		LDFlags: "-s -w",
		goMod:   plainGoMod,
	}
}

func plainGoMod(_ context.Context, c Component) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "module upshift.dev/toolchain/%s\n\ngo 1.26.0\n\nrequire %s v%s\n", c.Name, c.Module, c.Version)
	return b.Bytes(), nil
}

var stagingReplace = regexp.MustCompile(`^\s*(k8s\.io/[a-z0-9-]+)\s+=>\s+\./staging/src/`)

// kubernetesGoMod requires k8s.io/kubernetes and replaces each staging module
// by its published v0.x counterpart, as k8s.io/kubernetes's own go.mod points
// them at directories that do not exist outside its repository.
func kubernetesGoMod(ctx context.Context, c Component) ([]byte, error) {
	out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json", c.Module+"@v"+c.Version).Output()
	if err != nil {
		return nil, fmt.Errorf("failed to download %s@v%s from the Go module proxy: %w", c.Module, c.Version, exitDetail(err))
	}
	var info struct{ GoMod string }
	if err := json.Unmarshal(out, &info); err != nil || info.GoMod == "" {
		return nil, fmt.Errorf("go mod download gave no go.mod for %s@v%s", c.Module, c.Version)
	}
	upstream, err := os.ReadFile(info.GoMod)
	if err != nil {
		return nil, err
	}
	parsed, _ := version.Parse(c.Version)
	staging := fmt.Sprintf("v0.%d.%d", parsed.Minor, parsed.Patch)

	var b bytes.Buffer
	fmt.Fprintf(&b, "module upshift.dev/toolchain/kubernetes\n\ngo 1.26.0\n\ngodebug default=go1.26\n\nrequire %s v%s\n\nreplace (\n", c.Module, c.Version)
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(upstream))
	for sc.Scan() {
		if m := stagingReplace.FindStringSubmatch(sc.Text()); m != nil {
			fmt.Fprintf(&b, "\t%s => %s %s\n", m[1], m[1], staging)
			n++
		}
	}
	b.WriteString(")\n")
	if n == 0 {
		return nil, fmt.Errorf("found no staging modules in %s@v%s's go.mod", c.Module, c.Version)
	}
	return b.Bytes(), nil
}
