package observe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Event reasons on nodes. Surge, Drain and Upgrade are the reasons AKS emits
// during a node pool upgrade, so existing alerting on them keeps working.
const (
	ReasonSurge           = "Surge"
	ReasonDrain           = "Drain"
	ReasonUpgrade         = "Upgrade"
	ReasonEvictionBlocked = "EvictionBlocked"
	ReasonQuarantined     = "Quarantined"
	ReasonRollback        = "Rollback"
)

// Component is the source every upshift event carries.
const Component = "upshift"

// Recorder writes core/v1 Events. A repeated (object, reason, message) bumps
// the count of one Event instead of adding another, as the kubelet does, so
// a drain blocked for 30 minutes leaves one event with a count, not 360.
type Recorder struct {
	Client kubernetes.Interface
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu sync.Mutex
	// written remembers the events this recorder wrote, so a repeat is one
	// update instead of a get and an update. Bounded: cleared when full.
	written map[string]*corev1.Event
}

const maxRemembered = 2000

// Normal records an informational event.
func (r *Recorder) Normal(ctx context.Context, obj corev1.ObjectReference, reason, format string, args ...any) {
	r.record(ctx, obj, corev1.EventTypeNormal, reason, fmt.Sprintf(format, args...))
}

// Warning records a warning event.
func (r *Recorder) Warning(ctx context.Context, obj corev1.ObjectReference, reason, format string, args ...any) {
	r.record(ctx, obj, corev1.EventTypeWarning, reason, fmt.Sprintf(format, args...))
}

// NodeRef references a node for an event.
func NodeRef(name string) corev1.ObjectReference {
	return corev1.ObjectReference{Kind: "Node", Name: name, UID: "", APIVersion: "v1"}
}

// record is best effort: failing to write an event must never fail the
// operation it describes.
func (r *Recorder) record(ctx context.Context, obj corev1.ObjectReference, typ, reason, msg string) {
	if r == nil || r.Client == nil {
		return
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	ns := obj.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	sum := sha256.Sum256([]byte(obj.Kind + "/" + obj.Namespace + "/" + obj.Name + "/" + reason + "/" + msg))
	name := fmt.Sprintf("%s.%s", obj.Name, hex.EncodeToString(sum[:6]))
	ts := metav1.NewTime(now())
	events := r.Client.CoreV1().Events(ns)
	r.mu.Lock()
	cached := r.written[ns+"/"+name]
	r.mu.Unlock()
	if cached != nil {
		ev := cached.DeepCopy()
		ev.Count++
		ev.LastTimestamp = ts
		if updated, err := events.Update(ctx, ev, metav1.UpdateOptions{}); err == nil {
			r.remember(ns, name, updated)
			return
		}
		// Someone else changed or removed it: fall back to reading it.
	}
	created, err := events.Create(ctx, &corev1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: name, Namespace: ns},
		InvolvedObject:      obj,
		Reason:              reason,
		Message:             msg,
		Type:                typ,
		Count:               1,
		FirstTimestamp:      ts,
		LastTimestamp:       ts,
		Source:              corev1.EventSource{Component: Component},
		ReportingController: "upshift.dev/" + Component,
		ReportingInstance:   Component,
	}, metav1.CreateOptions{})
	switch {
	case err == nil:
		r.remember(ns, name, created)
	case apierrors.IsAlreadyExists(err):
		// Written by an earlier process: count on from what is there.
		if ev, err := events.Get(ctx, name, metav1.GetOptions{}); err == nil {
			ev.Count++
			ev.LastTimestamp = ts
			if updated, err := events.Update(ctx, ev, metav1.UpdateOptions{}); err == nil {
				r.remember(ns, name, updated)
			}
		}
	}
}

func (r *Recorder) remember(ns, name string, ev *corev1.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.written == nil || len(r.written) >= maxRemembered {
		r.written = map[string]*corev1.Event{}
	}
	r.written[ns+"/"+name] = ev
}
