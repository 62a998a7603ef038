// Package traffic moves user traffic between clusters. A Router reads and
// sets the share of requests each backend (one per cluster) receives; the
// blue-green and canary strategies drive it step by step.
//
// Routers differ in how fast a change reaches clients, and they say so:
// SetWeights returns the propagation delay, the time during which clients may
// still follow the old weights (a DNS TTL for Azure Traffic Manager and Azure
// DNS, zero for the local L7 gateway). Strategies wait at least that long
// before they judge the new side, so analysis never credits or blames a
// cluster for traffic it did not get yet.
//
// Implementations: the local gateway (package traffic/local), Azure Traffic
// Manager weighted endpoints and an Azure DNS CNAME swap (package
// traffic/azure).
package traffic
