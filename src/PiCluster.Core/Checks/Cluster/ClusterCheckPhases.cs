using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.Checks.Cluster;

/// <summary>
/// Test-PiCluster's checks as the last phases of a run that holds the nodes already (Deploy-PiCluster): every node reads
/// its check facts in the same session (<see cref="ClusterCheckFactsPhase"/>; on a converged cluster they come with the
/// run's one fact round trip), then the leader evaluates the same <see cref="ClusterChecks"/> over all of them
/// (<see cref="ClusterCheckPhase"/>). Read-only.
/// </summary>
public static class ClusterCheckPhases
{
    /// <summary>The two phases, checking the API with the context named after the cluster in <paramref name="kubeconfigPath"/>.</summary>
    public static IReadOnlyList<ClusterPhase> Test(string kubeconfigPath, TimeSpan? apiTimeout = null) =>
        Test(kubeconfigPath, apiTimeout, null);

    /// <summary><see cref="Test(string, TimeSpan?)"/> with the API check replaced (tests).</summary>
    internal static IReadOnlyList<ClusterPhase> Test(string kubeconfigPath, TimeSpan? apiTimeout,
        Func<string, string, TimeSpan, CancellationToken, Task<ApiProbe>>? probe) => new ClusterPhase[]
    {
        new ClusterCheckFactsPhase(),
        new ClusterCheckPhase(kubeconfigPath, apiTimeout ?? ClusterCheckRunner.DefaultApiTimeout, probe),
    };
}

/// <summary>Every node reads what Test-PiCluster checks (its own state; a control plane also the cluster's), changing nothing.</summary>
public sealed class ClusterCheckFactsPhase : ClusterPhase
{
    /// <summary>What each node read, or why it could not.</summary>
    public static readonly PhaseOutput<NodeOutcome> Outcome = new("ClusterCheckFacts", "node's check facts", OutputScope.Node);

    private static readonly PhaseOutput[] OutputList = { Outcome };

    /// <inheritdoc />
    public override string Name => "ClusterCheckFacts";

    /// <inheritdoc />
    public override IReadOnlyList<PhaseOutput> Outputs => OutputList;

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(PhaseContext context) =>
        new[] { NodeCheckFacts.Command(context.Node.Role == NodeRole.ControlPlane) };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(PhaseContext context)
    {
        var node = context.Node;
        var result = await context.Session.RunAsync(NodeCheckFacts.Command(node.Role == NodeRole.ControlPlane), context.Cancellation).ConfigureAwait(false);
        // A node that cannot be read fails its checks with the reason, as in Test-PiCluster; it does not fail the run here.
        context.Set(Outcome, result.Succeeded
            ? new NodeOutcome(node, NodeCheckFacts.Parse(result.Stdout))
            : new NodeOutcome(node, null, context.Redactor.Redact($"the check script failed (exit code {result.ExitCode}): {ClusterJson.OneLine(result.Stderr)}")));
        return StepPlan.Unchanged();
    }

    /// <inheritdoc />
    public override Task<object?> ApplyAsync(StepPlan plan, PhaseContext context) => Task.FromResult<object?>(null);
}

/// <summary>
/// On the leader: Test-PiCluster's checks over every node's facts and the API from this machine. The result's data is
/// the list of <see cref="ClusterCheckResult"/>s; a failed check is a warning, not a failure of the leader. In a run
/// that declined changes (a dry run) there is nothing real to check yet, and the phase says so.
/// </summary>
public sealed class ClusterCheckPhase : ClusterPhase
{
    private readonly string _kubeconfigPath;
    private readonly TimeSpan _apiTimeout;
    private readonly Func<string, string, TimeSpan, CancellationToken, Task<ApiProbe>> _probe;

    /// <summary>Creates the phase.</summary>
    public ClusterCheckPhase(string kubeconfigPath, TimeSpan apiTimeout) : this(kubeconfigPath, apiTimeout, null)
    {
    }

    internal ClusterCheckPhase(string kubeconfigPath, TimeSpan apiTimeout, Func<string, string, TimeSpan, CancellationToken, Task<ApiProbe>>? probe)
    {
        _kubeconfigPath = kubeconfigPath ?? throw new ArgumentNullException(nameof(kubeconfigPath));
        _apiTimeout = apiTimeout;
        _probe = probe ?? ApiReachability.ProbeAsync;
    }

    /// <inheritdoc />
    public override string Name => "ClusterChecks";

    /// <inheritdoc />
    public override PhaseTargets Targets => PhaseTargets.Leader;

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(PhaseContext context)
    {
        if (context.State.Declined)
            return new StepPlan(Array.Empty<Change>(), skipReason: "Test-PiCluster's checks run once the deploy has made its changes; this run declined some (-WhatIf or -Confirm)");
        var cluster = context.Node.Cluster ?? throw new NodeException(NodeErrorKind.InvalidNodeState, "the checks need the cluster file the nodes come from.");
        var api = await _probe(_kubeconfigPath, cluster.Name, _apiTimeout, context.Cancellation).ConfigureAwait(false);
        var outcomes = context.State.Nodes.Select(node => context.State.TryGet(ClusterCheckFactsPhase.Outcome, node, out var outcome) && outcome.IsKnown
            ? outcome.Value
            : new NodeOutcome(node, null, "not checked: the node dropped out of the run in an earlier phase")).ToList();
        var pin = CniManifests.For(cluster.Network.Plugin);
        var results = ClusterChecks.Evaluate(new ClusterCheckInput(cluster.Name, outcomes, cluster.Nodes.Select(n => n.Name).ToList(),
            pin.DaemonSetNamespace, pin.DaemonSetName, api, DateTimeOffset.UtcNow));
        foreach (var failed in results.Where(r => !r.Passed))
            context.Warning($"{failed.Node.Name}: check {failed.Check} failed: {failed.Detail}");
        return StepPlan.Unchanged(results);
    }

    /// <inheritdoc />
    public override Task<object?> ApplyAsync(StepPlan plan, PhaseContext context) => Task.FromResult<object?>(null);
}
