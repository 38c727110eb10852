using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Checks;
using PiCluster.Engine;

namespace PiCluster.Commands;

/// <summary>Test-PiNode: the preflight checks, one result per check and node. Reads only.</summary>
[Cmdlet(VerbsDiagnostic.Test, "PiNode", DefaultParameterSetName = NodeSet)]
[OutputType(typeof(CheckResult))]
public sealed class TestPiNodeCommand : PiNodeCommandBase
{
    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) =>
        new PreflightRunner(CreateConnector(), CreateRunOptions()).Run(nodes, host, cancellation);
}
