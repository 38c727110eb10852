using System;
using System.IO;
using PiCluster.Clusters;
using PiCluster.Engine;
using Xunit;

namespace PiCluster.Tests.Clusters;

public class ClusterNodesTests
{
    private static readonly string Home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    [Fact]
    public void NodeSshSettingsOverrideTheClusterDefaults()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "ClusterFiles", "valid", "ha.yaml");
        var cluster = ClusterFileLoader.Load(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;

        var nodes = ClusterNodes.ToPiNodes(cluster);

        Assert.Equal(4, nodes.Count);
        var cp1 = nodes[0];
        Assert.Equal(("cp1", "10.0.1.1", NodeRole.ControlPlane, "admin", (int?)null), (cp1.Name, cp1.Address, cp1.Role, cp1.User, cp1.Port));
        Assert.Equal(Path.Combine(Home, ".ssh/cluster_key"), cp1.IdentityFile);
        Assert.Equal(Path.Combine(folder, "ssh", "config"), cp1.ConfigFile);
        Assert.Equal(("root", "/etc/picluster/cp3_key"), (nodes[2].User, nodes[2].IdentityFile));
        Assert.Equal(Path.Combine(folder, "ssh", "config"), nodes[2].ConfigFile);
        Assert.Equal(NodeRole.Worker, nodes[3].Role);
        Assert.All(nodes, n => Assert.Same(cluster, n.Cluster));
    }

    [Fact]
    public void PortsLanAddressesAndRelativeKeysComeThroughForTheLab()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "ClusterFiles", "valid", "lab.yaml");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;

        var nodes = ClusterNodes.ToPiNodes(ClusterFileLoader.Load(path));

        Assert.Equal(new int?[] { 2201, 2202, 2203 }, new[] { nodes[0].Port, nodes[1].Port, nodes[2].Port });
        Assert.Equal("192.168.77.12", nodes[1].LanAddress);
        Assert.Equal(Path.Combine(folder, "id_ed25519"), nodes[0].IdentityFile);
        Assert.Equal(Path.Combine(folder, "ssh_config"), nodes[0].ConfigFile);
        Assert.Equal("pi@127.0.0.1:2203", nodes[2].Endpoint);
    }

    [Fact]
    public void WithoutSshSettingsEverythingIsLeftToSshConfig()
    {
        var cluster = ClusterFileLoader.Parse("name: x\nnodes: [{ name: a, address: a.lan, role: control-plane }]\n", "mem");

        var node = Assert.Single(ClusterNodes.ToPiNodes(cluster));

        Assert.Equal((null, null, null, null), (node.User, node.Port, node.IdentityFile, node.ConfigFile));
        Assert.Equal("a.lan", node.LanAddress);
    }

    [Theory]
    [InlineData("~", "")]
    [InlineData("~/.ssh/id", ".ssh/id")]
    [InlineData("https://example.org/key", null)]
    [InlineData("/abs/key", null)]
    public void ResolvePathExpandsHomeAndLeavesUrlsAndAbsolutePaths(string input, string? underHome)
    {
        var cluster = new ClusterDefinition { SourcePath = "/srv/clusters/home.yaml" };
        Assert.Equal(underHome is null ? input : Path.Combine(Home, underHome), cluster.ResolvePath(input));
    }

    [Fact]
    public void ResolvePathUsesTheClusterFileFolderForRelativePaths()
    {
        Assert.Equal("/srv/clusters/keys/k", new ClusterDefinition { SourcePath = "/srv/clusters/home.yaml" }.ResolvePath("keys/k"));
        Assert.Equal("keys/k", new ClusterDefinition().ResolvePath("keys/k"));
    }

    [Fact]
    public void SshTransportComesFromTheNodeElseTheClusterDefault()
    {
        var cluster = ClusterFileLoader.Parse("name: c\nssh: { transport: sshnet }\nnodes:\n"
            + "  - { name: a, address: 10.0.0.1, role: control-plane }\n"
            + "  - { name: b, address: 10.0.0.2, role: worker, ssh: { transport: openssh } }\n", "c.yaml");
        var nodes = ClusterNodes.ToPiNodes(cluster);
        Assert.Equal(PiCluster.Transport.SshTransport.SshNet, nodes[0].Transport);
        Assert.Equal(PiCluster.Transport.SshTransport.OpenSsh, nodes[1].Transport);
        Assert.Null(ClusterNodes.ToPiNodes(ClusterFileLoader.Parse("name: c\nnodes:\n  - { name: a, address: 10.0.0.1, role: control-plane }\n", "c.yaml"))[0].Transport);
    }
}
