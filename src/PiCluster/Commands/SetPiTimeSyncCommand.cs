using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Hosting;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Commands;

/// <summary>Set-PiTimeSync: systemd-timesyncd with the given servers, then a bounded wait for a synchronised clock.</summary>
[Cmdlet(VerbsCommon.Set, "PiTimeSync", DefaultParameterSetName = NodeSet, SupportsShouldProcess = true)]
[OutputType(typeof(StepResult))]
public sealed class SetPiTimeSyncCommand : PiNodeCommandBase
{
    /// <summary>NTP servers (NTP=).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidatePiValue(PiValue.NtpServer)]
    public string[] NtpServer { get; set; } = new List<string>(NodePreparationOptions.DefaultNtpServers).ToArray();

    /// <summary>Fallback NTP servers (FallbackNTP=).</summary>
    [Parameter]
    [ValidatePiValue(PiValue.NtpServer)]
    public string[] FallbackNtpServer { get; set; } = new List<string>(NodePreparationOptions.DefaultFallbackNtpServers).ToArray();

    /// <summary>Seconds to wait for the clock to synchronise.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int Timeout { get; set; } = 60;

    /// <summary>Configure only; do not wait for synchronisation.</summary>
    [Parameter]
    public SwitchParameter SkipWait { get; set; }

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) =>
        RunSteps(nodes, new NodeStep[] { new TimeSyncStep(NtpServer, FallbackNtpServer, TimeSpan.FromSeconds(Timeout), SkipWait) }, host, cancellation);
}
