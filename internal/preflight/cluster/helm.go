package cluster

import (
	"context"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"upshift.dev/upshift/internal/manifest"
	"upshift.dev/upshift/internal/preflight"
)

// helmSelector finds the records of deployed Helm v3 releases: one per
// release, the revision that is live.
const helmSelector = "owner=helm,status=deployed"

// scanHelm reads deployed release records from Secrets (Helm's default
// driver) and ConfigMaps (HELM_DRIVER=configmap), page by page, and feeds
// each release's manifest to sink as documents with source
// "helm:release/namespace".
func (s *Scanner) scanHelm(ctx context.Context, kube kubernetes.Interface, sink Sink) (int, error) {
	n := 0
	opts := metav1.ListOptions{LabelSelector: helmSelector, Limit: s.helmPageSize()}
	for {
		page, err := kube.CoreV1().Secrets(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			incomplete(sink, preflight.ObjectRef{APIVersion: "v1", Kind: "Secret"}, "cannot list Helm release Secrets", err,
				"give the credentials list permission on secrets in all namespaces")
			break
		}
		for i := range page.Items {
			item := &page.Items[i]
			one := &corev1.SecretList{Items: []corev1.Secret{*item}}
			d := driver.NewSecrets(pageSecrets{page: one})
			n += s.decodeRecords(ctx, sink, "Secret", item.Namespace, item.Name, queryFunc(d.Query), &d.Log)
		}
		if page.Continue == "" {
			break
		}
		opts.Continue = page.Continue
	}
	opts.Continue = ""
	for {
		page, err := kube.CoreV1().ConfigMaps(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			incomplete(sink, preflight.ObjectRef{APIVersion: "v1", Kind: "ConfigMap"}, "cannot list Helm release ConfigMaps", err,
				"give the credentials list permission on configmaps in all namespaces")
			break
		}
		for i := range page.Items {
			item := &page.Items[i]
			one := &corev1.ConfigMapList{Items: []corev1.ConfigMap{*item}}
			d := driver.NewConfigMaps(pageConfigMaps{page: one})
			n += s.decodeRecords(ctx, sink, "ConfigMap", item.Namespace, item.Name, queryFunc(d.Query), &d.Log)
		}
		if page.Continue == "" {
			break
		}
		opts.Continue = page.Continue
	}
	return n, nil
}

type queryFunc func(labels map[string]string) ([]*release.Release, error)

// decodeRecords decodes one record with Helm's driver (Helm's own codec:
// base64, gzip, JSON) and feeds its manifest. A record that does not
// decode is reported, not skipped.
func (s *Scanner) decodeRecords(ctx context.Context, sink Sink, kind, ns, name string, query queryFunc, log *func(string, ...any)) (n int) {
	ref := preflight.ObjectRef{APIVersion: "v1", Kind: kind, Namespace: ns, Name: name}
	var decodeErr string
	*log = func(format string, args ...any) { decodeErr = fmt.Sprintf(format, args...) }
	defer func() {
		if r := recover(); r != nil {
			incomplete(sink, ref, "cannot decode Helm release record", fmt.Errorf("%v", r), "check the record with 'helm list -A'")
		}
	}()
	rels, err := query(map[string]string{"owner": "helm", "status": "deployed"})
	if err == nil && len(rels) == 0 && decodeErr != "" {
		err = fmt.Errorf("%s", strings.TrimPrefix(decodeErr, "query: "))
	}
	if err != nil {
		incomplete(sink, ref, "cannot decode Helm release record", err, "check the record with 'helm list -A'; a corrupt record also breaks helm upgrade")
		return 0
	}
	for _, rel := range rels {
		if rel.Info != nil && rel.Info.Status != release.StatusDeployed {
			continue
		}
		src := preflight.Source{Kind: preflight.SourceHelm, Release: rel.Name, Namespace: rel.Namespace}
		err := manifest.ReadStream(ctx, strings.NewReader(rel.Manifest), "helm:"+rel.Name+"/"+rel.Namespace, manifest.Options{}, func(d manifest.Document) error {
			sink.ObserveDocument(d, src)
			return nil
		})
		if err != nil {
			return n
		}
		n++
	}
	return n
}

// pageSecrets serves one listed Secret to Helm's Secrets driver, so the
// record is decoded by Helm's own codec while upshift does the paging
// (Helm's driver would list every record at once). The driver's Query only
// calls List; the embedded interface is nil and never called.
type pageSecrets struct {
	corev1client.SecretInterface
	page *corev1.SecretList
}

func (p pageSecrets) List(context.Context, metav1.ListOptions) (*corev1.SecretList, error) {
	return p.page, nil
}

// pageConfigMaps is pageSecrets for the ConfigMaps driver.
type pageConfigMaps struct {
	corev1client.ConfigMapInterface
	page *corev1.ConfigMapList
}

func (p pageConfigMaps) List(context.Context, metav1.ListOptions) (*corev1.ConfigMapList, error) {
	return p.page, nil
}
