package cmdutil

import (
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"upshift.dev/upshift/internal/localfleet"
)

// Factory hands commands what they need from the outside world. Tests build
// one with Test streams, a fixed clock and a kubeconfig of their local
// cluster.
type Factory struct {
	IO *IOStreams
	// Kubeconfig and Context are the global --kubeconfig and --context flags.
	// Empty means kubectl's rules: $KUBECONFIG, then ~/.kube/config, and the
	// current context.
	Kubeconfig string
	Context    string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Clock returns the factory's clock.
func (f *Factory) Clock() func() time.Time {
	if f.Now != nil {
		return f.Now
	}
	return time.Now
}

// ClientConfig resolves --kubeconfig and --context the way kubectl does,
// with the local fleet's kubeconfig last in the search list, so its
// upshift-NAME contexts work without exporting KUBECONFIG (the user's own
// files win on any name they share).
func (f *Factory) ClientConfig() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if f.Kubeconfig != "" {
		rules.ExplicitPath = f.Kubeconfig
	}
	if local := (&localfleet.Fleet{}).KubeconfigPath(); fileExists(local) {
		rules.Precedence = append(rules.Precedence, local)
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.Context})
}

// RESTConfig returns the REST config for the selected context, with client
// rate limits raised: upshift's engines are the only writers they wait for,
// and client-go's default 5 QPS would make a 50-node drain crawl.
func (f *Factory) RESTConfig() (*rest.Config, error) {
	cfg, err := f.ClientConfig().ClientConfig()
	if err != nil {
		where := "the current context"
		if f.Context != "" {
			where = fmt.Sprintf("context %q", f.Context)
		}
		return nil, fmt.Errorf("cannot load kubeconfig for %s: %w (use --kubeconfig and --context, or run 'upshift local up' and export the KUBECONFIG it prints)", where, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	cfg.UserAgent = "upshift"
	return cfg, nil
}

// KubeClient returns a typed clientset for the selected context.
func (f *Factory) KubeClient() (kubernetes.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
