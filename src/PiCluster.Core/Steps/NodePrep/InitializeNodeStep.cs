using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Initialize-PiNode as one step: hostname, network, time, cgroup flags, swap, kernel networking, then at most one
/// reboot, only when the node's state needs it. Being one step, its plan (and so -WhatIf and -Confirm) shows every
/// change of every part at once. Every part plans from the node's state, so a run interrupted anywhere converges when
/// run again.
/// </summary>
public sealed class InitializeNodeStep : NodeStep
{
    /// <summary>Creates the step from its parts (in order) and the reboot that may follow them.</summary>
    public InitializeNodeStep(IReadOnlyList<NodeStep> parts, RestartStep? restart)
    {
        Parts = parts;
        Restart = restart;
    }

    /// <summary>The parts, applied in this order.</summary>
    public IReadOnlyList<NodeStep> Parts { get; }

    /// <summary>The reboot after the parts, or null for none (the result then says a reboot is pending).</summary>
    public RestartStep? Restart { get; }

    /// <inheritdoc />
    public override string Name => "Initialize";

    /// <summary>The line of the apply's data that says the node was rebooted (Deploy-PiCluster counts reboots by it).</summary>
    public const string RebootedLine = "Restart: rebooted and verified";

    private sealed record PartPlan(NodeStep Step, StepPlan Plan);

    private sealed record Plans(IReadOnlyList<PartPlan> Parts);

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context) =>
        Parts.SelectMany(p => p.FactCommands(context)).Concat(Restart?.FactCommands(context) ?? Array.Empty<RemoteCommand>());

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var plans = new List<PartPlan>();
        var changes = new List<Change>();
        foreach (var part in Parts)
        {
            var plan = await part.PlanAsync(context).ConfigureAwait(false);
            plans.Add(new PartPlan(part, plan));
            if (plan.SkipReason is null) changes.AddRange(plan.Changes.Select(c => new Change($"{part.Name}: {c.Description}", c.Diff, c.RebootRequired)));
        }
        if (Restart is not null)
        {
            var restart = await Restart.PlanAsync(context).ConfigureAwait(false);
            if (restart.Changes.Count > 0) changes.AddRange(restart.Changes.Select(c => new Change($"{Restart.Name}: {c.Description}")));
            else if (changes.Any(c => c.RebootRequired)) changes.Add(new Change($"{Restart.Name}: reboot once to activate the changes above, then verify them"));
        }
        return new StepPlan(changes, new Plans(plans));
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var plans = (Plans)plan.Facts!;
        var results = new List<string>();
        foreach (var part in plans.Parts)
        {
            if (part.Plan.SkipReason is not null) { results.Add($"{part.Step.Name}: skipped ({part.Plan.SkipReason})"); continue; }
            if (part.Plan.Changes.Count == 0) { results.Add($"{part.Step.Name}: unchanged"); continue; }
            try { await part.Step.ApplyAsync(part.Plan, context).ConfigureAwait(false); }
            catch (NodeException e) { throw new NodeException(e.Kind, $"{part.Step.Name}: {e.Message}", e); }
            results.Add($"{part.Step.Name}: changed");
        }
        if (Restart is not null)
        {
            // Planned again now: the parts may just have made a reboot necessary.
            var restart = await Restart.PlanAsync(context).ConfigureAwait(false);
            if (restart.Changes.Count > 0)
            {
                try { await Restart.ApplyAsync(restart, context).ConfigureAwait(false); }
                catch (NodeException e) { throw new NodeException(e.Kind, $"{Restart.Name}: {e.Message}", e); }
                results.Add(RebootedLine);
            }
        }
        return results;
    }

    /// <summary>The parts Initialize-PiNode runs, in order.</summary>
    public static InitializeNodeStep Create(NodePreparationOptions options)
    {
        if (options is null) throw new ArgumentNullException(nameof(options));
        var parts = new NodeStep[]
        {
            new HostnameStep(),
            new NetworkStep(options.Lan, options.NetworkRollbackAfter),
            new TimeSyncStep(options.NtpServers, options.FallbackNtpServers, options.TimeSyncTimeout, options.SkipTimeSyncWait),
            new CgroupStep(),
            new SwapStep(enabled: false),
            new KernelNetworkingStep(options.IptablesBackend),
        };
        return new InitializeNodeStep(parts, options.NoReboot ? null : new RestartStep(options.RebootTimeout, onlyIfNeeded: true));
    }
}
