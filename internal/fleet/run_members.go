package fleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"upshift.dev/upshift/api/v1alpha1"
	"upshift.dev/upshift/internal/window"
)

// unreachableRetry is how soon a member whose cluster did not answer is
// looked at again.
const unreachableRetry = 30 * time.Second

// members starts the stage's members as far as concurrency and maintenance
// windows allow and reports done once every member is finished.
func (r *RunReconciler) members(ctx context.Context, run *v1alpha1.UpdateRun, i int, now time.Time, fx *effects) (time.Duration, error) {
	stage := &run.Status.Stages[i]
	spec := run.Status.Strategy.Stages[i]
	total := 0
	for _, g := range stage.Groups {
		total += len(g.Members)
	}
	stageLimit := concurrencyOf(spec.MaxConcurrency, total, 0)
	inStage := 0
	for _, g := range stage.Groups {
		inStage += countIn(g, v1alpha1.StateRunning)
	}

	wait, waiting := time.Duration(0), []string{}
	for j := range stage.Groups {
		g := &stage.Groups[j]
		limit := concurrencyOf(spec.Groups[j].MaxConcurrency, len(g.Members), 1)
		if g.State == v1alpha1.StateNotStarted {
			g.State, g.StartTime = v1alpha1.StateRunning, mtime(now)
		}
		inGroup := countIn(*g, v1alpha1.StateRunning)
		// Members start in order as slots free up. The candidates for the
		// free slots are checked together (their Member read and whether
		// they are at the target, which asks each cluster), then started
		// in order; those that cannot start leave their slot to the next.
		next := 0
		for {
			free := limit - inGroup
			if stageLimit > 0 {
				free = min(free, stageLimit-inStage)
			}
			var batch []*v1alpha1.MemberRunStatus
			for ; free > 0 && next < len(g.Members) && len(batch) < free; next++ {
				if m := &g.Members[next]; m.State == v1alpha1.StateNotStarted || m.State == v1alpha1.StatePending {
					batch = append(batch, m)
				}
			}
			if len(batch) == 0 {
				break
			}
			checks := r.checkStarts(ctx, run, batch, now)
			for b, m := range batch {
				started, retry, why := r.tryStart(run, m, checks[b], now, fx)
				if started {
					inGroup++
					inStage++
					continue
				}
				if why != "" {
					waiting = append(waiting, m.Name+": "+why)
				}
				if retry > 0 && (wait == 0 || retry < wait) {
					wait = retry
				}
			}
		}
		if allTerminal(*g) && !terminal(g.State) {
			g.State, g.CompletedTime = v1alpha1.StateCompleted, mtime(now)
			if countIn(*g, v1alpha1.StateFailed) > 0 {
				g.State = v1alpha1.StateFailed
			}
		}
	}
	for _, g := range stage.Groups {
		if !terminal(g.State) {
			running := inStage
			switch {
			case len(waiting) > 0:
				stage.Message = "waiting: " + strings.Join(waiting, "; ")
			case running > 0:
				stage.Message = "upgrading " + strings.Join(doing(stage), "; ")
			}
			run.Status.Message = stage.Message
			if running > 0 && (wait == 0 || pollInterval < wait) {
				wait = pollInterval
			}
			return wait, nil
		}
	}
	stage.Message = ""
	return done, nil
}

// startCheck is what deciding to start a member needs from outside the
// run: its Member, and whether its cluster is at the target already.
type startCheck struct {
	member   *v1alpha1.Member
	getErr   error
	atTarget bool
	atErr    error
}

// startChecksInFlight bounds the reads of checkStarts, so a wave of a
// thousand members does not open a thousand connections at once.
const startChecksInFlight = 16

// checkStarts reads what tryStart decides from, for every member of the
// batch at once. It changes nothing.
func (r *RunReconciler) checkStarts(ctx context.Context, run *v1alpha1.UpdateRun, batch []*v1alpha1.MemberRunStatus, now time.Time) []startCheck {
	out := make([]startCheck, len(batch))
	sem := make(chan struct{}, startChecksInFlight)
	var wg sync.WaitGroup
	for i, m := range batch {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c := &out[i]
			member := &v1alpha1.Member{}
			if c.getErr = r.reader().Get(ctx, client.ObjectKey{Namespace: run.Namespace, Name: m.Name}, member); c.getErr != nil {
				return
			}
			c.member = member
			// Only a member whose window is open asks its cluster.
			if member.Spec.MaintenanceWindow.CanStart(now) {
				c.atTarget, c.atErr = r.Upgrader.AtTarget(ctx, r.memberUpgrade(run, member))
			}
		}()
	}
	wg.Wait()
	return out
}

// tryStart starts a member if its window is open and it needs upgrading,
// from what checkStarts read. It reports whether the member started, and
// otherwise when to look again and why it waits.
func (r *RunReconciler) tryStart(run *v1alpha1.UpdateRun, m *v1alpha1.MemberRunStatus, c startCheck, now time.Time, fx *effects) (bool, time.Duration, string) {
	if err := c.getErr; err != nil {
		if apierrors.IsNotFound(err) {
			m.State, m.CompletedTime, m.Error = v1alpha1.StateFailed, mtime(now), "the Member no longer exists"
			return false, 0, ""
		}
		return false, unreachableRetry, err.Error()
	}
	member := c.member
	// A window gates only the start of an upgrade (AKS semantics); one
	// that started inside its window runs to completion.
	if !member.Spec.MaintenanceWindow.CanStart(now) {
		next, err := member.Spec.MaintenanceWindow.Next(now)
		m.State = v1alpha1.StatePending
		if err != nil {
			var nw *window.NoWindowError
			if errors.As(err, &nw) {
				m.Message = "maintenance window closed and none opens within ten years: " + nw.Error()
				return false, 0, m.Message
			}
			return false, unreachableRetry, err.Error()
		}
		m.Message = "maintenance window closed; next opens " + next.Start.UTC().Format(time.RFC3339)
		return false, next.Start.Sub(now), m.Message
	}
	switch {
	case c.atErr != nil && m.Attempt == 0:
		m.State, m.Message = v1alpha1.StatePending, "cannot read the cluster: "+c.atErr.Error()
		return false, unreachableRetry, m.Message
	case c.atErr != nil:
		// A retried member may not answer because its last attempt failed
		// half-way (a control plane stopped for its upgrade); the upgrade
		// itself knows how to resume that, so it starts anyway.
	case c.atTarget:
		m.State, m.CompletedTime, m.Message = v1alpha1.StateSkipped, mtime(now), "already at the target"
		return false, 0, ""
	}
	m.State, m.StartTime, m.Message, m.Error = v1alpha1.StateRunning, mtime(now), "starting", ""
	m.Attempt++
	m.FromVersion = member.Status.KubernetesVersion
	fx.start = append(fx.start, m)
	r.event(run, false, "MemberStarted", "Member %s started upgrading (attempt %d)", m.Name, m.Attempt)
	return true, 0, ""
}

func (r *RunReconciler) memberUpgrade(run *v1alpha1.UpdateRun, member *v1alpha1.Member) MemberUpgrade {
	typ := run.Spec.Upgrade.Type
	if typ == "" {
		typ = v1alpha1.UpgradeFull
	}
	return MemberUpgrade{Member: member, Type: typ, KubernetesVersion: run.Spec.Upgrade.KubernetesVersion, NodeImages: run.Status.NodeImages}
}

// startWorker runs the member's upgrade in the background. The worker reads
// the Member afresh, so a restarted controller needs nothing but the
// status.
func (r *RunReconciler) startWorker(run *v1alpha1.UpdateRun, m *v1alpha1.MemberRunStatus) {
	ns, name, member := run.Namespace, run.Name, m.Name
	// What the upgrade needs of the run, copied: the whole run is large
	// (its status holds every member) and a wave starts hundreds.
	spec := &v1alpha1.UpdateRun{
		Spec:   v1alpha1.UpdateRunSpec{Upgrade: *run.Spec.Upgrade.DeepCopy()},
		Status: v1alpha1.UpdateRunStatus{NodeImages: maps.Clone(run.Status.NodeImages)},
	}
	r.workers.Start(ns, name, member, m.Attempt, func(ctx context.Context, progress func(Progress)) error {
		obj := &v1alpha1.Member{}
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: member}, obj); err != nil {
			return fmt.Errorf("cannot read Member %s: %w", member, err)
		}
		return r.Upgrader.Upgrade(ctx, r.memberUpgrade(spec, obj), progress)
	})
}

func countIn(g v1alpha1.GroupStatus, state string) int {
	n := 0
	for _, m := range g.Members {
		if m.State == state {
			n++
		}
	}
	return n
}

func allTerminal(g v1alpha1.GroupStatus) bool {
	for _, m := range g.Members {
		if !terminal(m.State) {
			return false
		}
	}
	return true
}

// concurrencyOf resolves a maxConcurrency ("3" or "25%" of n, rounded up,
// at least 1); empty gives def (0 meaning no bound).
func concurrencyOf(s string, n, def int) int {
	c, err := parseConcurrency(s)
	if err != nil || c == nil {
		return def
	}
	if c.percent {
		return max(1, int(math.Ceil(float64(n)*float64(c.n)/100)))
	}
	return c.n
}

type concurrency struct {
	n       int
	percent bool
}

func parseConcurrency(s string) (*concurrency, error) {
	if s == "" {
		return nil, nil
	}
	pct := strings.HasSuffix(s, "%")
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil || n < 1 || (pct && n > 100) {
		return nil, fmt.Errorf("%q: use a count of at least 1 (\"3\") or a percentage from 1%% to 100%% (\"25%%\")", s)
	}
	return &concurrency{n: n, percent: pct}, nil
}

// doing says what each upgrading member of the stage is at.
func doing(stage *v1alpha1.StageStatus) []string {
	var out []string
	for _, g := range stage.Groups {
		for _, m := range g.Members {
			if m.State != v1alpha1.StateRunning {
				continue
			}
			s := m.Name
			if m.Step != "" {
				s += " (" + m.Step + ")"
			}
			if m.Message != "" {
				s += ": " + m.Message
			}
			out = append(out, s)
		}
	}
	return out
}
