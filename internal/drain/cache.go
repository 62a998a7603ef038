package drain

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appsv1client "k8s.io/client-go/kubernetes/typed/apps/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Cache serves the reads of kubectl's drain helper (the pods of a node, the
// DaemonSet behind a pod) from informers. A node pool upgrade steps every
// draining node several times a second; without it each step lists the
// node's pods and reads each DaemonSet from the API server.
//
// It works by handing kubectl's helper a clientset in which exactly two
// calls, pod List and DaemonSet Get, are answered from the cache; every
// other call (and every write: evictions go through the Drainer's own
// client) reaches the API server. kubectl's pod selection stays kubectl's,
// with its semantics and messages.
type Cache struct {
	client kubernetes.Interface
	pods   cache.Indexer
	ds     cache.Indexer
	start  func(ctx context.Context) bool
}

const byNode = "spec.nodeName"

// NewCache prepares informers for pods and DaemonSets; Start runs them.
func NewCache(client kubernetes.Interface) *Cache {
	f := informers.NewSharedInformerFactory(client, 0)
	pi := f.Core().V1().Pods().Informer()
	_ = pi.AddIndexers(cache.Indexers{byNode: func(obj any) ([]string, error) {
		if p, ok := obj.(*corev1.Pod); ok && p.Spec.NodeName != "" {
			return []string{p.Spec.NodeName}, nil
		}
		return nil, nil
	}})
	di := f.Apps().V1().DaemonSets().Informer()
	return &Cache{
		client: client, pods: pi.GetIndexer(), ds: di.GetIndexer(),
		start: func(ctx context.Context) bool {
			f.Start(ctx.Done())
			for _, ok := range f.WaitForCacheSync(ctx.Done()) {
				if !ok {
					return false
				}
			}
			return true
		},
	}
}

// Start runs the informers until ctx ends and waits for their first sync.
func (c *Cache) Start(ctx context.Context) error {
	if !c.start(ctx) {
		return fmt.Errorf("the pod and DaemonSet caches did not sync: %w", ctx.Err())
	}
	return nil
}

// clientset is what kubectl's helper is given.
func (c *Cache) clientset() kubernetes.Interface { return cachedClientset{c.client, c} }

type cachedClientset struct {
	kubernetes.Interface
	c *Cache
}

func (s cachedClientset) CoreV1() corev1client.CoreV1Interface {
	return cachedCore{s.Interface.CoreV1(), s.c}
}

func (s cachedClientset) AppsV1() appsv1client.AppsV1Interface {
	return cachedApps{s.Interface.AppsV1(), s.c}
}

type cachedCore struct {
	corev1client.CoreV1Interface
	c *Cache
}

func (x cachedCore) Pods(ns string) corev1client.PodInterface {
	return cachedPods{x.CoreV1Interface.Pods(ns), ns, x.c}
}

type cachedPods struct {
	corev1client.PodInterface
	ns string
	c  *Cache
}

// List answers kubectl's "pods on this node" query: a spec.nodeName field
// selector and an optional label selector.
func (p cachedPods) List(ctx context.Context, opts metav1.ListOptions) (*corev1.PodList, error) {
	fs, err := fields.ParseSelector(opts.FieldSelector)
	if err != nil {
		return nil, err
	}
	node, ok := fs.RequiresExactMatch("spec.nodeName")
	if !ok {
		return p.PodInterface.List(ctx, opts) // not the drain query: ask the server
	}
	ls, err := labels.Parse(opts.LabelSelector)
	if err != nil {
		return nil, err
	}
	objs, err := p.c.pods.ByIndex(byNode, node)
	if err != nil {
		return nil, err
	}
	out := &corev1.PodList{}
	for _, o := range objs {
		pod := o.(*corev1.Pod)
		if (p.ns == "" || pod.Namespace == p.ns) && ls.Matches(labels.Set(pod.Labels)) {
			out.Items = append(out.Items, *pod.DeepCopy())
		}
	}
	return out, nil
}

type cachedApps struct {
	appsv1client.AppsV1Interface
	c *Cache
}

func (x cachedApps) DaemonSets(ns string) appsv1client.DaemonSetInterface {
	return cachedDaemonSets{x.AppsV1Interface.DaemonSets(ns), ns, x.c}
}

type cachedDaemonSets struct {
	appsv1client.DaemonSetInterface
	ns string
	c  *Cache
}

func (d cachedDaemonSets) Get(_ context.Context, name string, _ metav1.GetOptions) (*appsv1.DaemonSet, error) {
	obj, ok, err := d.c.ds.GetByKey(d.ns + "/" + name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apierrors.NewNotFound(appsv1.Resource("daemonsets"), name)
	}
	return obj.(*appsv1.DaemonSet).DeepCopy(), nil
}
