using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// Runs steps over nodes, k0sctl-style: each <see cref="NodeStep"/> is a <see cref="NodeStepPhase"/> on every node,
/// run by the <see cref="PhaseRunner"/>. Per step: <see cref="NodeStep.PlanAsync"/> on all nodes in parallel (at most
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
/// Data for later steps: <see cref="StepContext.Shared"/> holds, under <c>"Step/node"</c>, what
/// <see cref="NodeStep.ApplyAsync"/> returned on that node (or the plan's <see cref="StepPlan.Facts"/> when nothing
/// had to change), and under <c>"Step"</c> the first such non-null value in node order. Cluster work (a leader, typed
/// outputs, dry-run placeholders) is written as <see cref="ClusterPhase"/>s instead.
/// </remarks>
public sealed class ClusterRunner
{
    /// <summary>The step name used for failures while connecting and taking the lock.</summary>
    public const string ConnectStep = PhaseRunner.ConnectStep;

    private readonly PhaseRunner _runner;

    /// <summary>Creates a runner that connects through <paramref name="connector"/>.</summary>
    public ClusterRunner(INodeConnector connector, RunOptions options) => _runner = new PhaseRunner(connector, options);

    /// <summary>
    /// Runs <paramref name="steps"/> in order over <paramref name="nodes"/>, calling <paramref name="host"/> only on this
    /// thread. Returns when every node is done or has failed. Throws <see cref="OperationCanceledException"/> after
    /// <paramref name="cancellation"/> fired, once remote work is stopped and connections are closed.
    /// </summary>
    public void Run(IReadOnlyList<PiNode> nodes, IReadOnlyList<NodeStep> steps, IRunHost host, CancellationToken cancellation)
    {
        if (steps is null) throw new ArgumentNullException(nameof(steps));
        _runner.Run(nodes, steps.Select(step => (ClusterPhase)new NodeStepPhase(step)).ToList(), host, cancellation);
    }
}
