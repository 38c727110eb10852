using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Commands;

/// <summary>Set-PiSwap: -Disabled turns swap off for good (kubelet needs that); -Enabled undoes what -Disabled did.</summary>
[Cmdlet(VerbsCommon.Set, "PiSwap", DefaultParameterSetName = NodeSet, SupportsShouldProcess = true)]
[OutputType(typeof(StepResult))]
public sealed class SetPiSwapCommand : PiNodeCommandBase
{
    /// <summary>Turn swap off now and at every boot.</summary>
    [Parameter]
    public SwitchParameter Disabled { get; set; }

    /// <summary>Turn swap back on, undoing -Disabled.</summary>
    [Parameter]
    public SwitchParameter Enabled { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        if (Disabled.IsPresent == Enabled.IsPresent)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give exactly one of -Disabled or -Enabled."),
                "SwapStateRequired", ErrorCategory.InvalidArgument, null));
        base.BeginProcessing();
    }

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) =>
        RunSteps(nodes, new NodeStep[] { new SwapStep(enabled: Enabled.IsPresent) }, host, cancellation);
}
