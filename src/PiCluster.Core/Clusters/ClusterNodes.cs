using System.Collections.Generic;
using System.Linq;
using PiCluster.Engine;

namespace PiCluster.Clusters;

/// <summary>Turns a cluster definition into the node objects the cmdlets and the runner work with.</summary>
public static class ClusterNodes
{
    /// <summary>
    /// One <see cref="PiNode"/> per node, in file order: each node's ssh settings override the cluster-wide ones,
    /// key and config paths have ~ expanded and are resolved against the cluster file's folder, and each node
    /// carries the cluster.
    /// </summary>
    public static IReadOnlyList<PiNode> ToPiNodes(ClusterDefinition cluster) => cluster.Nodes
        .Select(n => new PiNode(
            n.Name,
            n.Address,
            n.Role == "control-plane" ? NodeRole.ControlPlane : NodeRole.Worker,
            user: Pick(n.Ssh.User, cluster.Ssh.User),
            port: n.Ssh.Port ?? cluster.Ssh.Port,
            identityFile: Path(cluster, Pick(n.Ssh.IdentityFile, cluster.Ssh.IdentityFile)),
            configFile: Path(cluster, Pick(n.Ssh.ConfigFile, cluster.Ssh.ConfigFile)),
            lanAddress: n.LanAddress,
            cluster: cluster,
            transport: PiCluster.Transport.SshTransports.Parse(Pick(n.Ssh.Transport, cluster.Ssh.Transport))))
        .ToList();

    private static string? Pick(string? node, string? cluster) =>
        !string.IsNullOrEmpty(node) ? node : !string.IsNullOrEmpty(cluster) ? cluster : null;

    private static string? Path(ClusterDefinition cluster, string? path) => path is null ? null : cluster.ResolvePath(path);
}
