using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Reboots a node and waits for it: SSH answers again and the boot id changed, within a bound. Then verifies that what
/// PiCluster configured survived the boot (cgroup flags in /proc/cmdline and the memory controller, swap off, modules,
/// sysctls). With <see cref="OnlyIfNeeded"/> it reboots only when the node's state asks for it (boot flags written but
/// not active, /var/run/reboot-required), which makes Initialize-PiNode safe to re-run after an interruption.
/// </summary>
public sealed class RestartStep : NodePrepStep
{
    /// <summary>Creates the step.</summary>
    public RestartStep(TimeSpan timeout, bool onlyIfNeeded = false)
    {
        Timeout = timeout;
        OnlyIfNeeded = onlyIfNeeded;
    }

    /// <summary>How long the node may take to come back.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Reboot only when the node needs it.</summary>
    public bool OnlyIfNeeded { get; }

    /// <summary>How often to look again while the node is still up or not yet back.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <inheritdoc />
    public override string Name => "Restart";

    /// <summary>What the plan found.</summary>
    public sealed record Facts(string BootId, string BootFile, string? Backup);

    private static readonly RemoteCommand FactsCommand = FactCommand("prep-restart-facts");

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context) => new[] { FactsCommand };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var facts = await GatherFactsAsync(context, FactsCommand).ConfigureAwait(false);
        var pending = Lines(facts, "pending");
        var backup = facts.GetOr("backup", "");
        var found = new Facts(facts.GetOr("boot_id", ""), facts.GetOr("bootfile", ""), backup.Length == 0 ? null : backup);
        if (OnlyIfNeeded && pending.Count == 0) return StepPlan.Unchanged(found);
        var why = pending.Count == 0 ? "" : $" ({string.Join("; ", pending)})";
        return new StepPlan(new[] { new Change($"reboot{why}") }, found);
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var facts = (Facts)plan.Facts!;
        try
        {
            await ApplyScriptAsync(context, "prep-restart-reboot", "schedule a reboot").ConfigureAwait(false);
        }
        catch (NodeException e) when (e.Kind == NodeErrorKind.NodeUnreachable)
        {
            // The connection went down before the command's answer came back: on a loaded board (or emulated node) the
            // reboot it scheduled can begin first. The wait below tells a reboot from none: it needs a new boot id.
        }

        var clock = Stopwatch.StartNew();
        while (true)
        {
            var left = Timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero) throw new NodeException(NodeErrorKind.Timeout, NotBackMessage(context.Node, facts));
            await Task.Delay(PollInterval, context.Cancellation).ConfigureAwait(false);
            try
            {
                await context.Session.ReconnectAsync(left, requireNewBoot: true, context.Cancellation).ConfigureAwait(false);
                var bootId = await context.Session.RunAsync(new RemoteCommand(RemoteScripts.Compose("boot-id"), display: "Restart: read the boot id"), context.Cancellation).ConfigureAwait(false);
                if (bootId.Succeeded && bootId.Stdout.Trim().Length > 0 && bootId.Stdout.Trim() != facts.BootId) break;
            }
            catch (NodeException e) when (e.Kind is NodeErrorKind.NodeUnreachable or NodeErrorKind.Timeout)
            {
                // Still down (or going down): try again until the bound.
            }
        }

        var verify = await context.Session.RunAsync(new RemoteCommand(RemoteScripts.Compose("prep-verify"), asRoot: true, display: "Restart: verify after boot"), context.Cancellation).ConfigureAwait(false);
        var problems = verify.Stdout.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (!verify.Succeeded || problems.Count > 0)
            throw new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: after the reboot: {string.Join("; ", problems.DefaultIfEmpty(verify.Stderr.Trim()))}");
        return null;
    }

    /// <summary>The error for a node that did not come back, saying how to restore the boot file from elsewhere.</summary>
    public string NotBackMessage(PiNode node, Facts facts)
    {
        var message = $"{node}: did not come back within {Timeout.TotalSeconds:0} s after the reboot (SSH to {node.Address} does not answer with a new boot id).";
        if (facts.Backup is null) return message;
        if (facts.BootFile == "/etc/default/grub")
            return message + $" If the boot flags are to blame: at the GRUB menu press 'e', remove the cgroup_* arguments from the 'linux' line and boot with Ctrl+X; then restore {facts.Backup} over /etc/default/grub and run update-grub.";
        var file = System.IO.Path.GetFileName(facts.BootFile);
        var backup = System.IO.Path.GetFileName(facts.Backup);
        return message + $" If the boot flags are to blame: the previous boot command line is kept as {facts.Backup}. Put the SD card (or boot disk) in another computer, " +
               $"open its FAT boot partition (label 'bootfs', readable on any OS) and copy {backup} over {file}, then boot the node again.";
    }
}
