using System;
using System.Collections.Generic;
using System.Linq;
using PiCluster.Checks;
using PiCluster.Checks.Cluster;
using PiCluster.ControlPlane;
using PiCluster.Engine.Phases;
using PiCluster.Steps.Kubeconfig;
using PiCluster.Steps.Kubernetes;
using PiCluster.Steps.NodePrep;
using PiCluster.Steps.Runtime;
using PiCluster.Workers;

namespace PiCluster.Deploy;

/// <summary>
/// The phases of Deploy-PiCluster, in order, each the very phase or step its own cmdlet runs: one
/// <see cref="PhaseRunner"/> run over them gives every node one connection and one lock for the whole deploy, and reads
/// the facts of every phase in one round trip.
/// </summary>
/// <remarks>
/// Order: <see cref="Preflight"/> (every node; a blocking check drops the node before any change), node preparation
/// (Initialize-PiNode, with at most one reboot), runtime and packages (every node), then the leader's phases
/// (<see cref="ControlPlanePhases.Init"/>: routes of every node, the kubeadm configuration, image pull, init), the pod
/// network and the kubeconfig export, then the <see cref="Joins"/> and Test-PiCluster's <see cref="Checks"/>. Every phase plans
/// from the node's state, so a run stopped anywhere converges when run again, and a converged cluster is Unchanged
/// everywhere (image pull and init plan nothing once the cluster runs).
/// </remarks>
public static class DeployPlan
{
    /// <summary>Every phase of a deploy, in order.</summary>
    public static IReadOnlyList<ClusterPhase> Phases(DeployOptions options)
    {
        if (options is null) throw new ArgumentNullException(nameof(options));
        return Preflight()
            .Concat(Preparation(options))
            .Concat(ControlPlanePhases.Init(options.ImagePullTimeout, options.InitTimeout))
            .Concat(new ClusterPhase[] { new PodNetworkPhase(null, options.PodNetworkReadyTimeout, options.PodNetworkPollInterval) })
            .Concat(Kubeconfig(options))
            .Concat(Joins(options))
            .Concat(Checks(options))
            .ToList();
    }

    /// <summary>Test-PiNode's checks: each node's own, then those that compare nodes.</summary>
    public static IReadOnlyList<ClusterPhase> Preflight() => new ClusterPhase[] { new PreflightPhase(), new PreflightAcrossNodesPhase() };

    /// <summary>What every node gets, control planes and workers alike: Initialize-PiNode, Install-PiContainerRuntime, Install-PiKubernetes.</summary>
    public static IReadOnlyList<ClusterPhase> Preparation(DeployOptions options) => new ClusterPhase[]
    {
        new NodeStepPhase(InitializeNodeStep.Create(options.Preparation)),
        new NodeStepPhase(new ContainerRuntimeStep(options.Runtime)),
        new NodeStepPhase(new KubernetesPackagesStep(options.Packages)),
    };

    /// <summary>Export-PiKubeconfig from the leader to this machine; none when <see cref="DeployOptions.Kubeconfig"/> is null.</summary>
    public static IReadOnlyList<ClusterPhase> Kubeconfig(DeployOptions options) => options.Kubeconfig is { } kubeconfig
        ? new ClusterPhase[] { new NodeStepPhase(new KubeconfigStep(kubeconfig), PhaseTargets.Leader) }
        : Array.Empty<ClusterPhase>();

    /// <summary>Join-PiWorker's phases: the workers' kubelets, one bootstrap token on the leader, the joins.</summary>
    public static IReadOnlyList<ClusterPhase> Joins(DeployOptions options) => WorkerPhases.Join(options.Join);

    /// <summary>Test-PiCluster's checks, last: the API through the kubeconfig the deploy merged (else ~/.kube/config).</summary>
    public static IReadOnlyList<ClusterPhase> Checks(DeployOptions options) =>
        ClusterCheckPhases.Test(options.Kubeconfig?.Path ?? KubeconfigFile.DefaultPath, null, options.ApiProbe);

    /// <summary>
    /// A problem with the package source that stops the deploy before any connection (a bad URL, an http key without a
    /// fingerprint), as Install-PiKubernetes checks it; null when there is none.
    /// </summary>
    public static (string Field, string Message)? PackageSourceProblem(DeployOptions options, IEnumerable<Engine.PiNode> nodes)
    {
        var step = new KubernetesPackagesStep(options.Packages);
        return nodes.Select(step.CheckPackageSource).FirstOrDefault(p => p is not null);
    }
}
