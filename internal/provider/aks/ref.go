package aks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
)

// ClusterRef identifies an AKS managed cluster.
type ClusterRef struct {
	Subscription  string
	ResourceGroup string
	Name          string
}

// String returns the aks:// form, which ParseClusterRef reads back.
func (r ClusterRef) String() string {
	return "aks://" + r.Subscription + "/" + r.ResourceGroup + "/" + r.Name
}

// ID returns the ARM resource ID.
func (r ClusterRef) ID() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s", r.Subscription, r.ResourceGroup, r.Name)
}

// clusterName is AKS's rule for managed cluster names.
func validClusterName(s string) bool {
	return regexp.MustCompile(`^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$`).MatchString(s)
}

// ParseClusterRef reads a cluster name in any of the forms the package
// documents, completing short forms with subscription and resourceGroup.
func ParseClusterRef(s, subscription, resourceGroup string) (ClusterRef, error) {
	s = strings.TrimSpace(s)
	var ref ClusterRef
	switch {
	case strings.HasPrefix(strings.ToLower(s), "aks://"):
		parts := strings.Split(s[len("aks://"):], "/")
		if len(parts) != 3 {
			return ClusterRef{}, fmt.Errorf("cluster %q: an aks:// name has three parts, aks://<subscription>/<resourceGroup>/<cluster>", s)
		}
		ref = ClusterRef{Subscription: parts[0], ResourceGroup: parts[1], Name: parts[2]}
	case strings.HasPrefix(s, "/"):
		id, err := arm.ParseResourceID(s)
		if err != nil {
			return ClusterRef{}, fmt.Errorf("cluster %q is not an ARM resource ID: %w", s, err)
		}
		if !strings.EqualFold(id.ResourceType.String(), "Microsoft.ContainerService/managedClusters") {
			return ClusterRef{}, fmt.Errorf("cluster %q is a %s, not a Microsoft.ContainerService/managedClusters resource", s, id.ResourceType)
		}
		ref = ClusterRef{Subscription: id.SubscriptionID, ResourceGroup: id.ResourceGroupName, Name: id.Name}
	default:
		parts := strings.Split(s, "/")
		switch len(parts) {
		case 1:
			ref = ClusterRef{Subscription: subscription, ResourceGroup: resourceGroup, Name: parts[0]}
		case 2:
			ref = ClusterRef{Subscription: subscription, ResourceGroup: parts[0], Name: parts[1]}
		default:
			return ClusterRef{}, fmt.Errorf("cluster %q: use <cluster>, <resourceGroup>/<cluster> or aks://<subscription>/<resourceGroup>/<cluster>", s)
		}
	}
	switch {
	case ref.Subscription == "":
		return ClusterRef{}, fmt.Errorf("cluster %q: no subscription; name it aks://<subscription>/<resourceGroup>/<cluster> or set the subscription (--subscription, AZURE_SUBSCRIPTION_ID)", s)
	case ref.ResourceGroup == "":
		return ClusterRef{}, fmt.Errorf("cluster %q: no resource group; name it <resourceGroup>/<cluster> or set the resource group (--resource-group)", s)
	case len(ref.ResourceGroup) > 90:
		return ClusterRef{}, fmt.Errorf("cluster %q: resource group name is longer than 90 characters", s)
	case !validClusterName(ref.Name):
		return ClusterRef{}, fmt.Errorf("cluster %q: %q is not an AKS cluster name (1-63 letters, digits, '-' and '_', starting and ending with a letter or digit)", s, ref.Name)
	}
	return ref, nil
}
