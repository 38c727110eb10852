using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Workers;

namespace PiCluster.Commands;

/// <summary>
/// Join-PiWorker: joins worker nodes to the cluster their file describes, through its leader: one short-lived bootstrap
/// token per run (deleted when the run ends), the CA pinned, kubeadm join on each worker in parallel, and a bounded
/// wait for each node to be Ready.
/// </summary>
[Cmdlet(VerbsCommon.Join, "PiWorker", SupportsShouldProcess = true, DefaultParameterSetName = NodeSet)]
[OutputType(typeof(StepResult))]
public sealed class JoinPiWorkerCommand : PiNodeCommandBase
{
    /// <summary>Seconds to wait, after a join, for the node to be Ready.</summary>
    [Parameter]
    [ValidateRange(10, 3600)]
    public int ReadyTimeout { get; set; } = 300;

    /// <summary>Minutes kubeadm join may take on one worker.</summary>
    [Parameter]
    [ValidateRange(1, 120)]
    public int JoinTimeout { get; set; } = 10;

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation)
    {
        var workers = nodes.Where(n => n.Role == NodeRole.Worker).ToList();
        if (workers.Count == 0)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("None of the nodes is a worker: pipe worker nodes, or use -Path with a cluster file that has some."),
                "NoWorkerNode", ErrorCategory.InvalidArgument, nodes));
        var clusters = workers.Select(n => n.Cluster).DistinctBy(FileOf).ToList();
        if (clusters.Count != 1 || clusters[0] is null)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException(
                "Join-PiWorker needs workers of one cluster file, which names their control plane: use -Path with the cluster file, or pipe nodes read from one."),
                "NoClusterFile", ErrorCategory.InvalidArgument, workers));
        RunPhases(RunNodes(clusters[0]!, nodes, workers), WorkerPhases.Join(new JoinOptions
        {
            ReadyTimeout = TimeSpan.FromSeconds(ReadyTimeout),
            JoinTimeout = TimeSpan.FromMinutes(JoinTimeout),
        }), host, cancellation);
    }

    // Nodes read from the same file in two Get-PiNode calls carry two copies of its cluster.
    private static string? FileOf(ClusterDefinition? cluster) => cluster is null ? null : (cluster.SourcePath ?? "") + "\n" + cluster.Name;

    // The workers and their cluster's control planes (the leader among them), the given ones where given, in file order.
    private static IReadOnlyList<PiNode> RunNodes(ClusterDefinition cluster, IReadOnlyList<PiNode> given, IReadOnlyList<PiNode> workers)
    {
        var controlPlanes = given.Where(n => n.Role == NodeRole.ControlPlane && FileOf(n.Cluster) == FileOf(cluster)).ToList();
        if (controlPlanes.Count == 0)
            controlPlanes = ClusterNodes.ToPiNodes(cluster).Where(n => n.Role == NodeRole.ControlPlane).ToList();
        var order = cluster.Nodes.Select((n, i) => (n.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        return controlPlanes.Concat(workers).OrderBy(n => order.TryGetValue(n.Name, out var i) ? i : int.MaxValue).ToList();
    }
}
