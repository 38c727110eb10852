using System;
using System.Collections.Generic;
using PiCluster.Engine;

namespace PiCluster.Deploy;

/// <summary>What a deploy did on one node (one line of <see cref="DeployResult.Nodes"/>).</summary>
public sealed class DeployNodeResult
{
    /// <summary>Creates a result.</summary>
    public DeployNodeResult(PiNode node, DeployNodeStatus status, IReadOnlyList<string> changed, IReadOnlyList<string> planned,
        IReadOnlyList<string> changes, int reboots, TimeSpan duration, string? failedIn, string? error)
    {
        Node = node;
        Status = status;
        Changed = changed;
        Planned = planned;
        Changes = changes;
        Reboots = reboots;
        Duration = duration;
        FailedIn = failedIn;
        Error = error;
    }

    /// <summary>The node (so a result pipes into the node cmdlets).</summary>
    public PiNode Node { get; }

    /// <summary>The node's name.</summary>
    public string Name => Node.Name;

    /// <summary>control-plane or worker.</summary>
    public NodeRole Role => Node.Role;

    /// <summary>Unchanged, Changed, Planned (a dry run), Incomplete or Failed.</summary>
    public DeployNodeStatus Status { get; }

    /// <summary>The phases that changed the node, in run order.</summary>
    public IReadOnlyList<string> Changed { get; }

    /// <summary>The phases that would have changed the node but were not applied (-WhatIf, or -Confirm answered no).</summary>
    public IReadOnlyList<string> Planned { get; }

    /// <summary>Each change made, as "Phase: what".</summary>
    public IReadOnlyList<string> Changes { get; }

    /// <summary>How many times the deploy rebooted the node (at most one).</summary>
    public int Reboots { get; }

    /// <summary>The time the node's phases took.</summary>
    public TimeSpan Duration { get; }

    /// <summary>The phase the node failed in (Connect when it could not be reached or locked), else null.</summary>
    public string? FailedIn { get; }

    /// <summary>Why it failed, or why a phase it needs did not run; null otherwise.</summary>
    public string? Error { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Status}";
}
