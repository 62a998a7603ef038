package localfleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfigMu serialises writers inside one process; the flock below does
// it across processes (parallel `local up`s, tests).
var kubeconfigMu sync.Mutex

// addContext copies a cluster's kubeconfig (written by kwokctl in its
// cluster directory) into the fleet kubeconfig as context upshift-<name>.
func (f *Fleet) addContext(name string) error {
	src, err := clientcmd.LoadFromFile(filepath.Join(f.clusterDir(name), "kubeconfig.yaml"))
	if err != nil {
		return fmt.Errorf("failed to read kwokctl's kubeconfig for %q: %w", name, err)
	}
	cur, ok := src.Contexts[src.CurrentContext]
	if !ok {
		return fmt.Errorf("kwokctl's kubeconfig for %q has no current context", name)
	}
	return f.editKubeconfig(func(cfg *clientcmdapi.Config) {
		ctx := ContextName(name)
		cfg.Clusters[ctx] = src.Clusters[cur.Cluster]
		cfg.AuthInfos[ctx] = src.AuthInfos[cur.AuthInfo]
		cfg.Contexts[ctx] = &clientcmdapi.Context{Cluster: ctx, AuthInfo: ctx}
		if cfg.CurrentContext == "" {
			cfg.CurrentContext = ctx
		}
	})
}

// removeContext drops a cluster's context from the fleet kubeconfig.
func (f *Fleet) removeContext(name string) error {
	return f.editKubeconfig(func(cfg *clientcmdapi.Config) {
		ctx := ContextName(name)
		delete(cfg.Clusters, ctx)
		delete(cfg.AuthInfos, ctx)
		delete(cfg.Contexts, ctx)
		if cfg.CurrentContext == ctx {
			cfg.CurrentContext = ""
			for c := range cfg.Contexts {
				if cfg.CurrentContext == "" || c < cfg.CurrentContext {
					cfg.CurrentContext = c
				}
			}
		}
	})
}

func (f *Fleet) editKubeconfig(edit func(*clientcmdapi.Config)) error {
	kubeconfigMu.Lock()
	defer kubeconfigMu.Unlock()
	path := f.KubeconfigPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck

	cfg, err := clientcmd.LoadFromFile(path)
	if errors.Is(err, os.ErrNotExist) {
		cfg, err = clientcmdapi.NewConfig(), nil
	}
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", path, err)
	}
	edit(cfg)
	// Write to a temporary file and rename, so a reader never sees half a
	// kubeconfig.
	tmp := path + ".tmp"
	if err := clientcmd.WriteToFile(*cfg, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
