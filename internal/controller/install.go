package controller

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/config"
	"upshift.dev/upshift/internal/apply"
)

// Install applies upshift's CRDs and ClusterRoles to the hub and waits
// until the CRDs are served. Applying is idempotent.
func Install(ctx context.Context, cfg *rest.Config) error {
	var objs []*unstructured.Unstructured
	err := fs.WalkDir(config.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		b, err := config.Files.ReadFile(path)
		if err != nil {
			return err
		}
		docs, err := apply.Decode(b)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		objs = append(objs, docs...)
		return nil
	})
	if err != nil {
		return err
	}
	a, err := apply.New(cfg)
	if err != nil {
		return err
	}
	if err := a.Apply(ctx, objs); err != nil {
		return fmt.Errorf("failed to install upshift's CRDs and roles: %w", err)
	}
	scheme := newScheme()
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		name := o.GetName()
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := c.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
				return false, nil
			}
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s is not established: %w", name, err)
		}
	}
	return nil
}
