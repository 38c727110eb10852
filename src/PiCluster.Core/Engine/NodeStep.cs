using System.Threading.Tasks;

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

    /// <summary>Applies the plan's changes and verifies them. Throws <see cref="Transport.NodeException"/> on failure.</summary>
    /// <returns>Data for later steps (see <see cref="StepResult.Data"/>), or null.</returns>
    public abstract Task<object?> ApplyAsync(StepPlan plan, StepContext context);
}
