package local

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/cli/cmdutil"
	"upshift.dev/upshift/internal/controller"
	fleetengine "upshift.dev/upshift/internal/fleet"
	"upshift.dev/upshift/internal/localfleet"
)

// FleetNamespace is the hub namespace of the local fleet's members and
// runs.
const FleetNamespace = "upshift-system"

// setupHub makes the hub a fleet hub: upshift's CRDs and roles, every other
// local cluster joined as a Member of the group named after it, and a
// controller running in the background against it. It is idempotent, so
// clusters started later join the same way.
func setupHub(ctx context.Context, f *localfleet.Fleet, hub string, p *cmdutil.Progress) error {
	cfg, err := f.RESTConfig(hub)
	if err != nil {
		return err
	}
	p.Println("%-6s %-14s %s", hub, "fleet", "installing upshift's CRDs and roles")
	if err := controller.Install(ctx, cfg); err != nil {
		return err
	}
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return err
	}
	if err := fleetengine.EnsureNamespace(ctx, c, FleetNamespace); err != nil {
		return err
	}
	names, err := f.Names()
	if err != nil {
		return err
	}
	for _, name := range names {
		if name == hub {
			continue
		}
		kc, err := f.Kubeconfig(ctx, name)
		if err != nil {
			return err
		}
		if _, err := fleetengine.Join(ctx, c, fleetengine.Membership{
			Namespace: FleetNamespace, Name: name, Group: name, Provider: v1alpha1.ProviderLocal, Cluster: name, Kubeconfig: kc,
		}); err != nil {
			return err
		}
		p.Println("%-6s %-14s %s", name, "fleet", "joined the fleet on "+hub+" (group "+name+")")
	}
	return startController(f, hub, p)
}

// startController runs `upshift controller` against the hub in the
// background, unless it runs already.
func startController(f *localfleet.Fleet, hub string, p *cmdutil.Progress) error {
	proc := f.ControllerProcess()
	if st, ok := proc.State(); ok {
		p.Println("%-6s %-14s controller already running (pid %d)", hub, "fleet", st.PID)
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	metrics, err := freeAddr()
	if err != nil {
		return err
	}
	health, err := freeAddr()
	if err != nil {
		return err
	}
	args := []string{"controller", "--kubeconfig", f.KubeconfigPath(), "--context", localfleet.ContextName(hub),
		"--namespace", FleetNamespace, "--leader-elect", "--local-fleet-dir", f.Dir,
		"--metrics-bind-address", metrics, "--health-probe-bind-address", health}
	if f.Dir == "" {
		args[slices.Index(args, "--local-fleet-dir")+1] = localfleet.DefaultDir()
	}
	st, err := proc.Start(exe, args, map[string]string{"metrics": "http://" + metrics + "/metrics"})
	if err != nil {
		return fmt.Errorf("fleet controller: %w (log: %s)", err, proc.LogPath())
	}
	p.Println("%-6s %-14s controller running (pid %d, metrics http://%s/metrics, log %s)", hub, "fleet", st.PID, metrics, proc.LogPath())
	return nil
}

// stopController ends the background controller, when the hub goes.
func stopController(ctx context.Context, f *localfleet.Fleet) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return f.ControllerProcess().Stop(ctx)
}

// freeAddr picks a free loopback address for a server the fleet runs.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
