package fleet

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/window"
)

// JoinOptions describe a cluster joining the fleet.
type JoinOptions struct {
	Namespace   string
	Name        string
	Group       string
	Provider    string
	ClusterName string
	// Kubeconfig, when set, is stored in the Secret member-NAME-kubeconfig
	// and referenced by the Member.
	Kubeconfig []byte
	Window     *window.Spec
}

// KubeconfigSecretName is the Secret that holds a member's kubeconfig.
func KubeconfigSecretName(member string) string { return "member-" + member + "-kubeconfig" }

// Join creates or updates a Member (and its kubeconfig Secret). Running it
// again with the same options changes nothing.
func Join(ctx context.Context, c client.Client, o JoinOptions) (*v1alpha1.Member, error) {
	if o.Name == "" || o.Group == "" || o.Namespace == "" {
		return nil, errors.New("joining needs a member name, a group and a namespace")
	}
	if o.Window != nil {
		if err := o.Window.Validate(); err != nil {
			return nil, fmt.Errorf("maintenance window: %w", err)
		}
	}
	m := &v1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace}}
	if len(o.Kubeconfig) > 0 {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: KubeconfigSecretName(o.Name), Namespace: o.Namespace}}
		if _, err := controllerutil.CreateOrUpdate(ctx, c, s, func() error {
			s.Labels = map[string]string{"upshift.dev/member": o.Name}
			s.Data = map[string][]byte{"kubeconfig": o.Kubeconfig}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("failed to store the kubeconfig of member %s: %w", o.Name, err)
		}
	}
	_, err := controllerutil.CreateOrUpdate(ctx, c, m, func() error {
		m.Spec.Provider, m.Spec.ClusterName, m.Spec.Group = o.Provider, o.ClusterName, o.Group
		m.Spec.MaintenanceWindow = o.Window
		if len(o.Kubeconfig) > 0 {
			m.Spec.KubeconfigSecretRef = &v1alpha1.SecretKeyRef{Name: KubeconfigSecretName(o.Name), Key: "kubeconfig"}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to join member %s: %w", o.Name, err)
	}
	return m, nil
}

// EnsureNamespace creates the fleet's namespace if it does not exist.
func EnsureNamespace(ctx context.Context, c client.Client, ns string) error {
	err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create namespace %s: %w", ns, err)
	}
	return nil
}
