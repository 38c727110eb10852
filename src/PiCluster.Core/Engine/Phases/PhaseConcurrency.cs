namespace PiCluster.Engine.Phases;

/// <summary>How a <see cref="ClusterPhase"/> works through its nodes.</summary>
public enum PhaseConcurrency
{
    /// <summary>
    /// All nodes plan in parallel (at most the run's ThrottleLimit at once), then ShouldProcess is asked in node order,
    /// then the approved nodes apply in parallel.
    /// </summary>
    Parallel,

    /// <summary>
    /// One node at a time in node order, each planned, asked and applied before the next one plans: for rolling work
    /// such as drains and upgrades, where a node's plan depends on the nodes before it being done.
    /// </summary>
    OneAtATime,
}
