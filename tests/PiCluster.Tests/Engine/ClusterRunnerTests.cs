using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Engine;

public class ClusterRunnerTests
{
    private static readonly PiNode[] Nodes =
    {
        new("cp1", "127.0.0.1", NodeRole.ControlPlane, port: 2201),
        new("w1", "127.0.0.1", port: 2202),
        new("w2", "127.0.0.1", port: 2203),
    };

    private static ClusterRunner Runner(FakeConnector connector, int throttle = 8) =>
        new(connector, new RunOptions { ThrottleLimit = throttle });

    [Fact]
    public void RunsStepsInOrderWithOneResultPerNodeAndStepOnTheCallingThread()
    {
        var connector = new FakeConnector();
        var host = new RecordingRunHost();
        var log = new ConcurrentQueue<string>();
        NodeStep Step(string name) => new ScriptedStep(name,
            c => { log.Enqueue($"plan {name} {c.Node}"); return Task.FromResult(c.Node.Name == "w2" ? StepPlan.Unchanged() : ScriptedStep.OneChange()); },
            (_, c) => { log.Enqueue($"apply {name} {c.Node}"); return Task.FromResult<object?>(null); });

        Runner(connector).Run(Nodes, new[] { Step("A"), Step("B") }, host, CancellationToken.None);

        Assert.Empty(host.WrongThreadCalls);
        Assert.Empty(host.Failures);
        Assert.Equal(6, host.Results.Count());
        Assert.Equal(new[] { "A", "A", "A", "B", "B", "B" }, host.Results.Select(r => r.Step));
        Assert.All(host.Results.Where(r => r.Node.Name == "w2"), r => Assert.Equal(StepStatus.Unchanged, r.Status));
        Assert.All(host.Results.Where(r => r.Node.Name != "w2"), r => Assert.Equal(StepStatus.Changed, r.Status));
        // Every plan of a step comes before any apply of it, and step B starts after step A is done everywhere.
        var order = log.ToList();
        Assert.True(order.FindLastIndex(l => l.StartsWith("plan A")) < order.FindIndex(l => l.StartsWith("apply A")));
        Assert.True(order.FindLastIndex(l => l.StartsWith("apply A")) < order.FindIndex(l => l.StartsWith("plan B")));
        // One connection per node for the whole run; lock taken and released; every connection closed.
        Assert.All(Nodes, n => Assert.Equal(1, connector.Opens[n.Name]));
        Assert.All(connector.Sessions.Values, s =>
        {
            Assert.Contains("acquire", s.Commands.First().Script);
            Assert.Contains("PICLUSTER_LOCK_ACTION='release'", s.Commands.Last().Script);
        });
        Assert.Equal(Nodes.Select(n => n.Name).OrderBy(n => n), connector.Closed.OrderBy(n => n));
    }

    [Fact]
    public void ShouldProcessComesAfterAllPlansInNodeOrderWithTheChangesAndDiffs()
    {
        var host = new RecordingRunHost();
        var planned = 0;
        var step = new ScriptedStep("Swap", c =>
        {
            Interlocked.Increment(ref planned);
            return Task.FromResult(ScriptedStep.OneChange("comment out swap in /etc/fstab", "-/swapfile none swap sw 0 0\n+#/swapfile none swap sw 0 0"));
        });
        host.Answer = (_, _) =>
        {
            Assert.Equal(3, Volatile.Read(ref planned));
            return true;
        };
        Runner(new FakeConnector()).Run(Nodes, new[] { step }, host, CancellationToken.None);
        Assert.Equal(new[] { "cp1", "w1", "w2" }, host.ShouldProcessCalls.Select(c => c.Node.Name));
        var text = host.ShouldProcessCalls[0].Action;
        Assert.Contains("Swap: 1 change", text);
        Assert.Contains("comment out swap in /etc/fstab", text);
        Assert.Contains("+#/swapfile none swap sw 0 0", text);
    }

    [Fact]
    public void DecliningAppliesNothingAndEmitsNothingButLaterStepsStillPlanForThatNode()
    {
        var host = new RecordingRunHost { Answer = (node, _) => node.Name != "w1" };
        var applied = new ConcurrentBag<string>();
        var laterPlans = new ConcurrentBag<string>();
        var a = new ScriptedStep("A", c => Task.FromResult(c.Node.Name == "w2" ? StepPlan.Unchanged() : ScriptedStep.OneChange()),
            (_, c) => { applied.Add(c.Node.Name); return Task.FromResult<object?>(null); });
        var b = new ScriptedStep("B", c => { laterPlans.Add(c.Node.Name); return Task.FromResult(StepPlan.Unchanged()); });

        Runner(new FakeConnector()).Run(Nodes, new[] { a, b }, host, CancellationToken.None);

        Assert.Equal(new[] { "cp1" }, applied);
        Assert.DoesNotContain(host.Results, r => r.Node.Name == "w1" && r.Step == "A");
        Assert.Contains("w1", laterPlans); // a -WhatIf of several steps shows every step
        Assert.Contains(host.Results, r => r.Node.Name == "w1" && r.Step == "B" && r.Status == StepStatus.Unchanged);
        Assert.Contains(host.Results, r => r.Node.Name == "w2" && r.Step == "A" && r.Status == StepStatus.Unchanged);
        Assert.Equal(2, host.ShouldProcessCalls.Count); // the unchanged node is not asked
    }

    [Fact]
    public void WhatIfChangesNothingAnywhere()
    {
        var host = new RecordingRunHost { Answer = (_, _) => false };
        var applied = 0;
        var a = new ScriptedStep("A", _ => Task.FromResult(ScriptedStep.OneChange()), (_, _) => { Interlocked.Increment(ref applied); return Task.FromResult<object?>(null); });
        Runner(new FakeConnector()).Run(Nodes, new[] { a, a }, host, CancellationToken.None);
        Assert.Equal(0, applied);
        Assert.Empty(host.Results);
        // Every node is asked for every step: the second step is planned too.
        Assert.Equal(6, host.ShouldProcessCalls.Count);
    }

    [Fact]
    public void AFailingNodeYieldsAFailureAndDropsOutWhileTheOthersGoOn()
    {
        var host = new RecordingRunHost();
        var a = new ScriptedStep("A", _ => Task.FromResult(ScriptedStep.OneChange()), (_, c) => c.Node.Name == "w1"
            ? throw new NodeException(NodeErrorKind.StepFailed, "apt-get failed with exit code 100")
            : Task.FromResult<object?>(null));
        var b = new ScriptedStep("B", c => c.Node.Name == "cp1" ? throw new InvalidOperationException("boom") : Task.FromResult(StepPlan.Unchanged()));

        Runner(new FakeConnector()).Run(Nodes, new[] { a, b }, host, CancellationToken.None);

        Assert.Equal(2, host.Failures.Count);
        var w1 = host.Failures.Single(f => f.Node.Name == "w1");
        Assert.Equal(NodeErrorKind.StepFailed, w1.Kind);
        Assert.Equal("A", w1.Step);
        Assert.Contains("w1", w1.Message);
        Assert.Contains("apt-get failed", w1.Message);
        var cp1 = host.Failures.Single(f => f.Node.Name == "cp1");
        Assert.Equal(NodeErrorKind.StepFailed, cp1.Kind);
        Assert.Equal("B", cp1.Step);
        Assert.Contains(host.Results, r => r.Node.Name == "w1" && r.Step == "A" && r.Status == StepStatus.Failed);
        Assert.DoesNotContain(host.Results, r => r.Node.Name == "w1" && r.Step == "B");
        Assert.Contains(host.Results, r => r.Node.Name == "w2" && r.Step == "B" && r.Status == StepStatus.Unchanged);
    }

    [Fact]
    public void AnUnreachableNodeYieldsNodeUnreachableWhileTheOthersResultsArrive()
    {
        var connector = new FakeConnector();
        connector.Unreachable.Add("w1");
        var host = new RecordingRunHost();
        Runner(connector).Run(Nodes, new[] { new ScriptedStep("A", _ => Task.FromResult(StepPlan.Unchanged())) }, host, CancellationToken.None);
        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.NodeUnreachable, failure.Kind);
        Assert.Equal(ClusterRunner.ConnectStep, failure.Step);
        Assert.Equal("w1", failure.Node.Name);
        Assert.Equal(new[] { "cp1", "w2" }, host.Results.Select(r => r.Node.Name).OrderBy(n => n));
    }

    [Fact]
    public void ALockedNodeYieldsNodeLockedNamingTheHolder()
    {
        var connector = new FakeConnector();
        connector.LockedNodes.Add("w2");
        var host = new RecordingRunHost();
        Runner(connector).Run(Nodes, new[] { new ScriptedStep("A", _ => Task.FromResult(StepPlan.Unchanged())) }, host, CancellationToken.None);
        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.NodeLocked, failure.Kind);
        Assert.Contains("run 0123456789ab by ann@desk since 2026-01-01T00:00:00Z", failure.Message);
        Assert.Equal(2, host.Results.Count());
        // We did not take the lock, so we must not release it; the connection is still closed.
        Assert.DoesNotContain(connector.Sessions["w2"].Commands, c => c.Script.Contains("'release'"));
        Assert.Contains("w2", connector.Closed);
    }

    [Fact]
    public void NeverRunsMoreNodesAtOnceThanTheThrottleLimit()
    {
        var nodes = Enumerable.Range(1, 7).Select(i => new PiNode($"n{i}", "127.0.0.1", port: 2200 + i)).ToArray();
        var running = 0;
        var peak = 0;
        var step = new ScriptedStep("A", async _ =>
        {
            var now = Interlocked.Increment(ref running);
            lock (nodes) peak = Math.Max(peak, now);
            await Task.Delay(30);
            Interlocked.Decrement(ref running);
            return StepPlan.Unchanged();
        });
        var host = new RecordingRunHost();
        Runner(new FakeConnector(), throttle: 2).Run(nodes, new[] { step }, host, CancellationToken.None);
        Assert.Equal(2, peak);
        Assert.Equal(7, host.Results.Count());
    }

    [Fact]
    public void LaterStepsReadEarlierOutputThroughShared()
    {
        var host = new RecordingRunHost();
        var init = new ScriptedStep("Init", c => Task.FromResult(c.Node.Role == NodeRole.ControlPlane ? ScriptedStep.OneChange() : new StepPlan(Array.Empty<Change>(), skipReason: "not a control plane")),
            (_, c) => Task.FromResult<object?>("join-data-from-" + c.Node.Name));
        var seen = new ConcurrentDictionary<string, object?>();
        var join = new ScriptedStep("Join", c =>
        {
            seen[c.Node.Name] = c.Shared.TryGetValue("Init", out var v) ? v : null;
            return Task.FromResult(StepPlan.Unchanged());
        });
        Runner(new FakeConnector()).Run(Nodes, new[] { init, join }, host, CancellationToken.None);
        Assert.Equal("join-data-from-cp1", seen["w1"]);
        Assert.Equal("join-data-from-cp1", seen["w2"]);
        Assert.Contains(host.Results, r => r.Node.Name == "w1" && r.Step == "Init" && r.Status == StepStatus.Skipped && r.Message == "not a control plane");
        Assert.Equal("join-data-from-cp1", host.Results.Single(r => r.Step == "Init" && r.Node.Name == "cp1").Data);
    }

    [Fact]
    public void CancellationStopsStepsClosesConnectionsReleasesLocksAndThrows()
    {
        var connector = new FakeConnector();
        var host = new RecordingRunHost();
        using var cts = new CancellationTokenSource();
        var started = 0;
        var step = new ScriptedStep("Slow", async c =>
        {
            if (Interlocked.Increment(ref started) == 3) cts.Cancel();
            await Task.Delay(Timeout.Infinite, c.Cancellation);
            return StepPlan.Unchanged();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => Runner(connector).Run(Nodes, new[] { step, step }, host, cts.Token));
        Assert.Empty(host.Failures);
        Assert.Equal(3, connector.Closed.Count);
        Assert.All(connector.Sessions.Values, s => Assert.Contains("'release'", s.Commands.Last().Script));
    }

    [Fact]
    public void AHostThatThrowsStopsTheRunAndTheErrorSurfaces()
    {
        var connector = new FakeConnector();
        var host = new RecordingRunHost { OnWriteObject = _ => throw new InvalidOperationException("pipeline stopped") };
        var step = new ScriptedStep("A", async c => { await Task.Delay(10, c.Cancellation); return StepPlan.Unchanged(); });
        var e = Assert.Throws<InvalidOperationException>(() => Runner(connector).Run(Nodes, new[] { step, step, step }, host, CancellationToken.None));
        Assert.Equal("pipeline stopped", e.Message);
        Assert.Single(host.Objects);
        Assert.Equal(3, connector.Closed.Count);
    }

    [Fact]
    public void VerboseShowsEachRemoteCommandRedacted()
    {
        var host = new RecordingRunHost();
        var step = new ScriptedStep("Join", async c =>
        {
            await c.Session.RunAsync(new RemoteCommand("kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef", asRoot: true, input: "secret-input"), c.Cancellation);
            return StepPlan.Unchanged();
        });
        Runner(new FakeConnector()).Run(Nodes.Take(1).ToArray(), new[] { step }, host, CancellationToken.None);
        var line = Assert.Single(host.Verbose, l => l.Contains("kubeadm join"));
        Assert.Equal("cp1: sudo: kubeadm join 10.0.0.1:6443 --token ********", line);
        Assert.DoesNotContain(host.Verbose, l => l.Contains("secret-input"));
        Assert.Contains(host.Verbose, l => l.Contains("take the PiCluster run lock"));
    }

    [Fact]
    public void TheRunLockIsTakenAgainAfterAReconnect()
    {
        var connector = new FakeConnector();
        var host = new RecordingRunHost();
        var step = new ScriptedStep("Reboot", _ => Task.FromResult(ScriptedStep.OneChange("reboot", null)), async (_, c) =>
        {
            await c.Session.ReconnectAsync(TimeSpan.FromMinutes(1), requireNewBoot: true, c.Cancellation);
            return null;
        });
        Runner(connector).Run(Nodes.Take(1).ToArray(), new[] { step }, host, CancellationToken.None);
        var session = connector.Sessions["cp1"];
        Assert.Equal(1, session.Reconnects);
        Assert.Equal(2, session.Commands.Count(c => c.Script.Contains("PICLUSTER_LOCK_ACTION='acquire'")));
    }
}
