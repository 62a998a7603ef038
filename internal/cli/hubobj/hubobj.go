// Package hubobj reads and steers, for the CLI, the hub objects people act
// on while the controller carries them out: blue-green upgrades and canary
// intakes. Both commands share the read that says what to do when the
// object does not exist, the write of spec.action, and the -w loop.
package hubobj

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"upshift.dev/upshift/internal/cli/cmdutil"
	fleetcmd "upshift.dev/upshift/internal/cli/fleet"
)

// Kind describes one kind of object.
type Kind[T client.Object] struct {
	// Noun names it in messages: "blue-green upgrade".
	Noun string
	// Start is the command that creates one: "upshift bluegreen start".
	Start string
	// New returns an empty object.
	New func() T
	// Action returns the object's spec.action.
	Action func(T) *string
	// BundleLabel marks the ConfigMap of an object's manifests with the
	// object's name.
	BundleLabel string
}

// NotFoundError is an object that does not exist.
type NotFoundError struct{ Noun, Name, Namespace, Start string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s %q not found in namespace %s; start one with '%s %s ...'", e.Noun, e.Name, e.Namespace, e.Start, e.Name)
}

// Get reads the object; one that does not exist is a *NotFoundError.
func (k Kind[T]) Get(ctx context.Context, c client.Client, ns, name string) (T, error) {
	obj := k.New()
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		var zero T
		if apierrors.IsNotFound(err) {
			return zero, &NotFoundError{Noun: k.Noun, Name: name, Namespace: ns, Start: k.Start}
		}
		return zero, fleetcmd.HubError(err, fmt.Sprintf("read %s %q", k.Noun, name), ns)
	}
	return obj, nil
}

// SetAction writes spec.action with a patch that carries the
// resourceVersion, retried from a fresh read on conflict; check refuses an
// action the object's phase cannot take. The controller acts on an action
// once per generation, so asking again for the action already there first
// clears it: the second write then is a new generation.
func (k Kind[T]) SetAction(ctx context.Context, c client.Client, ns, name, action string, check func(T) error) (T, error) {
	var obj T
	write := func(value string) error {
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			var err error
			if obj, err = k.Get(ctx, c, ns, name); err != nil {
				return err
			}
			if err := check(obj); err != nil {
				return err
			}
			orig := obj.DeepCopyObject().(client.Object)
			*k.Action(obj) = value
			if err := c.Patch(ctx, obj, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
				if apierrors.IsConflict(err) {
					return err
				}
				return fleetcmd.HubError(err, fmt.Sprintf("set the action of %s %q", k.Noun, name), ns)
			}
			return nil
		})
	}
	cur, err := k.Get(ctx, c, ns, name)
	if err != nil {
		var zero T
		return zero, err
	}
	if *k.Action(cur) == action {
		if err := write(""); err != nil {
			var zero T
			return zero, err
		}
	}
	return obj, write(action)
}

// Bundle is the ConfigMap configMap that carries the manifests of the
// object owner (data: file name to content), labelled with the Kind's
// BundleLabel.
func (k Kind[T]) Bundle(ns, owner, configMap string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, Data: data,
		ObjectMeta: metav1.ObjectMeta{Name: configMap, Namespace: ns, Labels: map[string]string{k.BundleLabel: owner}}}
}

// PrintDryRun prints what Create would create, as YAML.
func PrintDryRun(io *cmdutil.IOStreams, cm *corev1.ConfigMap, obj client.Object) error {
	if err := cmdutil.PrintStructured(io.Out, cmdutil.OutputYAML, cm); err != nil {
		return err
	}
	fmt.Fprintln(io.Out, "---")
	return cmdutil.PrintStructured(io.Out, cmdutil.OutputYAML, obj)
}

// Create creates obj and the ConfigMap of manifests it names, the
// ConfigMap first and owned by obj afterwards, so it goes when obj is
// deleted; obj failing takes the ConfigMap back. status is the command
// that shows obj.
func (k Kind[T]) Create(ctx context.Context, c client.Client, io *cmdutil.IOStreams, cm *corev1.ConfigMap, obj T, status string) error {
	ns, name := obj.GetNamespace(), obj.GetName()
	watch := fmt.Sprintf("'%s %s%s'", status, name, fleetcmd.NamespaceArg(ns))
	if err := c.Create(ctx, cm); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("ConfigMap %s already exists in %s: a %s named %s was started before; watch it with %s, or delete the ConfigMap to start afresh",
				cm.Name, ns, k.Noun, name, watch)
		}
		return fleetcmd.HubError(err, "create ConfigMap "+cm.Name, ns)
	}
	if err := c.Create(ctx, obj); err != nil {
		_ = c.Delete(ctx, cm)
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s %q already exists; watch it with %s", k.Noun, name, watch)
		}
		return fleetcmd.HubError(err, fmt.Sprintf("create %s %q", k.Noun, name), ns)
	}
	orig := cm.DeepCopy()
	if err := controllerutil.SetOwnerReference(obj, cm, c.Scheme()); err == nil {
		if err := c.Patch(ctx, cm, client.MergeFrom(orig)); err != nil {
			fmt.Fprintf(io.ErrOut, "warning: ConfigMap %s is not owned by the %s (%v); delete it yourself with the %s\n", cm.Name, k.Noun, err, k.Noun)
		}
	}
	return nil
}

// Act asks the controller for action through spec.action, refused by
// allowed when the object's phase cannot take it, and says what was asked
// (what describes it for the object) and how to follow it.
func (k Kind[T]) Act(ctx context.Context, c client.Client, io *cmdutil.IOStreams, ns, name, action string, allowed func(T, string) error, what func(T) string, status string) error {
	obj, err := k.SetAction(ctx, c, ns, name, action, func(o T) error { return allowed(o, action) })
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "Asked %s %q to %s; follow it with '%s %s -w%s'\n", k.Noun, name, what(obj), status, name, fleetcmd.NamespaceArg(ns))
	return nil
}

// View is how Watch shows one object.
type View[T client.Object] struct {
	IO  *cmdutil.IOStreams
	Now func() time.Time
	// Structured prints the whole object at every change (-o json|yaml)
	// with Show; otherwise a timestamped Line at every change, and Render
	// once at rest.
	Structured bool
	Show       func(T) error
	Line       func(T) string
	Render     func(T)
	// AtRest ends the watch, with Exit's error.
	AtRest func(T) bool
	Exit   func(T) error
	// Interval between reads; a second when zero.
	Interval time.Duration
}

// Show prints the object once, as View does at rest, and returns Exit's
// error.
func (k Kind[T]) Show(ctx context.Context, c client.Client, ns, name string, v View[T]) error {
	obj, err := k.Get(ctx, c, ns, name)
	if err != nil {
		return err
	}
	if v.Structured {
		if err := v.Show(obj); err != nil {
			return err
		}
	} else {
		v.Render(obj)
	}
	return v.Exit(obj)
}

// Watch polls the object and prints what changed until it comes to rest.
// It polls rather than watches: it survives API server restarts and
// proxies that cut long requests; read errors are retried and said, once
// and then every thirtieth time.
func (k Kind[T]) Watch(ctx context.Context, c client.Client, ns, name string, v View[T]) error {
	interval := v.Interval
	if interval == 0 {
		interval = time.Second
	}
	last, failures := "", 0
	for {
		obj, err := k.Get(ctx, c, ns, name)
		switch {
		case err == nil:
			failures = 0
			if v.Structured {
				if rv := obj.GetResourceVersion(); rv != last {
					last = rv
					if err := v.Show(obj); err != nil {
						return err
					}
				}
			} else if line := v.Line(obj); line != last {
				last = line
				fmt.Fprintf(v.IO.Out, "%s %s\n", v.Now().UTC().Format(time.RFC3339), line)
			}
			if v.AtRest(obj) {
				if !v.Structured {
					fmt.Fprintln(v.IO.Out)
					v.Render(obj)
				}
				return v.Exit(obj)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, new(*NotFoundError)):
			return err
		default:
			failures++
			if failures == 1 || failures%30 == 0 {
				fmt.Fprintf(v.IO.ErrOut, "warning: %v (retrying)\n", err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
