package aks

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"upshift.dev/upshift/internal/provider"
)

// settingsToARM maps upgradeSettings to API 2025-02-01, refusing what that
// API cannot carry rather than dropping it.
func settingsToARM(u provider.UpgradeSettings) (*armcontainerservice.AgentPoolUpgradeSettings, error) {
	unsupported := func(field, value, fix string) error {
		return fmt.Errorf("upgradeSettings.%s %q is not in AKS API 2025-02-01, which upshift's AKS provider speaks (armcontainerservice v6.6.0); %s", field, value, fix)
	}
	if u.MaxUnavailable != "" && u.MaxUnavailable != "0" {
		return nil, unsupported("maxUnavailable", u.MaxUnavailable, "leave it empty to upgrade by surge (maxSurge)")
	}
	if u.UndrainableNodeBehavior != "" && u.UndrainableNodeBehavior != "Schedule" {
		return nil, unsupported("undrainableNodeBehavior", u.UndrainableNodeBehavior, "leave it empty for AKS's default, Schedule")
	}
	if u.MaxBlockedNodes != "" {
		return nil, unsupported("maxBlockedNodes", u.MaxBlockedNodes, "leave it empty")
	}
	if u.MaxSurge != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(u.MaxSurge, "%"))
		if err != nil || n < 0 || (strings.HasSuffix(u.MaxSurge, "%") && n > 100) {
			return nil, fmt.Errorf("upgradeSettings.maxSurge %q is invalid; use a node count such as \"1\" or a percentage such as \"33%%\"", u.MaxSurge)
		}
	}
	if d := u.DrainTimeoutInMinutes; d < 0 || d > 1440 {
		return nil, fmt.Errorf("upgradeSettings.drainTimeoutInMinutes %d is invalid; use 1..1440, or 0 for AKS's default of 30", d)
	}
	if d := u.NodeSoakDurationInMinutes; d < 0 || d > 30 {
		return nil, fmt.Errorf("upgradeSettings.nodeSoakDurationInMinutes %d is invalid; use 0..30", d)
	}
	out := &armcontainerservice.AgentPoolUpgradeSettings{}
	if u.MaxSurge != "" {
		out.MaxSurge = &u.MaxSurge
	}
	if u.DrainTimeoutInMinutes != 0 {
		out.DrainTimeoutInMinutes = int32Ptr(u.DrainTimeoutInMinutes)
	}
	if u.NodeSoakDurationInMinutes != 0 {
		out.NodeSoakDurationInMinutes = int32Ptr(u.NodeSoakDurationInMinutes)
	}
	return out, nil
}

// settingsFromARM reads what API 2025-02-01 returns.
func settingsFromARM(u *armcontainerservice.AgentPoolUpgradeSettings) provider.UpgradeSettings {
	if u == nil {
		return provider.UpgradeSettings{}
	}
	return provider.UpgradeSettings{
		MaxSurge:                  deref(u.MaxSurge),
		DrainTimeoutInMinutes:     int(deref(u.DrainTimeoutInMinutes)),
		NodeSoakDurationInMinutes: int(deref(u.NodeSoakDurationInMinutes)),
	}
}

func int32Ptr(v int) *int32 {
	x := int32(v)
	return &x
}
