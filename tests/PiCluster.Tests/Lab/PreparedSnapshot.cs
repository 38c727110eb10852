using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.Kubernetes;
using PiCluster.Steps.NodePrep;
using PiCluster.Steps.Runtime;
using Xunit;
using static PiCluster.Tests.Lab.LabRuns;

namespace PiCluster.Tests.Lab;

/// <summary>
/// node1-3 prepared (Initialize-PiNode with its reboot, the runtime, the Kubernetes packages) and not yet initialised:
/// the lab snapshot "prepared". DeployLabTests takes it in the middle of its cold deploy from fresh nodes, once the
/// three are prepared and before the leader's kubeadm configuration, so that ControlPlaneLabTests restores it in seconds
/// instead of preparing the same three nodes again (that cost CI about 15 minutes). Run alone or before the deploy, it
/// finds no snapshot, prepares the nodes as an admin would and takes it.
/// </summary>
internal static class PreparedSnapshot
{
    public const string Tag = "prepared";
    public static readonly string[] Nodes = ["node1", "node2", "node3"];

    /// <summary>
    /// node1-3 as the deploy's three-node cluster file has them: Initialize-PiNode's /etc/hosts then lists these three, as
    /// on the deploy's nodes (the lab's file lists five nodes).
    /// </summary>
    public static IReadOnlyList<PiNode> PiNodes(LabFixture lab)
    {
        var cluster = ClusterFileLoader.Load(lab.ClusterFilePath);
        cluster.Nodes.RemoveAll(n => !Nodes.Contains(n.Name));
        return ClusterNodes.ToPiNodes(cluster);
    }

    /// <summary>Restores the snapshot, or prepares node1-3 from their first-boot state and takes it.</summary>
    public static async Task RestoreOrMakeAsync(LabFixture lab)
    {
        if (await RestoreAsync(lab)) return;
        await lab.ResetAsync(Nodes);
        var nodes = PiNodes(lab);
        var (packages, _) = Run(nodes, [new ContainerRuntimeStep(), new KubernetesPackagesStep()]);
        Assert.True(packages.Failures.Count == 0, Describe(packages));
        var (prepared, _) = Run(nodes, [InitializeNodeStep.Create(Preparation())]);
        Assert.True(prepared.Failures.Count == 0, Describe(prepared));
        await lab.SnapshotAsync(Tag, Nodes);
    }

    /// <summary>
    /// Restores the snapshot; false when there is none. Taken mid-deploy, it holds that run's lock, whose lease counts on
    /// the node's monotonic clock (which the restore winds back) and whose client process is this test process, still
    /// alive: the lock is removed, because the run that held it is over.
    /// </summary>
    public static async Task<bool> RestoreAsync(LabFixture lab)
    {
        if (!await lab.TryResetToAsync(Tag, Nodes)) return false;
        foreach (var node in Nodes) await RootAsync(lab, node, "rm -f /run/lock/picluster.lock");
        return true;
    }
}
