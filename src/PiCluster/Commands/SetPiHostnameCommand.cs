using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Commands;

/// <summary>Set-PiHostname: names each node after its cluster entry and lists every node in /etc/hosts.</summary>
[Cmdlet(VerbsCommon.Set, "PiHostname", DefaultParameterSetName = NodeSet, SupportsShouldProcess = true)]
[OutputType(typeof(StepResult))]
public sealed class SetPiHostnameCommand : PiNodeCommandBase
{
    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) =>
        RunSteps(nodes, new NodeStep[] { new HostnameStep() }, host, cancellation);
}
