using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Hosting;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Commands;

/// <summary>
/// Initialize-PiNode: hostname, static address, time, cgroup flags, swap off, kernel networking, then at most one
/// reboot per node and only when needed. Safe to run again at any point.
/// </summary>
[Cmdlet(VerbsData.Initialize, "PiNode", DefaultParameterSetName = NodeSet, SupportsShouldProcess = true)]
[OutputType(typeof(StepResult))]
public sealed class InitializePiNodeCommand : PiNodeCommandBase
{
    /// <summary>NTP servers.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidatePiValue(PiValue.NtpServer)]
    public string[] NtpServer { get; set; } = new List<string>(NodePreparationOptions.DefaultNtpServers).ToArray();

    /// <summary>Fallback NTP servers.</summary>
    [Parameter]
    [ValidatePiValue(PiValue.NtpServer)]
    public string[] FallbackNtpServer { get; set; } = new List<string>(NodePreparationOptions.DefaultFallbackNtpServers).ToArray();

    /// <summary>Do not wait for the clock to synchronise.</summary>
    [Parameter]
    public SwitchParameter SkipTimeSyncWait { get; set; }

    /// <summary>Switch iptables to this backend.</summary>
    [Parameter]
    [ValidateSet(nameof(Steps.NodePrep.IptablesBackend.Legacy), nameof(Steps.NodePrep.IptablesBackend.Nft))]
    public string? IptablesBackend { get; set; }

    /// <summary>Seconds a node may take to come back from the reboot (-RebootTimeout, as Deploy-PiCluster calls it).</summary>
    [Parameter]
    [Alias("RebootTimeout")]
    [ValidateRange(10, 3600)]
    public int Timeout { get; set; } = 300;

    /// <summary>Never reboot; the result says when a reboot is pending.</summary>
    [Parameter]
    public SwitchParameter NoReboot { get; set; }

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation)
    {
        var options = new NodePreparationOptions
        {
            NtpServers = NtpServer, FallbackNtpServers = FallbackNtpServer, SkipTimeSyncWait = SkipTimeSyncWait,
            IptablesBackend = CoreEnum.ParseOptional<IptablesBackend>(IptablesBackend), RebootTimeout = TimeSpan.FromSeconds(Timeout), NoReboot = NoReboot,
        };
        RunSteps(nodes, new NodeStep[] { InitializeNodeStep.Create(options) }, host, cancellation);
    }
}
