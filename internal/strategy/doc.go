// Package strategy runs the cluster-level upgrade strategies of the seed's
// scenarios 1 and 3 as CRDs on the hub: BlueGreenUpgrade (create a green
// cluster at the new version next to blue, deploy the app, check it, switch
// all traffic, bake under analysis, then promote or roll back) and
// CanaryIntake (create a canary cluster, then move traffic to it in steps,
// 20%, 50%, 100% by default, each baked under analysis).
//
// # Shape
//
// Both reconcilers follow the update-run controller of package fleet. A
// reconcile reads the object afresh through the API reader, computes the
// next state from its status alone (phase, timestamps, the analyses with
// every measurement), writes the status with optimistic concurrency, and
// only then acts: a pass whose write lost a race has done nothing. Every
// wait is measured from a timestamp in status against an injected clock.
//
// Long operations (preflight, creating the new cluster, deploying the
// manifests, each router call, deleting a cluster) run as jobs in the
// background (Workers) and report back by waking the object; the next
// reconcile writes their outcome into status. The jobs are the only
// in-memory state, so a controller killed at any moment and started again
// finds the phase in status and starts the phase's job again. Every job is
// idempotent: creating a cluster that exists completes or remakes it (a
// cluster is the strategy's own only once status.*.creationStartedAt was
// written), applying manifests is server-side apply, setting weights twice
// is harmless. One router call per object runs at a time, so an old call
// can never land after a newer decision (a rollback).
//
// # Traffic and honesty about DNS
//
// A Router's SetWeights returns the time clients may still follow the old
// weights (a DNS TTL; 0 for the local gateway). status.traffic.settledAt is
// the moment the router accepted the weights plus that delay, rounded up;
// no analysis judges the new side before it, and bakes count from it. A
// rollback is done when the router accepted it; its message says how long
// clients take to follow.
//
// # Analysis and rollback
//
// Analyses run on the engine of package analysis with Argo Rollouts'
// semantics, their statuses kept in the object's status. Failed or Error
// during a blue-green bake or a canary step sends all traffic back at once
// (RollingBack/RolledBack; Aborting/Aborted) and keeps the new cluster for
// inspection. Inconclusive waits for a person: spec.action Promote goes on,
// Rollback or Abort gives up. Actions are acted on once per spec generation
// (status.actionGeneration); the CLI sets them.
//
// # Preflight
//
// Before anything is created, the preflight engine checks the serving
// cluster and the manifests against the new version (removed APIs,
// PodDisruptionBudgets that block drains; see DefaultPreflight). Its errors
// stop the strategy unless spec.preflight.ignoreErrors is set.
//
// # What is not done
//
// New clusters are created in the local fleet only. Creating an AKS cluster
// needs a PUT of a managedCluster through ARM with blue's network, identity
// and add-ons cloned, its long-running operation and its credentials; the
// controller refuses provider aks with that explanation.
package strategy
