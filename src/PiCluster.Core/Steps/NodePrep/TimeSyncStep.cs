using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Keeps the clock right with systemd-timesyncd (a Pi has no real-time clock, and certificates fail with a wrong
/// clock): a drop-in naming the NTP and fallback servers, the service enabled and running, NTP on; then waits, bounded,
/// until the clock is synchronised.
/// </summary>
public sealed class TimeSyncStep : NodePrepStep
{
    /// <summary>Where the servers are configured (a drop-in, so the distribution's timesyncd.conf stays untouched).</summary>
    public const string DropInPath = "/etc/systemd/timesyncd.conf.d/picluster.conf";

    /// <summary>Creates the step.</summary>
    public TimeSyncStep(IReadOnlyList<string> ntpServers, IReadOnlyList<string> fallbackServers, TimeSpan waitTimeout, bool skipWait = false)
    {
        if (ntpServers.Count == 0) throw new ArgumentException("At least one NTP server is needed.", nameof(ntpServers));
        NtpServers = ntpServers;
        FallbackServers = fallbackServers;
        WaitTimeout = waitTimeout;
        SkipWait = skipWait;
    }

    /// <summary>NTP= servers.</summary>
    public IReadOnlyList<string> NtpServers { get; }

    /// <summary>FallbackNTP= servers.</summary>
    public IReadOnlyList<string> FallbackServers { get; }

    /// <summary>How long to wait for NTPSynchronized=yes.</summary>
    public TimeSpan WaitTimeout { get; }

    /// <summary>Do not wait for synchronisation (and do not count an unsynchronised clock as a difference).</summary>
    public bool SkipWait { get; }

    /// <inheritdoc />
    public override string Name => "TimeSync";

    /// <summary>The drop-in's content.</summary>
    public string DropIn =>
        "# Written by PiCluster (Set-PiTimeSync).\n[Time]\n" +
        $"NTP={string.Join(" ", NtpServers)}\n" +
        $"FallbackNTP={string.Join(" ", FallbackServers)}\n";

    /// <summary>What the plan will do.</summary>
    public sealed record Facts(FileEdit DropIn, bool Install, bool Restart, bool Wait);

    private static readonly RemoteCommand FactsCommand = FactCommand("prep-timesync-facts");

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context) => new[] { FactsCommand };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var facts = await GatherFactsAsync(context, FactsCommand).ConfigureAwait(false);
        var other = Lines(facts, "other_daemon");
        if (other.Count > 0)
            throw new NodeException(NodeErrorKind.InvalidNodeState,
                $"{context.Node}: {string.Join(", ", other)} keeps the time on this node; PiCluster configures systemd-timesyncd, which conflicts with it. Remove it or leave time keeping to it and skip Set-PiTimeSync.");
        var dropIn = FileEdit.ToText(DropInPath, FileFact(facts, "dropin"), DropIn);
        var changes = new List<Change>();
        var install = facts.GetOr("installed", "no") != "yes";
        if (install) changes.Add(new Change("install systemd-timesyncd"));
        if (dropIn.IsNeeded) changes.Add(dropIn.ToChange());
        var running = facts.GetOr("enabled", "") == "enabled" && facts.GetOr("active", "") == "active" && facts.GetOr("ntp", "") == "yes";
        var restart = install || dropIn.IsNeeded || !running;
        if (restart) changes.Add(new Change("enable and (re)start systemd-timesyncd, NTP on (timedatectl set-ntp true)"));
        // An unsynchronised clock is a difference only when we are asked to wait for it.
        var wait = !SkipWait && (restart || facts.GetOr("synchronized", "") != "yes");
        if (wait && !restart) changes.Add(new Change($"wait up to {WaitTimeout.TotalSeconds:0} s for the clock to synchronise"));
        return new StepPlan(changes, new Facts(dropIn, install, restart, wait));
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var facts = (Facts)plan.Facts!;
        if (facts.Install || facts.DropIn.IsNeeded || facts.Restart)
            await ApplyScriptAsync(context, "prep-timesync-apply", "configure systemd-timesyncd", new Dictionary<string, string>
            {
                ["PICLUSTER_INSTALL"] = facts.Install ? "yes" : "no",
                ["PICLUSTER_RESTART"] = facts.Restart ? "yes" : "no",
            }, new[] { facts.DropIn }).ConfigureAwait(false);
        if (facts.Wait) await WaitForSyncAsync(context).ConfigureAwait(false);
        return null;
    }

    private async Task WaitForSyncAsync(StepContext context)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(WaitTimeout.TotalSeconds));
        // One round trip: the node polls itself and gives up after the bound.
        var wait = RemoteScripts.Compose("prep-timesync-wait",
            new Dictionary<string, string> { ["PICLUSTER_WAIT_SECONDS"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var result = await context.Session.RunAsync(new RemoteCommand(wait, timeout: WaitTimeout + TimeSpan.FromSeconds(30), display: $"TimeSync: wait up to {seconds} s for the clock to synchronise"), context.Cancellation).ConfigureAwait(false);
        if (result.ExitCode == 4)
        {
            var tried = result.Stdout.Trim();
            throw new NodeException(NodeErrorKind.Timeout,
                $"{context.Node}: the clock did not synchronise within {seconds} s (servers: {string.Join(" ", NtpServers)}; fallback: {string.Join(" ", FallbackServers)}" +
                (tried.Length > 0 ? $"; no answer from {tried}" : "") + "). " +
                "Check that the node reaches them on UDP port 123 ('timedatectl timesync-status' on the node), or use -SkipWait.");
        }
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: waiting for clock synchronisation failed: {result.Stderr.Trim()}");
    }
}
