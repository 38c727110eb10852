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

namespace PiCluster.Engine;

/// <summary>
/// Runs steps over nodes, k0sctl-style. Per step: <see cref="NodeStep.PlanAsync"/> on all nodes in parallel (at most
/// <see cref="RunOptions.ThrottleLimit"/> at once); then, on the calling thread and in node order,
/// <see cref="IRunHost.ShouldProcess"/> for each node whose plan has changes; then <see cref="NodeStep.ApplyAsync"/> in
/// parallel. Every node yields one <see cref="StepResult"/> per step; a failing node also yields a
/// <see cref="NodeFailure"/> and drops out of later steps while the others go on. A step declined on a node (-WhatIf,
/// -Confirm "no") yields no result there, and the node goes on to plan the later steps from its facts as they are, so a
/// -WhatIf of several steps shows every step's plan. Each node gets one connection and the run lock for the whole run
/// (taken again on every new connection, see <see cref="NodeLock"/>), and the facts of every step are read in one
/// round trip right after the lock is taken (<see cref="NodeStep.FactCommands"/>, <see cref="PrefetchingSession"/>):
/// a step plans from them unless an earlier change on the node made them stale.
/// </summary>
/// <remarks>
/// Data for later steps: after each step, <see cref="StepContext.Shared"/> holds, under <c>"Step/node"</c>, what
/// <see cref="NodeStep.ApplyAsync"/> returned on that node (or the plan's <see cref="StepPlan.Facts"/> when nothing
/// had to change), and under <c>"Step"</c> the first such non-null value in node order (e.g. the control plane's join data).
/// </remarks>
public sealed class ClusterRunner
{
    /// <summary>The step name used for failures while connecting and taking the lock.</summary>
    public const string ConnectStep = "Connect";

    private readonly INodeConnector _connector;
    private readonly RunOptions _options;

    /// <summary>Creates a runner that connects through <paramref name="connector"/>.</summary>
    public ClusterRunner(INodeConnector connector, RunOptions options)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>
    /// Runs <paramref name="steps"/> in order over <paramref name="nodes"/>, calling <paramref name="host"/> only on this
    /// thread. Returns when every node is done or has failed. Throws <see cref="OperationCanceledException"/> after
    /// <paramref name="cancellation"/> fired, once remote work is stopped and connections are closed.
    /// </summary>
    public void Run(IReadOnlyList<PiNode> nodes, IReadOnlyList<NodeStep> steps, IRunHost host, CancellationToken cancellation)
    {
        if (nodes is null) throw new ArgumentNullException(nameof(nodes));
        if (steps is null) throw new ArgumentNullException(nameof(steps));
        if (host is null) throw new ArgumentNullException(nameof(host));
        var pump = new HostPump();
        var scope = new RunScope(_connector, _options, pump);
        pump.Run(host, token => RunAsync(scope, nodes, steps, token), cancellation);
    }

    private sealed class NodeRun
    {
        public NodeRun(PiNode node, INodeSession session)
        {
            Node = node;
            Session = session;
        }

        public PiNode Node { get; }
        public INodeSession Session { get; }
        public bool Active { get; set; } = true;
        public StepPlan? Plan { get; set; }
        public TimeSpan PlanTime { get; set; }
        public object? Output { get; set; }
    }

    private async Task RunAsync(RunScope scope, IReadOnlyList<PiNode> nodes, IReadOnlyList<NodeStep> steps, CancellationToken cancellation)
    {
        var runLock = new NodeLock(_options, scope.Verbose, scope.Warning);
        var runs = new ConcurrentDictionary<PiNode, NodeRun>();
        var leases = new ConcurrentDictionary<INodeSession, NodeLease>();
        var shared = new ConcurrentDictionary<string, object?>(StringComparer.Ordinal);
        try
        {
            await Throttled.ForEachAsync(nodes, _options.ThrottleLimit, async node =>
            {
                scope.Pump.Post(h => h.WriteProgress(node, ConnectStep, "connecting", 0));
                var session = await scope.OpenAsync(node, ConnectStep, cancellation).ConfigureAwait(false);
                if (session is null) return;
                var prefetching = new PrefetchingSession(session);
                runs[node] = new NodeRun(node, prefetching);
                try
                {
                    var verbose = (VerboseSession)session;
                    var lease = new NodeLease(runLock, verbose, verbose.Inner);
                    await lease.AcquireAsync(cancellation).ConfigureAwait(false);
                    leases[prefetching] = lease;
                    verbose.Lease = lease;
                    // A reboot empties /run/lock: take the lock again once the node is back.
                    verbose.AfterReconnect = lease.AcquireAgainAsync;
                    // Every step's facts in one round trip: a converged run then costs connect, this, and the release.
                    var context = new StepContext(prefetching, nodes, scope.Verbose, cancellation, redactor: scope.Redactor);
                    await prefetching.PrefetchAsync(steps.SelectMany(step => step.FactCommands(context)), _options.Connect.CommandTimeout, cancellation)
                        .ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    runs[node].Active = false;
                    scope.Fail(node, ConnectStep, e, cancellation);
                }
            }, cancellation).ConfigureAwait(false);

            // Node order, not completion order, so ShouldProcess prompts and Shared are deterministic.
            var ordered = nodes.Where(runs.ContainsKey).Select(n => runs[n]).ToList();
            for (var index = 0; index < steps.Count; index++)
            {
                var step = steps[index];
                var active = ordered.Where(r => r.Active).ToList();
                if (active.Count == 0) break;
                int Percent(int phase) => (index * 2 + phase) * 100 / (steps.Count * 2);

                await Throttled.ForEachAsync(active, _options.ThrottleLimit, run =>
                    PlanAsync(scope, run, step, Context(scope, run, nodes, shared, cancellation), Percent(0), cancellation),
                    cancellation).ConfigureAwait(false);

                var toApply = new List<NodeRun>();
                foreach (var run in active.Where(r => r.Active && r.Plan is { SkipReason: null, Changes.Count: > 0 }))
                {
                    var text = Describe(step, run.Plan!, scope.Redactor);
                    var run1 = run;
                    bool approved;
                    try { approved = await scope.Pump.Ask(h => h.ShouldProcess(run1.Node, text)).ConfigureAwait(false); }
                    catch (OperationCanceledException) { cancellation.ThrowIfCancellationRequested(); throw; }
                    // Declined: nothing changes and nothing is reported for this step, but later steps still plan.
                    if (approved) toApply.Add(run);
                }

                await Throttled.ForEachAsync(toApply, _options.ThrottleLimit, run =>
                    ApplyAsync(scope, run, step, Context(scope, run, nodes, shared, cancellation), Percent(1), cancellation),
                    cancellation).ConfigureAwait(false);

                // Publish after the step, so every node of the next step sees the same data.
                foreach (var run in active.Where(r => r.Active))
                {
                    shared[$"{step.Name}/{run.Node.Name}"] = run.Output;
                    if (run.Output is not null && !shared.ContainsKey(step.Name)) shared[step.Name] = run.Output;
                }
            }
            foreach (var run in ordered.Where(r => r.Active))
                scope.Pump.Post(h => h.WriteProgress(run.Node, "Done", "done", 100));
        }
        finally
        {
            await scope.CloseAllAsync(runs.Values.Select(r => r.Session),
                (session, token) => leases.TryGetValue(session, out var lease) ? lease.ReleaseAsync(token) : Task.CompletedTask)
                .ConfigureAwait(false);
        }
    }

    private static StepContext Context(RunScope scope, NodeRun run, IReadOnlyList<PiNode> nodes,
        IReadOnlyDictionary<string, object?> shared, CancellationToken cancellation) =>
        new(run.Session, nodes, scope.Verbose, cancellation, shared, scope.Redactor);

    private static async Task PlanAsync(RunScope scope, NodeRun run, NodeStep step, StepContext context, int percent, CancellationToken cancellation)
    {
        scope.Pump.Post(h => h.WriteProgress(run.Node, step.Name, "planning", percent));
        var clock = Stopwatch.StartNew();
        run.Plan = null;
        run.Output = null;
        try
        {
            var plan = await step.PlanAsync(context).ConfigureAwait(false);
            run.PlanTime = clock.Elapsed;
            if (plan.SkipReason is not null)
            {
                scope.Pump.Post(h => h.WriteObject(scope.Redacted(new StepResult(run.Node, step.Name, StepStatus.Skipped, duration: clock.Elapsed, message: plan.SkipReason))));
                return;
            }
            run.Plan = plan;
            if (plan.Changes.Count == 0)
            {
                run.Output = plan.Facts;
                scope.Pump.Post(h => h.WriteObject(scope.Redacted(new StepResult(run.Node, step.Name, StepStatus.Unchanged, duration: clock.Elapsed,
                    message: "already as desired", data: plan.Facts))));
            }
        }
        catch (Exception e)
        {
            Failed(scope, run, step, e, clock.Elapsed, cancellation);
        }
    }

    private static async Task ApplyAsync(RunScope scope, NodeRun run, NodeStep step, StepContext context, int percent, CancellationToken cancellation)
    {
        scope.Pump.Post(h => h.WriteProgress(run.Node, step.Name, "applying", percent));
        var clock = Stopwatch.StartNew();
        var plan = run.Plan!;
        try
        {
            run.Output = await step.ApplyAsync(plan, context).ConfigureAwait(false);
            var elapsed = run.PlanTime + clock.Elapsed;
            var message = plan.Changes.Count == 1 ? plan.Changes[0].Description : $"{plan.Changes.Count} changes";
            var output = run.Output;
            scope.Pump.Post(h => h.WriteObject(scope.Redacted(new StepResult(run.Node, step.Name, StepStatus.Changed, plan.Changes, elapsed,
                message, data: output))));
        }
        catch (Exception e)
        {
            Failed(scope, run, step, e, run.PlanTime + clock.Elapsed, cancellation);
        }
    }

    private static void Failed(RunScope scope, NodeRun run, NodeStep step, Exception error, TimeSpan elapsed, CancellationToken cancellation)
    {
        if (error is OperationCanceledException && cancellation.IsCancellationRequested) throw error;
        run.Active = false;
        var failure = scope.ToFailure(run.Node, step.Name, error);
        scope.Pump.Post(h =>
        {
            h.WriteObject(scope.Redacted(new StepResult(run.Node, step.Name, StepStatus.Failed, run.Plan?.Changes, elapsed, failure.Detail)));
            h.WriteFailure(failure);
        });
    }

    /// <summary>The ShouldProcess action text: the step, then each change with its diff.</summary>
    internal static string Describe(NodeStep step, StepPlan plan, Redactor redactor)
    {
        var text = new StringBuilder();
        text.Append(step.Name).Append(": ").Append(plan.Changes.Count.ToString(CultureInfo.InvariantCulture))
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
