using System;
using System.Collections.Generic;

namespace PiCluster.Engine;

/// <summary>What a step found on a node and what it would change. Computed before anything is changed.</summary>
public sealed class StepPlan
{
    /// <summary>Creates a plan.</summary>
    public StepPlan(IReadOnlyList<Change> changes, object? facts = null, string? skipReason = null)
    {
        Changes = changes;
        Facts = facts;
        SkipReason = skipReason;
    }

    /// <summary>The differences from the desired state; empty when the node is already as desired.</summary>
    public IReadOnlyList<Change> Changes { get; }

    /// <summary>The facts gathered, for the apply phase.</summary>
    public object? Facts { get; }

    /// <summary>Set when the step does not apply to this node (the result is Skipped).</summary>
    public string? SkipReason { get; }

    /// <summary>A plan with nothing to do.</summary>
    public static StepPlan Unchanged(object? facts = null) => new(Array.Empty<Change>(), facts);
}
