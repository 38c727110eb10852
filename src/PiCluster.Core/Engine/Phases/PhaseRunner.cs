using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine.Phases;

/// <summary>
/// Runs an ordered list of <see cref="ClusterPhase"/>s over a cluster's nodes; <see cref="ClusterRunner"/> is this
/// runner over <see cref="NodeStepPhase"/>s.
/// </summary>
/// <remarks>
/// <para>A run: every node is connected and locked (in parallel, at most <see cref="RunOptions.ThrottleLimit"/> at
/// once), and the fact commands of every phase that runs there are read in one round trip
/// (<see cref="PrefetchingSession"/>); that one connection and lock serve the node for the whole run. When a phase
/// needs a leader, each control plane also reports in that round trip whether it holds /etc/kubernetes/admin.conf, and
/// the leader is chosen (<see cref="ClusterState.Leader"/>). The first control plane is not passed over when it cannot
/// be reached, unless another reachable one holds admin.conf: it may run a cluster already, and a second must not start.</para>
/// <para>Then phase after phase, on the nodes it targets that have not failed: a <see cref="PhaseConcurrency.Parallel"/>
/// phase plans on every node, asks <see cref="IRunHost.ShouldProcess"/> in node order on this thread, then applies;
/// a <see cref="PhaseConcurrency.OneAtATime"/> phase plans, asks and applies node after node. Every node yields one
/// <see cref="StepResult"/> per phase (Step is the phase's name), except where the apply was declined (-WhatIf,
/// -Confirm "no"): that node yields nothing, and its outputs become placeholders (<see cref="Planned{T}"/>), so the
/// later phases still plan, which is how -WhatIf shows every phase.</para>
/// <para>Failures: a node whose plan or apply throws yields a Failed result and a <see cref="NodeFailure"/> and is
/// dropped from later phases (after a failed apply, the phase's <see cref="ClusterPhase.CleanUpAsync"/> runs there).
/// When that node is the leader, every later phase with <see cref="ClusterPhase.NeedsLeader"/> does not run: it warns
/// once and yields a Skipped result on each node it would have run on, naming the leader and where it failed. The other
/// phases go on.</para>
/// <para>After the last phase, whatever happened (failures, Ctrl+C), each phase's <see cref="ClusterPhase.AfterRunAsync"/>
/// runs on the nodes where it planned, last phase first, under its own time limit, before the connections close.</para>
/// </remarks>
public sealed class PhaseRunner
{
    /// <summary>The step name used for failures while connecting, taking the lock and reading the first facts.</summary>
    public const string ConnectStep = "Connect";

    /// <summary>How long every phase's <see cref="ClusterPhase.AfterRunAsync"/> may take together.</summary>
    internal static readonly TimeSpan AfterRunTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How the Skipped result of a phase that did not run for want of its leader begins.</summary>
    public const string NotRunPrefix = "not run: ";

    private static readonly RemoteCommand LeaderProbe =
        new(RemoteScripts.Compose("leader-facts"), asRoot: true, display: "Leader: does the node hold /etc/kubernetes/admin.conf");

    private readonly INodeConnector _connector;
    private readonly RunOptions _options;

    /// <summary>Creates a runner that connects through <paramref name="connector"/>.</summary>
    public PhaseRunner(INodeConnector connector, RunOptions options)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>
    /// Runs <paramref name="phases"/> in order over <paramref name="nodes"/> (file order: it decides the leader, the
    /// prompts and OneAtATime), calling <paramref name="host"/> only on this thread. Returns when every phase is done.
    /// Throws <see cref="OperationCanceledException"/> after <paramref name="cancellation"/> fired, once remote work is
    /// stopped and connections are closed.
    /// </summary>
    /// <exception cref="ArgumentException">A phase needs a leader and no node is a control plane.</exception>
    public void Run(IReadOnlyList<PiNode> nodes, IReadOnlyList<ClusterPhase> phases, IRunHost host, CancellationToken cancellation)
    {
        if (nodes is null) throw new ArgumentNullException(nameof(nodes));
        if (phases is null) throw new ArgumentNullException(nameof(phases));
        if (host is null) throw new ArgumentNullException(nameof(host));
        if (phases.FirstOrDefault(NeedsLeader) is { } needy && nodes.All(n => n.Role != NodeRole.ControlPlane))
            throw new ArgumentException($"Phase {needy.Name} needs a leader, but no node is a control plane: give one node the role control-plane.", nameof(nodes));
        var pump = new HostPump();
        var scope = new RunScope(_connector, _options, pump);
        pump.Run(host, token => RunAsync(scope, nodes, phases, token), cancellation);
    }

    private static bool NeedsLeader(ClusterPhase phase) => phase.NeedsLeader || phase.Targets == PhaseTargets.Leader;

    private sealed class NodeRun
    {
        public NodeRun(PiNode node, INodeSession session)
        {
            Node = node;
            Session = session;
        }

        public PiNode Node { get; }
        public INodeSession Session { get; }
        public NodeLease? Lease { get; set; }
        public bool Active { get; set; } = true;
        public bool HoldsAdminConf { get; set; }
        public PhaseContext? Context { get; set; }
        public StepPlan? Plan { get; set; }
        public TimeSpan PlanTime { get; set; }
        public bool Declined { get; set; }

        public bool HasChanges => Active && Plan is { SkipReason: null, Changes.Count: > 0 };
    }

    private async Task RunAsync(RunScope scope, IReadOnlyList<PiNode> nodes, IReadOnlyList<ClusterPhase> phases, CancellationToken cancellation)
    {
        var state = new ClusterState(nodes);
        foreach (var phase in phases) state.Declare(phase);
        var needsLeader = phases.Any(NeedsLeader);
        var runLock = new NodeLock(_options, scope.Verbose, scope.Warning);
        var runs = new ConcurrentDictionary<PiNode, NodeRun>();
        // Every (phase, node) that planned, in order, for the phases' AfterRunAsync.
        var planned = new List<PhaseContext>();
        INodeSession? LeaderSession() => state.Leader is { } leader && runs.TryGetValue(leader, out var run) && run.Active ? run.Session : null;
        PhaseContext Context(ClusterPhase phase, NodeRun run) => new(phase, run.Session, state, LeaderSession, scope.Verbose, cancellation, scope.Redactor, scope.Warning);
        try
        {
            await Throttled.ForEachAsync(nodes, _options.ThrottleLimit, async node =>
            {
                scope.Pump.Post(h => h.WriteProgress(node, ConnectStep, "connecting", 0));
                var session = await scope.OpenAsync(node, ConnectStep, cancellation).ConfigureAwait(false);
                if (session is null) return;
                var prefetching = new PrefetchingSession(session);
                // A control plane may become the leader, whose session other nodes' phases share: their commands take turns.
                var probe = needsLeader && node.Role == NodeRole.ControlPlane;
                var run = runs[node] = new NodeRun(node, probe ? new SerialSession(prefetching) : prefetching);
                try
                {
                    var verbose = (VerboseSession)session;
                    var lease = new NodeLease(runLock, verbose, verbose.Inner);
                    await lease.AcquireAsync(cancellation).ConfigureAwait(false);
                    run.Lease = lease;
                    verbose.Lease = lease;
                    // A reboot empties /run/lock: take the lock again once the node is back.
                    verbose.AfterReconnect = lease.AcquireAgainAsync;
                    // Every phase's facts in one round trip: a converged run then costs connect, this, and the release.
                    var facts = phases.Where(p => p.RunsOn(node, null)).SelectMany(p => p.FactCommands(Context(p, run)));
                    if (probe) facts = facts.Append(LeaderProbe);
                    await prefetching.PrefetchAsync(facts, _options.FactTimeout, cancellation, scope.Verbose).ConfigureAwait(false);
                    if (probe) run.HoldsAdminConf = await HoldsAdminConfAsync(run.Session, cancellation).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    run.Active = false;
                    scope.Fail(node, ConnectStep, e, cancellation);
                }
            }, cancellation).ConfigureAwait(false);

            // Node order, not completion order, so the leader, prompts and outputs are deterministic.
            var ordered = nodes.Where(runs.ContainsKey).Select(n => runs[n]).ToList();
            if (needsLeader) ChooseLeader(scope, state, ordered);

            for (var index = 0; index < phases.Count; index++)
            {
                var phase = phases[index];
                if (ordered.All(r => !r.Active)) break;
                var targeted = ordered.Where(r => r.Active && phase.RunsOn(r.Node, state.Leader)).ToList();
                if (phase.NeedsLeader && state.LeaderFailedIn is not null)
                {
                    NotRunWithoutLeader(scope, state, phase, targeted);
                    continue;
                }
                if (targeted.Count == 0) continue;
                int Percent(int part) => (index * 2 + part) * 100 / (phases.Count * 2);

                foreach (var run in targeted)
                {
                    run.Context = Context(phase, run);
                    planned.Add(run.Context);
                    run.Plan = null;
                    run.PlanTime = TimeSpan.Zero;
                    run.Declined = false;
                }

                if (phase.Concurrency == PhaseConcurrency.OneAtATime)
                {
                    foreach (var run in targeted)
                    {
                        await PlanAsync(scope, run, phase, Percent(0), cancellation).ConfigureAwait(false);
                        if (run.HasChanges && await ApprovedAsync(scope, run, phase, cancellation).ConfigureAwait(false))
                            await ApplyAsync(scope, run, phase, Percent(1), cancellation).ConfigureAwait(false);
                    }
                }
                else
                {
                    await Throttled.ForEachAsync(targeted, _options.ThrottleLimit, run => PlanAsync(scope, run, phase, Percent(0), cancellation),
                        cancellation).ConfigureAwait(false);
                    var approved = new List<NodeRun>();
                    foreach (var run in targeted.Where(r => r.HasChanges))
                        if (await ApprovedAsync(scope, run, phase, cancellation).ConfigureAwait(false)) approved.Add(run);
                        else state.Declined = true;
                    await Throttled.ForEachAsync(approved, _options.ThrottleLimit, run => ApplyAsync(scope, run, phase, Percent(1), cancellation),
                        cancellation).ConfigureAwait(false);
                }

                // Published after the phase, so every node of the next phase sees the same values.
                state.Publish(targeted.Where(r => r.Active)
                    .SelectMany(r => r.Context!.Produced(r.Declined).Select(p => (r.Node, p.Output, p.Planned, p.Known))));
                if (state.LeaderFailedIn is null && state.Leader is { } leader && runs.TryGetValue(leader, out var leaderRun) && !leaderRun.Active)
                    state.LeaderFailedIn = phase.Name;
            }
            foreach (var run in ordered.Where(r => r.Active))
                scope.Pump.Post(h => h.WriteProgress(run.Node, "Done", "done", 100));
        }
        finally
        {
            await AfterRunAsync(scope, planned).ConfigureAwait(false);
            var opened = runs.Values.ToList();
            await scope.CloseAllAsync(opened.Select(r => r.Session),
                (session, token) => opened.First(r => ReferenceEquals(r.Session, session)).Lease is { } lease ? lease.ReleaseAsync(token) : Task.CompletedTask)
                .ConfigureAwait(false);
        }
    }

    // Last phase first, each phase's nodes in parallel, under a limit of its own (the run's token may be cancelled).
    private static async Task AfterRunAsync(RunScope scope, IReadOnlyList<PhaseContext> planned)
    {
        using var limit = new CancellationTokenSource(AfterRunTimeout);
        foreach (var phase in planned.Select(c => c.Phase).Distinct().Reverse().ToList())
        {
            await Task.WhenAll(planned.Where(c => ReferenceEquals(c.Phase, phase)).Select(async context =>
            {
                try { await phase.AfterRunAsync(context, limit.Token).ConfigureAwait(false); }
                catch (Exception e)
                {
                    scope.Warning($"{context.Node.Name}: {phase.Name}: the work after the run failed: {e.Message}");
                }
            }).ToList()).ConfigureAwait(false);
        }
    }

    private static async Task<bool> HoldsAdminConfAsync(INodeSession session, CancellationToken cancellation)
    {
        var result = await session.RunAsync(LeaderProbe, cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed,
                $"could not tell whether the node already runs a control plane (/etc/kubernetes/admin.conf): {result.Stderr.Trim()}");
        return result.Stdout.Trim() == "yes";
    }

    // The first reachable control plane that holds admin.conf leads; else the first control plane of the file, even
    // when it failed: a later one would start a second cluster if the first already runs one.
    private static void ChooseLeader(RunScope scope, ClusterState state, IReadOnlyList<NodeRun> ordered)
    {
        var holder = ordered.FirstOrDefault(r => r.Active && r.HoldsAdminConf);
        state.Leader = holder?.Node ?? state.ControlPlanes.First();
        var leaderRun = ordered.FirstOrDefault(r => ReferenceEquals(r.Node, state.Leader));
        if (leaderRun is not { Active: true }) state.LeaderFailedIn = ConnectStep;
        scope.Verbose(holder is not null
            ? $"{state.Leader.Name}: leads the run (it holds /etc/kubernetes/admin.conf)"
            : $"{state.Leader.Name}: leads the run (the first control plane; none holds /etc/kubernetes/admin.conf yet)");
    }

    private static void NotRunWithoutLeader(RunScope scope, ClusterState state, ClusterPhase phase, IEnumerable<NodeRun> targeted)
    {
        var reason = $"{NotRunPrefix}phase {phase.Name} needs the leader {state.Leader!.Name}, which failed in {state.LeaderFailedIn}";
        scope.Warning($"Phase {phase.Name} did not run: it needs the leader {state.Leader.Name}, which failed in {state.LeaderFailedIn}.");
        foreach (var run in targeted)
            scope.Pump.Post(h => h.WriteObject(scope.Redacted(new StepResult(run.Node, phase.Name, StepStatus.Skipped, message: reason))));
    }

    private static async Task<bool> ApprovedAsync(RunScope scope, NodeRun run, ClusterPhase phase, CancellationToken cancellation)
    {
        var text = Describe(phase.Name, run.Plan!, scope.Redactor);
        bool approved;
        try { approved = await scope.Pump.Ask(h => h.ShouldProcess(run.Node, text)).ConfigureAwait(false); }
        catch (OperationCanceledException) { cancellation.ThrowIfCancellationRequested(); throw; }
        // Declined: nothing changes and nothing is reported for this phase, but later phases still plan, on placeholders.
        run.Declined = !approved;
        return approved;
    }

    private static async Task PlanAsync(RunScope scope, NodeRun run, ClusterPhase phase, int percent, CancellationToken cancellation)
    {
        scope.Pump.Post(h => h.WriteProgress(run.Node, phase.Name, "planning", percent));
        var clock = Stopwatch.StartNew();
        try
        {
            var plan = await phase.PlanAsync(run.Context!).ConfigureAwait(false);
            run.PlanTime = clock.Elapsed;
            if (plan.SkipReason is not null)
            {
                scope.Pump.Post(h => h.WriteObject(scope.Redacted(new StepResult(run.Node, phase.Name, StepStatus.Skipped, duration: clock.Elapsed, message: plan.SkipReason))));
                return;
            }
            run.Plan = plan;
            if (plan.Changes.Count == 0)
                scope.Pump.Post(h => h.WriteObject(scope.Redacted(new StepResult(run.Node, phase.Name, StepStatus.Unchanged, duration: clock.Elapsed,
                    message: "already as desired", data: plan.Facts))));
        }
        catch (Exception e)
        {
            Failed(scope, run, phase, e, clock.Elapsed, cancellation);
        }
    }

    private static async Task ApplyAsync(RunScope scope, NodeRun run, ClusterPhase phase, int percent, CancellationToken cancellation)
    {
        scope.Pump.Post(h => h.WriteProgress(run.Node, phase.Name, "applying", percent));
        var clock = Stopwatch.StartNew();
        var plan = run.Plan!;
        object? data;
        try
        {
            data = await phase.ApplyAsync(plan, run.Context!).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Failed(scope, run, phase, e, run.PlanTime + clock.Elapsed, cancellation);
            await CleanUpAsync(scope, run, phase, plan, cancellation).ConfigureAwait(false);
            return;
        }
        var message = plan.Changes.Count == 1 ? plan.Changes[0].Description : $"{plan.Changes.Count} changes";
        var elapsed = run.PlanTime + clock.Elapsed;
        scope.Pump.Post(h => h.WriteObject(scope.Redacted(new StepResult(run.Node, phase.Name, StepStatus.Changed, plan.Changes, elapsed, message, data: data))));
    }

    private static async Task CleanUpAsync(RunScope scope, NodeRun run, ClusterPhase phase, StepPlan plan, CancellationToken cancellation)
    {
        try { await phase.CleanUpAsync(plan, run.Context!).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            scope.Warning($"{run.Node.Name}: {phase.Name}: the clean-up after the failed apply failed too: {e.Message}");
        }
    }

    private static void Failed(RunScope scope, NodeRun run, ClusterPhase phase, Exception error, TimeSpan elapsed, CancellationToken cancellation)
    {
        // Ctrl+C is not the node's fault (and no clean-up runs then: the run's token is cancelled).
        if (error is OperationCanceledException && cancellation.IsCancellationRequested) throw error;
        run.Active = false;
        var failure = scope.ToFailure(run.Node, phase.Name, error);
        scope.Pump.Post(h =>
        {
            h.WriteObject(scope.Redacted(new StepResult(run.Node, phase.Name, StepStatus.Failed, run.Plan?.Changes, elapsed, failure.Detail)));
            h.WriteFailure(failure);
        });
    }

    /// <summary>The ShouldProcess action text: the phase, then each change with its diff.</summary>
    internal static string Describe(string phase, StepPlan plan, Redactor redactor)
    {
        var text = new StringBuilder();
        text.Append(phase).Append(": ").Append(plan.Changes.Count.ToString(CultureInfo.InvariantCulture))
            .Append(plan.Changes.Count == 1 ? " change" : " changes");
        foreach (var change in plan.Changes)
        {
            text.Append('\n').Append("  - ").Append(change.Description);
            if (change.RebootRequired) text.Append(" (takes effect after a reboot)");
            if (!string.IsNullOrEmpty(change.Diff))
                foreach (var line in change.Diff!.Replace("\r\n", "\n").TrimEnd('\n').Split('\n'))
                    text.Append('\n').Append("      ").Append(line);
        }
        return redactor.Redact(text.ToString());
    }
}
