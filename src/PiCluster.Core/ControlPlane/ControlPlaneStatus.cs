using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.ControlPlane;

/// <summary>What the kubeadm configuration phase found on the leader, for the image-pull and init phases.</summary>
/// <param name="ClusterRunning">The leader already runs a cluster (it holds /etc/kubernetes/admin.conf): nothing is initialised again.</param>
/// <param name="Differences">Settings the running cluster has that differ from the cluster file; reported, never "fixed".</param>
public sealed record ControlPlaneStatus(bool ClusterRunning, IReadOnlyList<SettingDifference> Differences)
{
    /// <inheritdoc />
    public override string ToString() => ClusterRunning
        ? Differences.Count == 0 ? "cluster running, as the file says" : "cluster running, differs from the file: " + ControlPlaneNodes.Describe(Differences)
        : "no cluster yet";
}

/// <summary>Helpers the control-plane phases share: the node's cluster file entry, and short error text.</summary>
internal static class ControlPlaneNodes
{
    /// <summary>
    /// The plan of a leader phase that only a cluster not yet up needs (images, init): Unchanged once KubeadmConfig
    /// found the cluster running, else the one change described.
    /// </summary>
    public static Task<StepPlan> UnlessClusterRunning(PhaseContext context, string change)
    {
        var status = context.State.Get(KubeadmConfigPhase.Status);
        return Task.FromResult(status.IsKnown && status.Value.ClusterRunning
            ? StepPlan.Unchanged(status.Value)
            : new StepPlan(new[] { new Change(change) }));
    }

    /// <summary>A kubeadm script of Scripts/ run as root against the generated configuration (PICLUSTER_CONFIG).</summary>
    public static RemoteCommand KubeadmCommand(string script, string display, TimeSpan timeout) =>
        new(RemoteScripts.Compose(script,
                new Dictionary<string, string> { ["PICLUSTER_CONFIG"] = KubeadmConfiguration.RemotePath }),
            asRoot: true, timeout: timeout, display: display);

    /// <summary>The cluster file the node came from.</summary>
    public static ClusterDefinition ClusterOf(PiNode node) => node.Cluster
        ?? throw new NodeException(NodeErrorKind.InvalidNodeState,
            "the node comes from no cluster file, which holds the subnets, runtime and network plugin: use -Path with the cluster file, or pipe nodes read from it.");

    /// <summary>The node's entry in its cluster file (a node built by hand gets one from its own fields).</summary>
    public static NodeDefinition DefinitionOf(ClusterDefinition cluster, PiNode node) =>
        cluster.Nodes.FirstOrDefault(n => string.Equals(n.Name, node.Name, StringComparison.Ordinal))
        ?? new NodeDefinition { Name = node.Name, Address = node.Address, LanAddress = node.LanAddress, Role = "control-plane" };

    /// <summary>The LAN addresses of every node of the file, with the routes of those this run read.</summary>
    public static IEnumerable<NodeNetworkFacts> NetworksOf(ClusterDefinition cluster, Func<string, NodeNetworkFacts?> read) =>
        cluster.Nodes.Select(n => read(n.Name) ?? new NodeNetworkFacts(n.Name, n.LanAddress ?? n.Address, Array.Empty<RouteFact>()));

    /// <summary>The last few lines of a command's output, for an error message.</summary>
    public static string Tail(string text, int lines = 8) =>
        string.Join(" | ", text.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(lines));

    /// <summary>"networking.podSubnet runs 10.244.0.0/16, the file says 10.200.0.0/16; ..."</summary>
    public static string Describe(IEnumerable<SettingDifference> differences) =>
        string.Join("; ", differences.Select(d => $"{d.Setting} runs '{d.Running}', the file says '{d.Wanted}'"));

    /// <summary>Throws the refusal for subnet problems, before anything changed.</summary>
    public static void RefuseConflicts(IReadOnlyList<string> problems)
    {
        if (problems.Count > 0)
            throw new NodeException(NodeErrorKind.SubnetConflict, "refused before any change: " + string.Join(" ", problems));
    }
}
