using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using PiCluster.Commands;
using PiCluster.Deploy;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Steps.NodePrep;
using PiCluster.Tests.Fakes;
using Xunit;

namespace PiCluster.Tests.Deploy;

/// <summary>
/// Deploy-PiCluster's composition over three fake nodes: the phase order, -WhatIf on fresh nodes (every phase planned
/// on every node, nothing changed), a converged cluster (Unchanged everywhere in one connection and three round trips
/// per node), a node failing preparation, and a failed leader.
/// </summary>
public sealed class DeployTests
{
    private static readonly string[] Order =
    {
        "Preflight", "PreflightAcrossNodes", "Initialize", "ContainerRuntime", "KubernetesPackages",
        "Networks", "KubeadmConfig", "Images", "Init", "PodNetwork", "Kubeconfig",
        "WorkerFacts", "JoinToken", "Join", "ClusterCheckFacts", "ClusterChecks",
    };

    /// <summary>The phases with a result on the leader, and on a worker, of a converged cluster.</summary>
    private static readonly string[] LeaderResults = Order.Except(new[] { "WorkerFacts", "Join" }).ToArray();
    private static readonly string[] WorkerResults = Order.Take(6).Concat(new[] { "WorkerFacts", "Join", "ClusterCheckFacts" }).ToArray();

    private static readonly string[] LeaderPhases = { "KubeadmConfig", "Images", "Init", "PodNetwork", "Kubeconfig" };

    private static (RecordingRunHost Host, DeployResult Result) Run(FakeCluster cluster, bool approve, DeployOptions? options = null)
    {
        var host = new RecordingRunHost { Answer = (_, _) => approve };
        var recorder = new DeployRecorder(host, cluster.Nodes);
        new PhaseRunner(cluster.Connector, new RunOptions()).Run(cluster.Nodes, DeployPlan.Phases(options ?? cluster.Options()), recorder, CancellationToken.None);
        Assert.Empty(host.WrongThreadCalls);
        return (host, recorder.Result(cluster.Definition.Name));
    }

    private static string Phase(string action) => action.Substring(0, action.IndexOf(':'));

    [Fact]
    public void ThePhasesComeInDeployOrderEachTheCmdletsOwn()
    {
        using var cluster = new FakeCluster(converged: false);
        var phases = DeployPlan.Phases(cluster.Options());
        Assert.Equal(Order, phases.Select(p => p.Name));
        Assert.Equal(LeaderPhases.Append("JoinToken").Append("ClusterChecks"), phases.Where(p => p.Targets == PhaseTargets.Leader).Select(p => p.Name));
        Assert.All(phases.Take(5), p => Assert.Equal(PhaseTargets.All, p.Targets));
        // Node preparation is Initialize-PiNode's own step, with its single reboot at the end.
        var preparation = Assert.IsType<InitializeNodeStep>(Assert.IsType<NodeStepPhase>(phases[2]).Step);
        Assert.Equal(InitializeNodeStep.Create(new NodePreparationOptions()).Parts.Select(p => p.Name), preparation.Parts.Select(p => p.Name));
        Assert.NotNull(preparation.Restart);
        Assert.True(preparation.Restart!.OnlyIfNeeded);
        Assert.Equal(PiCluster.ControlPlane.ControlPlanePhases.Init(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)).Select(p => p.GetType()),
            phases.Skip(5).Take(4).Select(p => p.GetType()));
        // Then Join-PiWorker's phases and Test-PiCluster's.
        Assert.Equal(PiCluster.Workers.WorkerPhases.Join(new PiCluster.Workers.JoinOptions()).Select(p => p.GetType()), phases.Skip(11).Take(3).Select(p => p.GetType()));
        Assert.Equal(new[] { typeof(PiCluster.Checks.Cluster.ClusterCheckFactsPhase), typeof(PiCluster.Checks.Cluster.ClusterCheckPhase) }, phases.Skip(14).Select(p => p.GetType()));
    }

    [Fact]
    public void WithoutTheKubeconfigThereIsNoKubeconfigPhase()
    {
        using var cluster = new FakeCluster(converged: false);
        var options = cluster.Options();
        options.Kubeconfig = null;
        Assert.Equal(Order.Where(p => p != "Kubeconfig"), DeployPlan.Phases(options).Select(p => p.Name));
    }

    [Fact]
    public void WhatIfOnFreshNodesPlansEveryPhaseOnEveryNodeAndChangesNothing()
    {
        using var cluster = new FakeCluster(converged: false);
        var (host, result) = Run(cluster, approve: false);

        Assert.Empty(host.Failures);
        Assert.Empty(cluster.Changes);
        Assert.False(System.IO.File.Exists(cluster.KubeconfigPath));
        Assert.DoesNotContain(host.Results, r => r.Status is StepStatus.Changed or StepStatus.Failed);
        // The checks say why they did not run: there is no cluster to check yet.
        var skipped = Assert.Single(host.Results, r => r.Status == StepStatus.Skipped);
        Assert.Equal(("node1", "ClusterChecks"), (skipped.Node.Name, skipped.Step));
        Assert.Contains("declined", skipped.Message, StringComparison.Ordinal);
        var asked = host.ShouldProcessCalls.GroupBy(c => c.Node.Name).ToDictionary(g => g.Key, g => g.Select(c => Phase(c.Action)).ToList());
        var everyNode = new[] { "Initialize", "ContainerRuntime", "KubernetesPackages" };
        Assert.Equal(everyNode.Concat(LeaderPhases).Append("JoinToken"), asked["node1"]);
        Assert.Equal(everyNode.Append("Join"), asked["node2"]);
        Assert.Equal(everyNode.Append("Join"), asked["node3"]);
        // Each node's preparation plans its one reboot.
        Assert.All(host.ShouldProcessCalls.Where(c => Phase(c.Action) == "Initialize"), c => Assert.Contains("Restart: reboot", c.Action, StringComparison.Ordinal));

        // The leader's phases plan from placeholders for what the earlier phases would make.
        var leader = host.ShouldProcessCalls.Where(c => c.Node.Name == "node1").ToDictionary(c => Phase(c.Action), c => c.Action);
        Assert.Contains("once kubeadm is installed", leader["KubeadmConfig"], StringComparison.Ordinal);
        Assert.Contains("+kubernetesVersion: <the newest 1.34 patch, which the Packages phase (Install-PiKubernetes) installs>", leader["KubeadmConfig"], StringComparison.Ordinal);
        Assert.Contains("+  podSubnet: 10.244.0.0/16", leader["KubeadmConfig"], StringComparison.Ordinal);
        Assert.Contains("once the Init phase has created the cluster", leader["PodNetwork"], StringComparison.Ordinal);
        Assert.Contains("SHA-256 verified", leader["PodNetwork"], StringComparison.Ordinal);
        Assert.Contains("placeholders for what kubeadm init creates on node1", leader["Kubeconfig"], StringComparison.Ordinal);
        Assert.Contains("+    server: " + FakeCluster.ApiServer, leader["Kubeconfig"], StringComparison.Ordinal);
        Assert.DoesNotContain(host.Warnings, w => w.Contains("run Initialize-PiControlPlane before", StringComparison.Ordinal));

        Assert.True(result.Succeeded);
        Assert.True(result.DryRun);
        Assert.All(result.Nodes, n => Assert.Equal(DeployNodeStatus.Planned, n.Status));
        Assert.Equal(everyNode.Concat(LeaderPhases).Append("JoinToken"), result.Nodes[0].Planned);
        Assert.Empty(result.Checks);
        Assert.All(result.Nodes, n => Assert.Equal(0, n.Reboots));
        Assert.All(cluster.Connector.Opens.Values, opens => Assert.Equal(1, opens));
    }

    [Fact]
    public void AConvergedClusterIsUnchangedEverywhereInOneConnectionAndThreeRoundTripsPerNode()
    {
        using var cluster = new FakeCluster(converged: true);
        var before = System.IO.File.ReadAllText(cluster.KubeconfigPath);
        var (host, result) = Run(cluster, approve: true);

        Assert.Empty(host.Failures);
        Assert.Empty(host.ShouldProcessCalls);
        Assert.Empty(cluster.Changes);
        Assert.Equal(before, System.IO.File.ReadAllText(cluster.KubeconfigPath));
        Assert.All(host.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
        Assert.Equal(LeaderResults, host.Results.Where(r => r.Node.Name == "node1").Select(r => r.Step));
        Assert.Equal(WorkerResults, host.Results.Where(r => r.Node.Name == "node2").Select(r => r.Step));
        // Test-PiCluster's checks ran last, on the facts of the same round trip, and all passed.
        Assert.NotEmpty(result.Checks);
        Assert.All(result.Checks, c => Assert.True(c.Passed, $"{c.Node.Name} {c.Check}: {c.Detail}"));
        foreach (var node in cluster.Nodes)
        {
            Assert.Equal(1, cluster.Connector.Opens[node.Name]);
            var session = cluster.Connector.Sessions[node.Name];
            Assert.Equal(1, session.Connections);
            Assert.True(session.RoundTrips <= 3, $"{node.Name}: {session.RoundTrips} round trips: {string.Join(", ", session.Commands.Select(c => c.Display))}");
        }
        Assert.Contains("node1: 1 connection, 3 round trips", host.Verbose);

        Assert.True(result.Succeeded);
        Assert.False(result.DryRun);
        Assert.All(result.Nodes, n =>
        {
            Assert.Equal(DeployNodeStatus.Unchanged, n.Status);
            Assert.Empty(n.Changed);
            Assert.Equal(0, n.Reboots);
        });
    }

    [Fact]
    public void AWorkerAddedToTheFileIsTheOnlyNodePreparedTheOthersOnlyGetItsHostsLine()
    {
        using var cluster = new FakeCluster(converged: true, addedWorker: true);
        var (host, result) = Run(cluster, approve: false);

        Assert.Empty(host.Failures);
        Assert.Equal(new[] { "Initialize", "ContainerRuntime", "KubernetesPackages", "Join" },
            host.ShouldProcessCalls.Where(c => c.Node.Name == "node4").Select(c => Phase(c.Action)));
        // The leader makes the one token node4 joins with.
        Assert.Equal(new[] { "Initialize", "JoinToken" }, host.ShouldProcessCalls.Where(c => c.Node.Name == "node1").Select(c => Phase(c.Action)));
        foreach (var name in new[] { "node1", "node2", "node3" })
        {
            var asked = host.ShouldProcessCalls.First(c => c.Node.Name == name).Action;
            Assert.StartsWith("Initialize: 1 change\n  - Hostname: ", asked, StringComparison.Ordinal);
            Assert.Contains("+192.168.77.14\tnode4", asked, StringComparison.Ordinal);
        }
        Assert.All(host.Results.Where(r => LeaderPhases.Contains(r.Step)), r => Assert.Equal(StepStatus.Unchanged, r.Status));
        Assert.Empty(cluster.Changes);
        Assert.Equal(new[] { "Initialize", "ContainerRuntime", "KubernetesPackages", "Join" }, result.Nodes.Single(n => n.Name == "node4").Planned);
    }

    [Fact]
    public void ANodeFailingPreparationDropsOutWhileTheOthersGoOn()
    {
        using var cluster = new FakeCluster(converged: false);
        cluster.PreparationFails.Add("node2");
        var (host, result) = Run(cluster, approve: false);

        var failure = Assert.Single(host.Failures);
        Assert.Equal(("node2", "Initialize"), (failure.Node.Name, failure.Step));
        Assert.DoesNotContain(host.ShouldProcessCalls, c => c.Node.Name == "node2");
        Assert.Equal(new[] { "Initialize", "ContainerRuntime", "KubernetesPackages", "Join" },
            host.ShouldProcessCalls.Where(c => c.Node.Name == "node3").Select(c => Phase(c.Action)));
        Assert.Contains(host.ShouldProcessCalls, c => c.Node.Name == "node1" && Phase(c.Action) == "Kubeconfig");

        Assert.False(result.Succeeded);
        var node2 = result.Nodes.Single(n => n.Name == "node2");
        Assert.Equal(DeployNodeStatus.Failed, node2.Status);
        Assert.Equal("Initialize", node2.FailedIn);
        Assert.Contains("facts unreadable", node2.Error, StringComparison.Ordinal);
        Assert.All(result.Nodes.Where(n => n.Name != "node2"), n => Assert.Equal(DeployNodeStatus.Planned, n.Status));
    }

    [Fact]
    public void ARunStoppedBeforeItsEndIsNotSucceededAndNoNodeIsReportedAsThroughEveryPhase()
    {
        using var cluster = new FakeCluster(converged: true, addedWorker: true);
        using var stop = new CancellationTokenSource();
        // Ctrl+C once the leader's phases are done and the joins are asked for.
        var host = new RecordingRunHost { Answer = (_, action) => { if (Phase(action) == "Join") stop.Cancel(); return false; } };
        var recorder = new DeployRecorder(host, cluster.Nodes);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new PhaseRunner(cluster.Connector, new RunOptions()).Run(cluster.Nodes, DeployPlan.Phases(cluster.Options()), recorder, stop.Token));

        var stopped = recorder.Result(cluster.Definition.Name, stopped: true);
        Assert.True(stopped.Stopped);
        Assert.False(stopped.Succeeded);
        Assert.All(stopped.Nodes, n => Assert.Equal((DeployNodeStatus.Incomplete, DeployRecorder.StoppedMessage), (n.Status, n.Error)));
        Assert.StartsWith("homelab: stopped", stopped.ToString(), StringComparison.Ordinal);
        // The same record read as a finished run would have passed the nodes that were through: stopping is what fails it.
        Assert.False(recorder.Result(cluster.Definition.Name).Stopped);
    }

    [Fact]
    public void AFailedLeaderStopsThePhasesThatNeedItAndTheWorkersGoOn()
    {
        using var cluster = new FakeCluster(converged: false);
        cluster.PreparationFails.Add("node1");
        var (host, result) = Run(cluster, approve: false);

        Assert.Equal(("node1", "Initialize"), (Assert.Single(host.Failures).Node.Name, host.Failures[0].Step));
        foreach (var phase in LeaderPhases)
            Assert.Contains(host.Warnings, w => w.StartsWith($"Phase {phase} did not run: it needs the leader node1, which failed in Initialize", StringComparison.Ordinal));
        Assert.DoesNotContain(host.ShouldProcessCalls, c => LeaderPhases.Contains(Phase(c.Action)));
        Assert.Equal(new[] { "Initialize", "ContainerRuntime", "KubernetesPackages" },
            host.ShouldProcessCalls.Where(c => c.Node.Name == "node2").Select(c => Phase(c.Action)));

        Assert.False(result.Succeeded);
        Assert.Equal(DeployNodeStatus.Failed, result.Nodes[0].Status);
    }

    [Fact]
    public void APreflightErrorDropsTheNodeBeforeAnyChangeButWhatPreparationFixesDoesNot()
    {
        using var cluster = new FakeCluster(converged: false);
        // Fresh nodes have swap on, no memory cgroup and the same hostname: preparation fixes those, so none is dropped.
        var (fresh, _) = Run(cluster, approve: false);
        Assert.Empty(fresh.Failures);
        Assert.Contains(fresh.Verbose, v => v.Contains("Swap:", StringComparison.Ordinal) && v.Contains("node preparation fixes this", StringComparison.Ordinal));
        Assert.Contains(fresh.Verbose, v => v.Contains("HostnameUnique:", StringComparison.Ordinal) && v.Contains("node preparation fixes this", StringComparison.Ordinal));

        // A 32-bit userland is an Error no phase fixes: that node is dropped in Preflight, the others go on.
        using var armhf = new FakeCluster(converged: false);
        armhf.PreflightEdits["node3"] = text => text.Replace("@@ arch\narm64", "@@ arch\narmhf", StringComparison.Ordinal);
        var (host, result) = Run(armhf, approve: true);
        // (The other nodes fail later, in applies this fake does not model; only node3 fails the preflight.)
        Assert.DoesNotContain(host.Failures, f => f.Node.Name != "node3" && f.Step.StartsWith("Preflight", StringComparison.Ordinal));
        var failure = Assert.Single(host.Failures, f => f.Node.Name == "node3");
        Assert.Equal(("node3", "Preflight", NodeErrorKind.InvalidNodeState), (failure.Node.Name, failure.Step, failure.Kind));
        Assert.Contains("Architecture: armhf userland", failure.Detail, StringComparison.Ordinal);
        Assert.Contains("Install the 64-bit (arm64) Raspberry Pi OS", failure.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(armhf.Changes, c => c.Node == "node3");
        Assert.Contains(armhf.Changes, c => c.Node == "node2");
        Assert.Equal(DeployNodeStatus.Failed, result.Nodes.Single(n => n.Name == "node3").Status);
        Assert.Equal("Preflight", result.Nodes.Single(n => n.Name == "node3").FailedIn);
    }

    [Fact]
    public void TwoNodesWithOneMachineIdAreBothDroppedBeforeAnyChange()
    {
        using var cluster = new FakeCluster(converged: false);
        cluster.PreflightEdits["node3"] = text => text.Replace("0a1b2c3d4e5f60718293a4b5c6d7e8f3", "0a1b2c3d4e5f60718293a4b5c6d7e8f2", StringComparison.Ordinal);
        var (host, _) = Run(cluster, approve: false);
        Assert.Equal(new[] { ("node2", "PreflightAcrossNodes"), ("node3", "PreflightAcrossNodes") },
            host.Failures.Select(f => (f.Node.Name, f.Step)).OrderBy(f => f.Item1));
        Assert.All(host.Failures, f => Assert.Contains("machine-id is the same as on", f.Detail, StringComparison.Ordinal));
        Assert.DoesNotContain(host.ShouldProcessCalls, c => c.Node.Name is "node2" or "node3");
    }

    [Fact]
    public void TheCmdletWritesTheResultsThenTheSummaryWithProgressPerPhaseAndNode()
    {
        using var cluster = new FakeCluster(converged: true);
        var host = new RecordingRunHost();
        new DeployPiClusterCommand { Connector = cluster.Connector, KubeconfigPath = cluster.KubeconfigPath, Server = FakeCluster.ApiServer }.Execute(cluster.Nodes, host);

        Assert.Empty(host.Failures);
        Assert.Empty(host.WrongThreadCalls);
        var summary = Assert.IsType<DeployResult>(host.Objects.Last());
        Assert.Single(host.Objects.OfType<DeployResult>());
        Assert.Equal("homelab", summary.Cluster);
        // The real API check ran against the kubeconfig's closed loopback port: the one failed check, and so not Succeeded.
        Assert.Equal(new[] { "ApiReachable" }, summary.Checks.Where(c => !c.Passed).Select(c => c.Check));
        Assert.False(summary.Succeeded);
        Assert.All(summary.Nodes, n => Assert.Equal(DeployNodeStatus.Unchanged, n.Status));
        Assert.Equal(cluster.Nodes.Select(n => n.Name), summary.Nodes.Select(n => n.Name));
        Assert.Equal(new[] { NodeRole.ControlPlane, NodeRole.Worker, NodeRole.Worker }, summary.Nodes.Select(n => n.Role));
        Assert.Equal(LeaderResults.Length + 2 * WorkerResults.Length, host.Results.Count());
        // Progress names each phase, on each node it runs on.
        foreach (var phase in LeaderResults)
            Assert.Contains(host.Progress, p => p.Node.Name == "node1" && p.Activity == phase);
        Assert.Contains(host.Progress, p => p.Node.Name == "node3" && p.Activity == "KubernetesPackages");
        Assert.DoesNotContain(host.Progress, p => p.Node.Name == "node3" && p.Activity == "Init");
    }
}
