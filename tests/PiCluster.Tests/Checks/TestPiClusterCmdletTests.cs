using System;
using System.IO;
using System.Linq;
using PiCluster.Checks.Cluster;
using PiCluster.Clusters;
using PiCluster.Commands;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using System.Threading;
using Xunit;

namespace PiCluster.Tests.Checks;

/// <summary>Test-PiCluster's cmdlet logic over fake sessions: the results, and -Quiet's one boolean.</summary>
public sealed class TestPiClusterCmdletTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("picluster-testcluster-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FakeConnector Nodes(string? swapOn = null) => new((node, command) => node.Name == swapOn
        ? FakeNodeSession.Ok(ClusterCheckTests.Script(false, swaps: "/swapfile file 524284 0 -2"))
        : FakeNodeSession.Ok(ClusterCheckTests.Script(node.Role == NodeRole.ControlPlane)));

    private static PiNode[] FileNodes() => ClusterNodes.ToPiNodes(ClusterCheckTests.Cluster()).ToArray();

    [Fact]
    public void QuietWritesOneTrueWhenEveryCheckPassesAndOneFalseWhenOneFails()
    {
        using var ca = ApiReachabilityTests.MakeCa("picluster-test-ca");
        using var server = new ApiReachabilityTests.FakeApiServer(ca);
        using var client = ApiReachabilityTests.Issue(ca, "CN=kubernetes-admin", server: false);
        var kubeconfig = ApiReachabilityTests.WriteKubeconfig(_dir, server.Port, ca, client);

        var healthy = new RecordingRunHost();
        new TestPiClusterCommand { Connector = Nodes(), KubeconfigPath = kubeconfig }.Check(FileNodes(), healthy, quiet: true, CancellationToken.None);
        Assert.Equal(new object[] { true }, healthy.Objects);

        var swapped = new RecordingRunHost();
        new TestPiClusterCommand { Connector = Nodes(swapOn: "w2"), KubeconfigPath = kubeconfig }.Check(FileNodes(), swapped, quiet: true, CancellationToken.None);
        Assert.Equal(new object[] { false }, swapped.Objects);
        Assert.Empty(swapped.Failures);

        var results = new RecordingRunHost();
        new TestPiClusterCommand { Connector = Nodes(swapOn: "w2"), KubeconfigPath = kubeconfig }.Execute(FileNodes(), results);
        Assert.All(results.Objects, o => Assert.IsType<ClusterCheckResult>(o));
        Assert.Equal(new[] { "w2 Swap" }, results.Output<ClusterCheckResult>().Where(r => !r.Passed).Select(r => $"{r.Node.Name} {r.Check}"));
    }

    [Fact]
    public void QuietIsFalseWhenTheApiCannotBeReachedFromThisMachine()
    {
        var host = new RecordingRunHost();
        new TestPiClusterCommand { Connector = Nodes(), KubeconfigPath = Path.Combine(_dir, "no-such-config") }.Check(FileNodes(), host, quiet: true, CancellationToken.None);
        Assert.Equal(new object[] { false }, host.Objects);
    }
}
