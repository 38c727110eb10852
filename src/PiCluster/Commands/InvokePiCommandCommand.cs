using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Commands;

/// <summary>Invoke-PiCommand: one ad-hoc bash command on many nodes in parallel, one output object per node.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "PiCommand", SupportsShouldProcess = true, DefaultParameterSetName = NodeSet)]
[OutputType(typeof(CommandOutput))]
public sealed class InvokePiCommandCommand : PiNodeCommandBase
{
    /// <summary>The bash command to run on each node.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Command { get; set; } = "";

    /// <summary>Run the command as root through sudo (with -Credential's password, if given).</summary>
    [Parameter]
    public SwitchParameter AsRoot { get; set; }

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation)
    {
        // The command is arbitrary, so each node is a ShouldProcess target: -WhatIf lists them and runs nothing.
        var action = (AsRoot ? "Run as root: " : "Run: ") + Command;
        var confirmed = nodes.Where(node => host.ShouldProcess(node, action)).ToList();
        if (confirmed.Count > 0)
            new AdHocCommandRunner(CreateConnector(), CreateRunOptions()).Run(confirmed, new RemoteCommand(Command, AsRoot), host, cancellation);
    }
}
