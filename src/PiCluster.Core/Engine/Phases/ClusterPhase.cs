using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine.Phases;

/// <summary>
/// One piece of cluster work, run by <see cref="PhaseRunner"/> on the nodes its <see cref="Targets"/> select: like a
/// <see cref="NodeStep"/> (plan without changing anything, then apply only what the plan lists), but it knows the
/// cluster: the leader, and what earlier phases produced (<see cref="ClusterState"/>).
/// </summary>
/// <remarks>
/// <para>To write one: give it a <see cref="Name"/>, choose <see cref="Targets"/> and <see cref="Concurrency"/>,
/// implement <see cref="PlanAsync"/> and <see cref="ApplyAsync"/>, and list in <see cref="FactCommands"/> the read-only
/// commands its plan runs (they are read in the run's one fact round trip).</para>
/// <para>Data for later phases: declare a <see cref="PhaseOutput{T}"/> (a static field), list it in
/// <see cref="Outputs"/>, and set it with <see cref="PhaseContext.Set{T}"/> in the plan (when it comes from facts)
/// or the apply. Later phases read it with <c>context.State.Get(output)</c>. Making a secret that did not exist
/// (a join token) is a change: list it in the plan, so that a dry run asks and shows a placeholder instead.</para>
/// <para>Failures: a node whose plan or apply throws drops out of the later phases; when its apply threw,
/// <see cref="CleanUpAsync"/> runs there first. When the leader fails, the later phases that need it
/// (<see cref="NeedsLeader"/>) do not run; the others go on.</para>
/// </remarks>
public abstract class ClusterPhase
{
    /// <summary>Short name shown in results and placeholders, e.g. "Init".</summary>
    public abstract string Name { get; }

    /// <summary>The nodes the phase runs on; every node by default.</summary>
    public virtual PhaseTargets Targets => PhaseTargets.All;

    /// <summary>Parallel (the default) or one node at a time.</summary>
    public virtual PhaseConcurrency Concurrency => PhaseConcurrency.Parallel;

    /// <summary>
    /// The phase cannot run without a working leader (it reads the leader's outputs or uses its session): it does not
    /// run once the leader failed. True for phases that run on the leader; override for others that need it.
    /// </summary>
    public virtual bool NeedsLeader => Targets == PhaseTargets.Leader;

    /// <summary>The outputs this phase may set (<see cref="PhaseContext.Set{T}"/> refuses others).</summary>
    public virtual IReadOnlyList<PhaseOutput> Outputs => Array.Empty<PhaseOutput>();

    /// <summary>
    /// The read-only commands <see cref="PlanAsync"/> will run on this node, built exactly as it builds them, read for
    /// every phase in one round trip before any phase plans (see <see cref="NodeStep.FactCommands"/>). Only what is
    /// known before the run: no outputs, no leader yet; a phase on the leader is asked on every control plane.
    /// </summary>
    public virtual IEnumerable<RemoteCommand> FactCommands(PhaseContext context) => Array.Empty<RemoteCommand>();

    /// <summary>Gathers facts and plans what would change on this node. Must not change anything.</summary>
    public abstract Task<StepPlan> PlanAsync(PhaseContext context);

    /// <summary>Applies the plan's changes and verifies them. Throws <see cref="NodeException"/> on failure.</summary>
    /// <returns>Data for the node's <see cref="StepResult.Data"/> (never printed), or null. Later phases read outputs instead.</returns>
    public abstract Task<object?> ApplyAsync(StepPlan plan, PhaseContext context);

    /// <summary>
    /// Runs on a node after <see cref="ApplyAsync"/> threw there (never after a failed plan, a success, or Ctrl+C), to
    /// undo a half-made state, e.g. <c>kubeadm reset -f</c>. The node still fails with the apply's error; a clean-up
    /// that throws adds a warning. Does nothing by default.
    /// </summary>
    public virtual Task CleanUpAsync(StepPlan plan, PhaseContext context) => Task.CompletedTask;

    /// <summary>
    /// Runs once on every node where this phase planned, after the run's last phase, whatever happened: also after a
    /// failure there or elsewhere, and after Ctrl+C. For what must not outlive the run, e.g. a join token. The run's
    /// token (<see cref="PhaseContext.Cancellation"/>) may be cancelled by then: use <paramref name="cancellation"/>, a
    /// short limit of its own. Phases run it in reverse order, before the connections close; a throw adds a warning.
    /// Does nothing by default.
    /// </summary>
    public virtual Task AfterRunAsync(PhaseContext context, CancellationToken cancellation) => Task.CompletedTask;

    /// <summary>Whether the phase runs on <paramref name="node"/>, given the run's leader (null before it is known).</summary>
    internal bool RunsOn(PiNode node, PiNode? leader) => Targets switch
    {
        PhaseTargets.All => true,
        PhaseTargets.ControlPlanes => node.Role == NodeRole.ControlPlane,
        PhaseTargets.Workers => node.Role == NodeRole.Worker,
        // Before the leader is known (fact commands), every control plane may be it.
        _ => leader is null ? node.Role == NodeRole.ControlPlane : ReferenceEquals(node, leader),
    };
}
