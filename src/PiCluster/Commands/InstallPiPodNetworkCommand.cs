using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Engine.Phases;

namespace PiCluster.Commands;

/// <summary>
/// Install-PiPodNetwork: the CNI plugin's manifest, checked against its SHA-256 and patched to the pod subnet, applied
/// from the leader and verified by the plugin's DaemonSet pods.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "PiPodNetwork", SupportsShouldProcess = true, DefaultParameterSetName = NodeSet)]
[OutputType(typeof(StepResult))]
public sealed class InstallPiPodNetworkCommand : PiNodeCommandBase
{
    /// <summary>flannel, calico or canal; without it, network.plugin from the cluster file.</summary>
    [Parameter]
    [ValidateSet("flannel", "calico", "canal")]
    public string? Plugin { get; set; }

    /// <summary>Seconds to wait for the plugin's DaemonSet pods to run.</summary>
    [Parameter]
    [ValidateRange(10, 3600)]
    public int ReadyTimeout { get; set; } = 300;

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) =>
        RunPhases(nodes, new ClusterPhase[] { new PodNetworkPhase(Plugin, TimeSpan.FromSeconds(ReadyTimeout)) }, host, cancellation);
}
