using System;
using System.IO;
using System.Linq;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Hosting;
using Xunit;

namespace PiCluster.Tests.Module;

public sealed class ClusterFileNodesTests : IDisposable
{
    private const string Cluster = """
        name: lab
        kubernetes:
          version: "1.34"
        ssh:
          user: pi
        nodes:
          - name: cp1
            address: 127.0.0.1
            role: control-plane
            ssh: { port: 2201 }
          - name: worker1
            address: 127.0.0.1
            role: worker
            ssh: { port: 2202 }
          - name: worker2
            address: 127.0.0.1
            role: worker
            ssh: { port: 2203 }
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("picluster-nodes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void SelectsNodesByWildcardInFileOrder()
    {
        var nodes = ClusterFileNodes.Select(Write("c.yaml", Cluster), new[] { "worker*", "cp1" }, out var unmatched);

        Assert.Equal(new[] { "cp1", "worker1", "worker2" }, nodes.Select(n => n.Name));
        Assert.Empty(unmatched);
        Assert.Equal(NodeRole.ControlPlane, nodes[0].Role);
        Assert.Equal(2201, nodes[0].Port);
        Assert.Equal("pi", nodes[0].User);
    }

    [Fact]
    public void APlainNameThatMatchesNothingIsReported()
    {
        var nodes = ClusterFileNodes.Select(Write("c.yaml", Cluster), new[] { "nope" }, out var unmatched);
        Assert.Empty(nodes);
        Assert.Equal(new[] { "nope" }, unmatched);
    }

    [Fact]
    public void AnInvalidFileThrowsWithEveryErrorAndPosition()
    {
        var bad = Cluster.Replace("address: 127.0.0.1\n    role: worker\n    ssh: { port: 2203 }", "address: 127.0.0.1\n    role: boss\n    ssh: { port: 2202 }")
            .Replace("name: worker2", "name: worker_2");
        var e = Assert.Throws<ClusterFileException>(() => ClusterFileNodes.Select(Write("bad.yaml", bad), null, out _));
        Assert.True(e.Errors.Count >= 2, e.Message);
        Assert.All(e.Errors, err => Assert.True(err.Line > 0 && err.Column > 0));
        Assert.Contains("bad.yaml:", e.Message);
    }

    [Fact]
    public void CompletesNamesFromTheFile()
    {
        var path = Write("c.yaml", Cluster);
        Assert.Equal(new[] { "worker1", "worker2" }, ClusterFileNodes.CompleteNames(path, "wo"));
        Assert.Equal(new[] { "cp1", "worker1", "worker2" }, ClusterFileNodes.CompleteNames(path, ""));
    }

    [Fact]
    public void CompletionOfAMissingOrBrokenFileIsEmpty()
    {
        Assert.Empty(ClusterFileNodes.CompleteNames(Path.Combine(_dir, "missing.yaml"), ""));
        Assert.Empty(ClusterFileNodes.CompleteNames(Write("broken.yaml", "nodes: [\n"), ""));
        Assert.Empty(ClusterFileNodes.CompleteNames(null, ""));
    }
}
