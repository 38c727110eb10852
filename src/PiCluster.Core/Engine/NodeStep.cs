using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// One idempotent piece of work on a node, k0sctl-style: <see cref="PlanAsync"/> gathers facts and computes the
/// difference from the desired state without changing anything (this is all -WhatIf runs); <see cref="ApplyAsync"/>
/// changes only what the plan lists, then verifies.
/// </summary>
public abstract class NodeStep
{
    /// <summary>Short name shown in results, e.g. "Swap".</summary>
    public abstract string Name { get; }

    /// <summary>Gathers facts (ideally in one round trip) and plans. Must not change the node.</summary>
    public abstract Task<StepPlan> PlanAsync(StepContext context);

    /// <summary>
    /// The read-only commands <see cref="PlanAsync"/> will run on this node, built exactly as it builds them, so that the
    /// runner can read the facts of every step of a run in one round trip before any step plans. Only what is known
    /// before the run starts (nothing from earlier steps' outputs). A command left out costs its own round trip; a
    /// command listed but not run costs nothing but its share of the batch.
    /// </summary>
    public virtual IEnumerable<RemoteCommand> FactCommands(StepContext context) => Array.Empty<RemoteCommand>();

    /// <summary>Applies the plan's changes and verifies them. Throws <see cref="Transport.NodeException"/> on failure.</summary>
    /// <returns>Data for later steps (see <see cref="StepResult.Data"/>), or null.</returns>
    public abstract Task<object?> ApplyAsync(StepPlan plan, StepContext context);
}
