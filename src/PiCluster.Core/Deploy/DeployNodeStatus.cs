namespace PiCluster.Deploy;

/// <summary>How a deploy left one node.</summary>
public enum DeployNodeStatus
{
    /// <summary>Every phase found the node as desired.</summary>
    Unchanged,

    /// <summary>Some phase changed the node, and every phase succeeded.</summary>
    Changed,

    /// <summary>A dry run (-WhatIf, or -Confirm answered no): some phase would change the node; nothing was changed.</summary>
    Planned,

    /// <summary>A phase that the node needs did not run: the leader failed, or the run was stopped before its end.</summary>
    Incomplete,

    /// <summary>A phase failed on the node; it took no part in the later phases.</summary>
    Failed,
}
