using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Commands;

/// <summary>
/// Restart-PiNode: reboots the nodes in parallel, waits until each answers SSH with a new boot id (bounded by -Timeout),
/// then verifies that what PiCluster configured survived the boot.
/// </summary>
[Cmdlet(VerbsLifecycle.Restart, "PiNode", DefaultParameterSetName = NodeSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(StepResult))]
public sealed class RestartPiNodeCommand : PiNodeCommandBase
{
    /// <summary>Seconds a node may take to come back.</summary>
    [Parameter]
    [ValidateRange(10, 3600)]
    public int Timeout { get; set; } = 300;

    /// <summary>Reboot only the nodes whose state needs it (boot flags not yet active, /var/run/reboot-required).</summary>
    [Parameter]
    public SwitchParameter IfNeeded { get; set; }

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) =>
        RunSteps(nodes, new NodeStep[] { new RestartStep(TimeSpan.FromSeconds(Timeout), IfNeeded) }, host, cancellation);
}
