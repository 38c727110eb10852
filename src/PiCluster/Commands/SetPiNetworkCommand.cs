using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Hosting;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Commands;

/// <summary>
/// Set-PiNetwork: gives each node's LAN interface its static address (the node's LanAddress) through the node's network
/// manager, rolling back on the node when it does not answer at the new address.
/// </summary>
[Cmdlet(VerbsCommon.Set, "PiNetwork", DefaultParameterSetName = NodeSet, SupportsShouldProcess = true)]
[OutputType(typeof(StepResult))]
public sealed class SetPiNetworkCommand : PiNodeCommandBase
{
    /// <summary>The LAN interface; given, it replaces the cluster file's lan section together with the parameters below.</summary>
    [Parameter]
    [ValidatePiValue(PiValue.Interface)]
    public string? Interface { get; set; }

    /// <summary>The prefix length of the LAN (with -Interface).</summary>
    [Parameter]
    [ValidateRange(1, 32)]
    public int PrefixLength { get; set; } = 24;

    /// <summary>The default gateway (with -Interface).</summary>
    [Parameter]
    [ValidatePiValue(PiValue.Gateway)]
    public string? Gateway { get; set; }

    /// <summary>DNS servers (with -Interface).</summary>
    [Parameter]
    [ValidatePiValue(PiValue.DnsServer)]
    public string[]? DnsServer { get; set; }

    /// <summary>Seconds the node waits for PiCluster to reach it after the change before restoring the old configuration.</summary>
    [Parameter]
    [ValidateRange(30, 3600)]
    public int RollbackTimeout { get; set; } = 90;

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation)
    {
        var lan = Interface is null ? null : new LanSettings
        {
            Interface = Interface, PrefixLength = PrefixLength, Gateway = Gateway ?? "", Dns = (DnsServer ?? Array.Empty<string>()).ToList(),
        };
        RunSteps(nodes, new NodeStep[] { new NetworkStep(lan, TimeSpan.FromSeconds(RollbackTimeout)) }, host, cancellation);
    }
}
