using System;
using System.Collections.Generic;
using System.Linq;

namespace PiCluster.Deploy;

/// <summary>The summary Deploy-PiCluster writes last: per node what changed, its reboots and time, and whether the deploy succeeded.</summary>
public sealed class DeployResult
{
    /// <summary>Creates a summary.</summary>
    public DeployResult(string cluster, IReadOnlyList<DeployNodeResult> nodes, TimeSpan duration, IReadOnlyList<Checks.Cluster.ClusterCheckResult>? checks = null,
        bool stopped = false)
    {
        Stopped = stopped;
        Cluster = cluster;
        Nodes = nodes;
        Duration = duration;
        Checks = checks ?? Array.Empty<Checks.Cluster.ClusterCheckResult>();
    }

    /// <summary>The cluster's name (from the cluster file).</summary>
    public string Cluster { get; }

    /// <summary>One line per node, in file order.</summary>
    public IReadOnlyList<DeployNodeResult> Nodes { get; }

    /// <summary>The whole run's wall time.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Test-PiCluster's results from the deploy's last phase (none in a dry run or when the leader failed).</summary>
    public IReadOnlyList<Checks.Cluster.ClusterCheckResult> Checks { get; }

    /// <summary>The run was cancelled (Ctrl+C) before its end; its nodes are Incomplete unless they had failed.</summary>
    public bool Stopped { get; }

    /// <summary>
    /// Every node went through every phase (Unchanged, Changed, or in a dry run Planned): none failed or was left
    /// incomplete (a stopped run leaves every node Incomplete or Failed), and no check of Error severity failed.
    /// </summary>
    public bool Succeeded => Nodes.Count > 0 && Nodes.All(n => n.Status is DeployNodeStatus.Unchanged or DeployNodeStatus.Changed or DeployNodeStatus.Planned)
        && Checks.All(c => c.Passed || c.Severity != PiCluster.Checks.CheckSeverity.Error);

    /// <summary>A dry run: nothing was changed anywhere, and some phase would have changed something.</summary>
    public bool DryRun => Nodes.Any(n => n.Status == DeployNodeStatus.Planned) && Nodes.All(n => n.Changed.Count == 0);

    /// <inheritdoc />
    public override string ToString() => $"{Cluster}: {(Stopped ? "stopped" : Succeeded ? "succeeded" : "failed")} ({string.Join(", ", Nodes)})";
}
