package version

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Version is a Kubernetes release version, major.minor.patch. Pre-release and
// build suffixes ("-rc.1", "+aks") are ignored: AKS and upstream only offer GA
// versions for upgrades.
type Version struct {
	Major, Minor, Patch int
}

// Parse reads "1.37.2", "v1.37.2", "1.37" (patch 0) or a full gitVersion such
// as "v1.37.2+k3s1" or "v1.37.2-dirty".
func Parse(s string) (Version, error) {
	raw := s
	s = Trim(s)
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("invalid Kubernetes version %q: want MAJOR.MINOR.PATCH, for example 1.37.2", raw)
	}
	var nums [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || len(p) > 6 {
			return Version{}, fmt.Errorf("invalid Kubernetes version %q: %q is not a number; want MAJOR.MINOR.PATCH, for example 1.37.2", raw, p)
		}
		nums[i] = n
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2]}, nil
}

// MustParse is Parse for constants known to be valid; it panics otherwise.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// Trim removes surrounding space and a leading "v".
func Trim(s string) string {
	return strings.TrimPrefix(strings.TrimSpace(s), "v")
}

// String renders "1.37.2".
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// MinorString renders "1.37".
func (v Version) MinorString() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Compare returns -1, 0 or 1.
func (v Version) Compare(o Version) int {
	for _, d := range [3]int{v.Major - o.Major, v.Minor - o.Minor, v.Patch - o.Patch} {
		if d < 0 {
			return -1
		}
		if d > 0 {
			return 1
		}
	}
	return 0
}

// Less reports v < o.
func (v Version) Less(o Version) bool { return v.Compare(o) < 0 }

// MinorsAfter returns how many minor releases v is ahead of o (negative when
// behind). Only meaningful within one major version, which is all Kubernetes
// has ever had.
func (v Version) MinorsAfter(o Version) int { return (v.Major-o.Major)*1000 + v.Minor - o.Minor }

// SameMinor reports whether v and o share major and minor.
func (v Version) SameMinor(o Version) bool { return v.Major == o.Major && v.Minor == o.Minor }

// Errors returned by the upgrade rules. They are wrapped with the versions
// involved; test with errors.Is.
var (
	ErrDowngrade = errors.New("downgrade")
	ErrSkipMinor = errors.New("skips a minor version")
	ErrSkew      = errors.New("version skew")
)

// MaxKubeletSkew is how many minors a kubelet may trail kube-apiserver
// (Kubernetes version skew policy since 1.28).
const MaxKubeletSkew = 3

// CheckControlPlaneUpgrade applies the control-plane rules: no downgrade, and
// no skipped minor unless allowSkip (AKS allows LTS to LTS only; a caller that
// knows it is on LTS passes allowSkip). Same version is not an error: the
// caller decides whether that is a no-op.
func CheckControlPlaneUpgrade(from, to Version, allowSkip bool) error {
	if to.Less(from) {
		return fmt.Errorf("%w: the control plane is at %s and cannot move back to %s; Kubernetes does not support downgrades (restore from backup, or use a blue-green cluster swap to go back)", ErrDowngrade, from, to)
	}
	if d := to.MinorsAfter(from); d > 1 && !allowSkip {
		return fmt.Errorf("%w: %s -> %s %s; upgrade one minor at a time (%s first)", ErrSkipMinor, from, to, skipped(from, to), Version{from.Major, from.Minor + 1, 0}.MinorString())
	}
	return nil
}

func skipped(from, to Version) string {
	var ms []string
	for m := from.Minor + 1; m < to.Minor; m++ {
		ms = append(ms, fmt.Sprintf("%d.%d", from.Major, m))
	}
	return "skips " + strings.Join(ms, ", ")
}

// CheckNodeSkew applies the kubelet skew policy: a node may not be newer than
// the control plane, nor more than MaxKubeletSkew minors older.
func CheckNodeSkew(controlPlane, node Version) error {
	if controlPlane.Less(node) {
		return fmt.Errorf("%w: node version %s is newer than the control plane %s; upgrade the control plane first", ErrSkew, node, controlPlane)
	}
	if d := controlPlane.MinorsAfter(node); d > MaxKubeletSkew {
		return fmt.Errorf("%w: node version %s is %d minors behind the control plane %s (at most %d allowed); upgrade the node pool first", ErrSkew, node, d, controlPlane, MaxKubeletSkew)
	}
	return nil
}
