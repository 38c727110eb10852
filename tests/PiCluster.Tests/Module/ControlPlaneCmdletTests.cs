using System;
using System.Linq;
using PiCluster.Clusters;
using PiCluster.Commands;
using PiCluster.Engine;
using PiCluster.Tests.ControlPlane;
using PiCluster.Tests.Fakes;
using PiCluster.Tests.Workers;
using Xunit;

namespace PiCluster.Tests.Module;

/// <summary>Initialize-PiControlPlane, Install-PiPodNetwork and Join-PiWorker hand their parameters to the phases.</summary>
public class ControlPlaneCmdletTests
{
    [Fact]
    public void InitializePiControlPlaneWithWhatIfPlansConfigImagesAndInitOnTheLeaderOnly()
    {
        var cluster = ControlPlanePhaseTests.Cluster();
        var connector = new FakeConnector(new ControlPlanePhaseTests.Nodes().Answer);
        var host = new RecordingRunHost { Answer = (_, _) => false };

        new InitializePiControlPlaneCommand { Connector = connector }.Execute(ClusterNodes.ToPiNodes(cluster), host);

        Assert.Empty(host.Failures);
        Assert.Equal(new[] { ("node1", "KubeadmConfig"), ("node1", "Images"), ("node1", "Init") },
            host.ShouldProcessCalls.Select(c => (c.Node.Name, c.Action.Split(':')[0])));
        Assert.Equal(2, host.Results.Count(r => r.Step == "Networks" && r.Status == StepStatus.Unchanged));
    }

    [Fact]
    public void InstallPiPodNetworkPassesThePluginOnAndFetchesItsPinnedManifest()
    {
        var cluster = ControlPlanePhaseTests.Cluster();
        var connector = new FakeConnector((node, command) => FakeNodeSession.Ok(command.Script.Contains("@@ admin_conf", StringComparison.Ordinal) ? "@@ admin_conf\nyes\n" : "yes\n"));
        var host = new RecordingRunHost();

        new InstallPiPodNetworkCommand { Plugin = "canal", Connector = connector }.Execute(ClusterNodes.ToPiNodes(cluster), host);

        // The fake leader serves nothing, so the fetch of canal's pinned manifest fails, naming it.
        var failure = Assert.Single(host.Failures);
        Assert.Equal("PodNetwork", failure.Step);
        Assert.Contains("canal.yaml", failure.Detail, StringComparison.Ordinal);
        Assert.Contains(connector.Sessions["node1"].Commands, c => c.Script.Contains("PICLUSTER_URL='https://raw.githubusercontent.com/projectcalico/calico/v3.30.3/manifests/canal.yaml'", StringComparison.Ordinal));
    }

    [Fact]
    public void JoinPiWorkerWithPipedWorkersAddsTheirClustersLeaderAndPassesTheReadyTimeout()
    {
        var world = new JoinWorld();
        var connector = new FakeConnector(world.Answer);
        var host = new RecordingRunHost { Answer = (_, _) => false };
        var workers = ClusterNodes.ToPiNodes(JoinWorld.Cluster()).Where(n => n.Role == NodeRole.Worker).ToList();

        new JoinPiWorkerCommand { Connector = connector, ReadyTimeout = 42 }.Execute(workers, host);

        Assert.Empty(host.Failures);
        Assert.Equal(new[] { "node1", "node2", "node3" }, connector.Sessions.Keys.OrderBy(n => n));
        Assert.Equal(new[] { ("node1", "JoinToken"), ("node2", "Join"), ("node3", "Join") },
            host.ShouldProcessCalls.Select(c => (c.Node.Name, c.Action.Split(':')[0])));
        Assert.Contains("wait up to 42 s for node node2 to be Ready", host.ShouldProcessCalls[1].Action, StringComparison.Ordinal);
        Assert.Empty(world.TokensCreated);
    }
}
