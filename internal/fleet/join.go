package fleet

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/window"
)

// LabelMember marks the Secrets that belong to a Member.
const LabelMember = "upshift.dev/member"

// Membership is what a Member says about a cluster, before it is written.
type Membership struct {
	Namespace, Name, Group, Provider, Cluster string
	// Kubeconfig, when set, is stored in the Secret SecretName(Name) and
	// referenced by the Member.
	Kubeconfig []byte
	Window     *window.Spec
}

// JoinResult says what Join wrote.
type JoinResult struct {
	// Updated is true when the Member existed.
	Updated bool
	// Secret names the kubeconfig Secret, if any.
	Secret string
}

// SecretName is the Secret holding a member's kubeconfig.
func SecretName(member string) string { return "member-" + member + "-kubeconfig" }

// Join creates or updates a Member and its kubeconfig Secret. The Secret is
// written first, so the controller never probes a Member whose credentials
// are missing, and is owned by the Member, so deleting the Member (also
// with kubectl) deletes it. It only creates and patches Secrets, never reads
// them: the upshift-operator role may not read credentials.
func Join(ctx context.Context, c client.Client, m Membership) (JoinResult, error) {
	var res JoinResult
	member := &v1alpha1.Member{}
	err := c.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Name}, member)
	switch {
	case err == nil:
		res.Updated = true
	case !apierrors.IsNotFound(err):
		return res, fmt.Errorf("read member %q: %w", m.Name, err)
	}
	if m.Kubeconfig != nil {
		res.Secret = SecretName(m.Name)
		if err := putSecret(ctx, c, m, member); err != nil {
			return res, err
		}
	}
	spec := v1alpha1.MemberSpec{Provider: m.Provider, ClusterName: m.Cluster, Group: m.Group, MaintenanceWindow: m.Window}
	if res.Secret != "" {
		spec.KubeconfigSecretRef = &v1alpha1.SecretKeyRef{Name: res.Secret, Key: "kubeconfig"}
	}
	if !res.Updated {
		member = &v1alpha1.Member{ObjectMeta: metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace}, Spec: spec}
		if err := c.Create(ctx, member); err != nil {
			return res, fmt.Errorf("create member %q: %w", m.Name, err)
		}
		if res.Secret != "" {
			return res, own(ctx, c, m, member)
		}
		return res, nil
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(member), member); err != nil {
			return err
		}
		member.Spec = spec
		return c.Update(ctx, member)
	})
	return res, wrapf(err, "update member %q", m.Name)
}

// putSecret creates the member's kubeconfig Secret, or patches it when it
// exists (a member joined again with new credentials). owner is the Member
// when it exists already.
func putSecret(ctx context.Context, c client.Client, m Membership, owner *v1alpha1.Member) error {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: SecretName(m.Name), Namespace: m.Namespace, Labels: map[string]string{LabelMember: m.Name}},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"kubeconfig": m.Kubeconfig},
	}
	if owner.UID != "" {
		s.OwnerReferences = ownerRefs(owner)
	}
	err := c.Create(ctx, s)
	if apierrors.IsAlreadyExists(err) {
		md := map[string]any{"labels": s.Labels}
		if s.OwnerReferences != nil {
			md["ownerReferences"] = s.OwnerReferences
		}
		patch, _ := json.Marshal(map[string]any{"metadata": md, "data": s.Data})
		err = c.Patch(ctx, s, client.RawPatch(types.MergePatchType, patch))
	}
	return wrapf(err, "write Secret %s", s.Name)
}

// own makes the new Member the owner of its Secret.
func own(ctx context.Context, c client.Client, m Membership, member *v1alpha1.Member) error {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: SecretName(m.Name), Namespace: m.Namespace}}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"ownerReferences": ownerRefs(member)}})
	return wrapf(c.Patch(ctx, s, client.RawPatch(types.MergePatchType, patch)), "set the owner of Secret %s", s.Name)
}

func ownerRefs(m *v1alpha1.Member) []metav1.OwnerReference {
	return []metav1.OwnerReference{{
		APIVersion: v1alpha1.GroupVersion.String(), Kind: "Member", Name: m.Name, UID: m.UID,
	}}
}

// wrapf wraps err with what was being done; nil stays nil.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// EnsureNamespace creates the fleet's namespace if it does not exist.
func EnsureNamespace(ctx context.Context, c client.Client, ns string) error {
	err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create namespace %s: %w", ns, err)
	}
	return nil
}
