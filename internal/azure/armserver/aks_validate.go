package armserver

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"upshift.dev/upshift/internal/version"
)

// maxPoolNodes is a VMSS's instance limit: pool plus surge may not pass it.
const maxPoolNodes = 1000

func (s *Server) offered(v string) bool { return slices.Contains(s.opts.Versions, v) }

// sortedVersions returns the offered versions that keep says, oldest
// first.
func (s *Server) sortedVersions(keep func(version.Version) bool) []string {
	var out []version.Version
	for _, v := range s.opts.Versions {
		pv, err := version.Parse(v)
		if err == nil && keep(pv) {
			out = append(out, pv)
		}
	}
	slices.SortFunc(out, func(a, b version.Version) int { return a.Compare(b) })
	strs := make([]string, len(out))
	for i, v := range out {
		strs[i] = v.String()
	}
	return strs
}

// controlPlaneUpgrades are what AKS offers a control plane: newer patches
// of its minor and the patches of the next minor.
func (s *Server) controlPlaneUpgrades(current string) []string {
	cur, err := version.Parse(current)
	if err != nil {
		return nil
	}
	return s.sortedVersions(func(v version.Version) bool {
		return cur.Less(v) && v.MinorsAfter(cur) <= 1
	})
}

// poolUpgrades are the versions a pool may move to: newer than its own and
// not newer than the control plane.
func (s *Server) poolUpgrades(current, controlPlane string) []string {
	cur, err1 := version.Parse(current)
	cp, err2 := version.Parse(controlPlane)
	if err1 != nil || err2 != nil {
		return nil
	}
	return s.sortedVersions(func(v version.Version) bool {
		return cur.Less(v) && !cp.Less(v)
	})
}

func (s *Server) checkControlPlaneTarget(current, target string) string {
	if target == current {
		return ""
	}
	cur, err1 := version.Parse(current)
	to, err2 := version.Parse(target)
	if err1 != nil || err2 != nil {
		return fmt.Sprintf("The value of parameter kubernetesVersion %q is invalid; use major.minor.patch, for example %q.", target, current)
	}
	if to.Less(cur) {
		return fmt.Sprintf("Downgrading the control plane from %s to %s is not allowed.", current, target)
	}
	ups := s.controlPlaneUpgrades(current)
	if !slices.Contains(ups, target) {
		return fmt.Sprintf("Upgrading Kubernetes version %s to %s is not allowed: minor versions cannot be skipped. Available upgrades: [%s].", current, target, strings.Join(ups, ", "))
	}
	return ""
}

// checkPoolVersion checks a pool moving from current ("" for a new pool)
// to target under a control plane at controlPlane.
func (s *Server) checkPoolVersion(name, current, target, controlPlane string) string {
	to, err := version.Parse(target)
	if err != nil {
		return fmt.Sprintf("agent pool %q: orchestratorVersion %q is invalid; use major.minor.patch.", name, target)
	}
	cp, err := version.Parse(controlPlane)
	if err != nil {
		return fmt.Sprintf("agent pool %q: the control plane version %q is invalid.", name, controlPlane)
	}
	if cp.Less(to) {
		return fmt.Sprintf("agent pool %q: orchestratorVersion %s is newer than the control plane's %s; upgrade the control plane first.", name, target, controlPlane)
	}
	if cp.MinorsAfter(to) > 3 {
		return fmt.Sprintf("agent pool %q: orchestratorVersion %s is more than three minor versions older than the control plane's %s.", name, target, controlPlane)
	}
	if current == "" || target == current {
		return ""
	}
	if cur, err := version.Parse(current); err == nil && to.Less(cur) {
		return fmt.Sprintf("agent pool %q: downgrading from %s to %s is not allowed.", name, current, target)
	}
	if !s.offered(target) {
		return fmt.Sprintf("agent pool %q: version %s is not supported in this region; use one of %s.", name, target, strings.Join(s.opts.Versions, ", "))
	}
	return ""
}

// checkPoolSpec validates mode, count and upgradeSettings.
func (s *Server) checkPoolSpec(p *pool, cl *cluster) string {
	if p.mode != "System" && p.mode != "User" {
		return fmt.Sprintf("mode %q is invalid; use System or User.", p.mode)
	}
	if p.count < 0 || p.count > maxPoolNodes {
		return fmt.Sprintf("count %d is invalid; use 0..%d.", p.count, maxPoolNodes)
	}
	if p.mode == "System" && p.count < 1 {
		return "count must be at least 1 for a System pool."
	}
	return checkSettings(p.settings)
}

func checkSettings(u settingsJSON) string {
	surge, surgePct, ok := parseCountOrPercent(u.MaxSurge)
	if !ok {
		return fmt.Sprintf("upgradeSettings.maxSurge %q is invalid; use a node count such as \"1\" or a percentage such as \"33%%\".", u.MaxSurge)
	}
	unavail, _, ok := parseCountOrPercent(u.MaxUnavailable)
	if !ok {
		return fmt.Sprintf("upgradeSettings.maxUnavailable %q is invalid; use a node count such as \"1\" or a percentage such as \"10%%\".", u.MaxUnavailable)
	}
	if surgePct && surge > 100 {
		return fmt.Sprintf("upgradeSettings.maxSurge %q is invalid; a percentage must be at most 100%%.", u.MaxSurge)
	}
	if u.MaxSurge != "" && surge == 0 && unavail == 0 {
		return "upgradeSettings.maxSurge is 0 and maxUnavailable is 0: nothing could be upgraded; set maxSurge above 0, or maxUnavailable above 0 for an in-place upgrade."
	}
	if d := u.DrainTimeoutInMinutes; d != nil && (*d < 1 || *d > 1440) {
		return fmt.Sprintf("upgradeSettings.drainTimeoutInMinutes %d is invalid; use 1..1440.", *d)
	}
	if d := u.NodeSoakDurationInMinutes; d != nil && (*d < 0 || *d > 30) {
		return fmt.Sprintf("upgradeSettings.nodeSoakDurationInMinutes %d is invalid; use 0..30.", *d)
	}
	if b := u.UndrainableNodeBehavior; b != "" && b != "Cordon" && b != "Schedule" {
		return fmt.Sprintf("upgradeSettings.undrainableNodeBehavior %q is invalid; use Cordon or Schedule.", b)
	}
	return ""
}

// checkSurgeCapacity refuses an upgrade whose surge nodes would take the
// scale set past its instance limit.
func checkSurgeCapacity(p *pool) string {
	surge := surgeNodes(p.settings.MaxSurge, p.count)
	if p.count+surge > maxPoolNodes {
		return fmt.Sprintf("count %d plus %d surge nodes (maxSurge %q) exceeds the %d-node limit of a scale set; lower maxSurge.", p.count, surge, or(p.settings.MaxSurge, "10%"), maxPoolNodes)
	}
	return ""
}

// surgeNodes resolves maxSurge against count; percentages round up and an
// empty value is AKS's default of 10%.
func surgeNodes(maxSurge string, count int) int {
	n, pct, ok := parseCountOrPercent(or(maxSurge, "10%"))
	if !ok {
		return 0
	}
	if pct {
		return (count*n + 99) / 100
	}
	return n
}

// parseCountOrPercent parses "3" or "33%"; "" is (0, false, true).
func parseCountOrPercent(v string) (n int, pct, ok bool) {
	if v == "" {
		return 0, false, true
	}
	num, pct := strings.CutSuffix(v, "%")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, false, false
	}
	return n, pct, true
}
