package fleet

import (
	"context"

	"upshift.dev/upshift/api/v1alpha1"
)

// MemberUpgrade is what one member of a run gets.
type MemberUpgrade struct {
	Member *v1alpha1.Member
	// Type is Full, ControlPlaneOnly or NodeImageOnly.
	Type              string
	KubernetesVersion string
	// NodeImages pins images by pool (Consistent selection); empty means
	// each pool's latest.
	NodeImages map[string]string
}

// Progress is a member upgrade's report: the step it is in and what it
// is doing or waiting for.
type Progress struct {
	Step    string
	Message string
}

// MemberUpgrader upgrades one member. Both methods may be called again for
// the same member after a restart; Upgrade must then continue, never
// repeat, work already done.
type MemberUpgrader interface {
	// AtTarget reports whether the member already has what the upgrade
	// would give it (such members are Skipped).
	AtTarget(ctx context.Context, u MemberUpgrade) (bool, error)
	// Upgrade runs the member's upgrade to its end. progress may be called
	// from any goroutine.
	Upgrade(ctx context.Context, u MemberUpgrade, progress func(Progress)) error
}
