package fleet

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// standaloneKubeconfig reads a kubeconfig file and returns one context of
// it as a self-contained kubeconfig (certificates embedded), which is what
// the controller can use from a Secret on another machine.
func standaloneKubeconfig(path, context string) ([]byte, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read --kubeconfig-file: %w", err)
	}
	names := make([]string, 0, len(cfg.Contexts))
	for n := range cfg.Contexts {
		names = append(names, n)
	}
	slices.Sort(names)
	switch {
	case context != "":
		cfg.CurrentContext = context
	case cfg.CurrentContext == "" && len(names) == 1:
		cfg.CurrentContext = names[0]
	case cfg.CurrentContext == "":
		return nil, fmt.Errorf("--kubeconfig-file %s has no current context; pick one with --kubeconfig-context (it has: %s)", path, strings.Join(names, ", "))
	}
	if _, ok := cfg.Contexts[cfg.CurrentContext]; !ok {
		return nil, fmt.Errorf("--kubeconfig-file %s has no context %q; it has: %s", path, cfg.CurrentContext, strings.Join(names, ", "))
	}
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		return nil, fmt.Errorf("--kubeconfig-file %s: %w", path, err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return nil, fmt.Errorf("--kubeconfig-file %s: cannot embed its certificate files: %w", path, err)
	}
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, err
	}
	if _, err := clientcmd.RESTConfigFromKubeConfig(b); err != nil {
		return nil, fmt.Errorf("--kubeconfig-file %s: context %q is not usable: %w", path, cfg.CurrentContext, err)
	}
	return b, nil
}
