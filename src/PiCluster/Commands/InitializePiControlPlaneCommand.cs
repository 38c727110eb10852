using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.ControlPlane;
using PiCluster.Engine;

namespace PiCluster.Commands;

/// <summary>
/// Initialize-PiControlPlane: kubeadm init on the cluster's leader from a kubeadm configuration generated from the
/// cluster file, after checking every node's networks against the pod and service subnets.
/// </summary>
[Cmdlet(VerbsData.Initialize, "PiControlPlane", SupportsShouldProcess = true, DefaultParameterSetName = NodeSet)]
[OutputType(typeof(StepResult))]
public sealed class InitializePiControlPlaneCommand : PiNodeCommandBase
{
    /// <summary>Minutes the image pull may take.</summary>
    [Parameter]
    [ValidateRange(1, 240)]
    public int ImagePullTimeout { get; set; } = 30;

    /// <summary>Minutes kubeadm init may take.</summary>
    [Parameter]
    [ValidateRange(1, 240)]
    public int InitTimeout { get; set; } = 30;

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) =>
        RunPhases(nodes, ControlPlanePhases.Init(TimeSpan.FromMinutes(ImagePullTimeout), TimeSpan.FromMinutes(InitTimeout)), host, cancellation);
}
