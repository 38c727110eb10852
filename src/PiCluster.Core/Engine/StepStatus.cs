namespace PiCluster.Engine;

/// <summary>What a step did on a node.</summary>
public enum StepStatus
{
    /// <summary>The node already was as desired; nothing was changed.</summary>
    Unchanged,

    /// <summary>The step changed the node (or, with -WhatIf, would have).</summary>
    Changed,

    /// <summary>The step failed on this node.</summary>
    Failed,

    /// <summary>The step did not run on this node (not applicable, or declined).</summary>
    Skipped,
}
