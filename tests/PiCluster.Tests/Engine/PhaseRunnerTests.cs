using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Engine;

/// <summary>
/// The phase layer above the node steps: the leader, typed outputs between phases, the failure policies, concurrency,
/// clean-up, dry-run placeholders and one connection per node.
/// </summary>
public class PhaseRunnerTests
{
    private static readonly PiNode Cp1 = new("cp1", "127.0.0.1", NodeRole.ControlPlane, port: 2201);
    private static readonly PiNode Cp2 = new("cp2", "127.0.0.1", NodeRole.ControlPlane, port: 2202);
    private static readonly PiNode W1 = new("w1", "127.0.0.1", port: 2203);
    private static readonly PiNode W2 = new("w2", "127.0.0.1", port: 2204);
    private static readonly PiNode[] Nodes = { Cp1, Cp2, W1, W2 };

    private static readonly PhaseOutput<string> JoinCommand = new("JoinCommand", "join command");
    private static readonly PhaseOutput<string> Hostname = new("Hostname", "hostname", OutputScope.Node);

    private static readonly string LeaderProbe = RemoteScripts.Compose("leader-facts");

    /// <summary>Answers the leader probe: yes on the named nodes, no elsewhere; every other command succeeds.</summary>
    private static FakeConnector Connector(params string[] holdAdminConf) => new((node, command) =>
        command.Script == LeaderProbe ? FakeNodeSession.Ok(holdAdminConf.Contains(node.Name) ? "yes\n" : "no\n") : FakeNodeSession.Ok());

    private static RecordingRunHost Run(FakeConnector connector, params ClusterPhase[] phases) => Run(connector, Nodes, 8, phases);

    private static RecordingRunHost Run(FakeConnector connector, IReadOnlyList<PiNode> nodes, int throttle, params ClusterPhase[] phases)
    {
        var host = new RecordingRunHost();
        new PhaseRunner(connector, new RunOptions { ThrottleLimit = throttle }).Run(nodes, phases, host, CancellationToken.None);
        Assert.Empty(host.WrongThreadCalls);
        return host;
    }

    private static ScriptedPhase Recording(string name, ConcurrentBag<string> ran, PhaseTargets targets = PhaseTargets.All, bool? needsLeader = null) =>
        new(name, c => { ran.Add(c.Node.Name); return ScriptedPhase.Change(); }, targets, needsLeader: needsLeader);

    [Fact]
    public void TheControlPlaneHoldingAdminConfLeadsOverTheFirstInTheFile()
    {
        var ran = new ConcurrentBag<string>();
        var leaders = new ConcurrentBag<string?>();
        var init = new ScriptedPhase("Init", c =>
        {
            ran.Add(c.Node.Name);
            leaders.Add(c.State.Leader?.Name);
            Assert.True(c.IsLeader);
            return ScriptedPhase.Change();
        }, PhaseTargets.Leader);

        var host = Run(Connector("cp2"), init);

        Assert.Equal(new[] { "cp2" }, ran);
        Assert.Equal(new[] { "cp2" }, leaders);
        Assert.Contains(host.Verbose, l => l == "cp2: leads the run (it holds /etc/kubernetes/admin.conf)");
    }

    [Fact]
    public void WithoutAnAdminConfTheFirstControlPlaneOfTheFileLeadsAndOnlyControlPlanesAreProbed()
    {
        var ran = new ConcurrentBag<string>();
        var connector = Connector();
        var host = Run(connector, Recording("Init", ran, PhaseTargets.Leader));
        Assert.Equal(new[] { "cp1" }, ran);
        Assert.Single(connector.Sessions["cp1"].Commands, c => c.Script == LeaderProbe);
        Assert.Single(connector.Sessions["cp2"].Commands, c => c.Script == LeaderProbe);
        Assert.DoesNotContain(connector.Sessions["w1"].Commands, c => c.Script == LeaderProbe);
        Assert.Empty(host.Failures);
    }

    [Fact]
    public void AnUnreachableFirstControlPlaneIsNotPassedOverUnlessAnotherHoldsAdminConf()
    {
        // cp1 may run a cluster we cannot see: starting one on cp2 could make a second.
        var connector = Connector();
        connector.Unreachable.Add("cp1");
        var ran = new ConcurrentBag<string>();
        var host = Run(connector, Recording("Init", ran, PhaseTargets.Leader), Recording("Join", ran, PhaseTargets.Workers, needsLeader: true));
        Assert.Empty(ran);
        Assert.Equal(2, host.Results.Count(r => r.Step == "Join" && r.Status == StepStatus.Skipped && r.Message.Contains("leader cp1, which failed in Connect")));

        var reachableHolder = Connector("cp2");
        reachableHolder.Unreachable.Add("cp1");
        var ran2 = new ConcurrentBag<string>();
        Run(reachableHolder, Recording("Init", ran2, PhaseTargets.Leader));
        Assert.Equal(new[] { "cp2" }, ran2);
    }

    [Fact]
    public void TheLeaderProbeTravelsInTheOneFactRoundTrip()
    {
        // A real bash answers the batch (this machine holds no admin.conf, so the probe says no).
        var connector = new FakeConnector((_, command) => FactBatchTests.Bash(command));
        var facts = new RemoteCommand("echo facts", asRoot: true, display: "init facts");
        var init = new ScriptedPhase("Init", async c =>
        {
            Assert.Equal("facts\n", (await c.Session.RunAsync(facts, c.Cancellation)).Stdout);
            return StepPlan.Unchanged();
        }, PhaseTargets.Leader) { Facts = _ => new[] { facts } };

        var host = Run(connector, new[] { Cp1, W1 }, 8, init);

        Assert.Empty(host.Failures);
        var commands = connector.Sessions["cp1"].Commands;
        Assert.Equal(3, commands.Count); // lock, the batch with both facts, release
        Assert.Contains("picluster-fact-batch", commands[1].Script);
        Assert.Contains("admin.conf", commands[1].Input);
        Assert.Equal(2, connector.Sessions["w1"].Commands.Count); // a worker has neither facts nor probe
    }

    [Fact]
    public void TypedOutputsFlowFromTheLeaderPhaseToTheWorkerPhases()
    {
        var init = new ScriptedPhase("Init", _ => ScriptedPhase.Change("kubeadm init"), PhaseTargets.Leader, outputs: JoinCommand)
        {
            Apply = (_, c) => { c.Set(JoinCommand, "kubeadm join " + c.Node.Name + ":6443"); return Task.FromResult<object?>(null); },
        };
        var seen = new ConcurrentDictionary<string, string>();
        var join = new ScriptedPhase("Join", c =>
        {
            var command = c.State.Get(JoinCommand);
            Assert.True(command.IsKnown);
            seen[c.Node.Name] = command.Value;
            c.Set(Hostname, "host-" + c.Node.Name);
            return ScriptedPhase.Unchanged();
        }, PhaseTargets.Workers, needsLeader: true, outputs: Hostname);
        var hostnames = new ConcurrentDictionary<string, string>();
        var label = new ScriptedPhase("Label", c =>
        {
            foreach (var worker in c.State.Workers) hostnames[worker.Name] = c.State.Get(Hostname, worker).Value;
            Assert.False(c.State.TryGet(Hostname, Cp1, out _));
            return ScriptedPhase.Unchanged();
        }, PhaseTargets.Leader);

        var host = Run(Connector(), init, join, label);

        Assert.Empty(host.Failures);
        Assert.Equal(new Dictionary<string, string> { ["w1"] = "kubeadm join cp1:6443", ["w2"] = "kubeadm join cp1:6443" }, seen);
        Assert.Equal(new Dictionary<string, string> { ["w1"] = "host-w1", ["w2"] = "host-w2" }, hostnames);
        Assert.Equal(new[] { "Init", "Join", "Join", "Label" }, host.Results.Select(r => r.Step));
        Assert.Contains(host.Results, r => r.Step == "Init" && r.Node == Cp1 && r.Status == StepStatus.Changed);
        // Progress per phase and node.
        Assert.Contains(host.Progress, p => p.Node == Cp1 && p.Activity == "Init" && p.Status == "applying");
        Assert.Contains(host.Progress, p => p.Node == W2 && p.Activity == "Join" && p.Status == "planning");
        Assert.DoesNotContain(host.Progress, p => p.Node == W1 && p.Activity == "Init");
    }

    [Fact]
    public void AnOutputNoPhaseDeclaresCannotBeSetAndAMissingOneSaysWhy()
    {
        var undeclared = new ScriptedPhase("Sneaky", c => { c.Set(JoinCommand, "x"); return ScriptedPhase.Unchanged(); }, PhaseTargets.Workers);
        var host = Run(Connector(), new[] { Cp1, W1 }, 8, undeclared);
        Assert.Contains("does not list in its Outputs", Assert.Single(host.Failures).Message);

        var producesNothing = new ScriptedPhase("Init", _ => ScriptedPhase.Unchanged(), PhaseTargets.Leader, outputs: JoinCommand);
        var reader = new ScriptedPhase("Join", c => { _ = c.State.Get(JoinCommand); return ScriptedPhase.Unchanged(); }, PhaseTargets.Workers, needsLeader: true);
        var missing = Run(Connector(), new[] { Cp1, W1 }, 8, producesNothing, reader);
        var failure = Assert.Single(missing.Failures);
        Assert.Equal("w1", failure.Node.Name);
        Assert.Contains("The join command (JoinCommand) is not known: phase Init did not produce it", failure.Message);
    }

    [Fact]
    public void ALeaderFailureStopsThePhasesThatNeedItButNotTheOthers()
    {
        var ran = new ConcurrentBag<string>();
        var init = new ScriptedPhase("Init", _ => ScriptedPhase.Change(), PhaseTargets.Leader, outputs: JoinCommand)
        {
            Apply = (_, _) => throw new NodeException(NodeErrorKind.StepFailed, "kubeadm init failed with exit code 1"),
        };
        var join = Recording("Join", ran, PhaseTargets.Workers, needsLeader: true);
        var cni = Recording("Cni", ran, PhaseTargets.Leader);
        var timesync = Recording("TimeSync", ran); // all nodes, needs no leader

        var host = Run(Connector(), init, join, cni, timesync);

        var failure = Assert.Single(host.Failures);
        Assert.Equal(("cp1", "Init"), (failure.Node.Name, failure.Step));
        Assert.Equal(new[] { "cp2", "w1", "w2" }, ran.OrderBy(n => n)); // only TimeSync ran, and not on the failed leader
        var skipped = host.Results.Where(r => r.Step == "Join").ToList();
        Assert.Equal(new[] { "w1", "w2" }, skipped.Select(r => r.Node.Name));
        Assert.All(skipped, r =>
        {
            Assert.Equal(StepStatus.Skipped, r.Status);
            Assert.Equal("not run: phase Join needs the leader cp1, which failed in Init", r.Message);
        });
        Assert.Contains("Phase Join did not run: it needs the leader cp1, which failed in Init.", host.Warnings);
        Assert.Contains("Phase Cni did not run: it needs the leader cp1, which failed in Init.", host.Warnings);
        Assert.Equal(3, host.Results.Count(r => r.Step == "TimeSync" && r.Status == StepStatus.Changed));
    }

    [Fact]
    public void AWorkerFailureDropsOnlyThatWorker()
    {
        var ran = new ConcurrentBag<string>();
        var prepare = new ScriptedPhase("Prepare", _ => ScriptedPhase.Change())
        {
            Apply = (_, c) => c.Node == W1 ? throw new NodeException(NodeErrorKind.StepFailed, "apt-get failed") : Task.FromResult<object?>(null),
        };
        var host = Run(Connector(), prepare, Recording("Init", ran, PhaseTargets.Leader), Recording("Join", ran, PhaseTargets.Workers, needsLeader: true),
            Recording("Check", ran));

        var failure = Assert.Single(host.Failures);
        Assert.Equal(("w1", "Prepare"), (failure.Node.Name, failure.Step));
        Assert.Equal(new[] { "cp1", "cp1", "cp2", "w2", "w2" }, ran.OrderBy(n => n)); // Init on cp1; Join on w2; Check on cp1, cp2, w2
        Assert.DoesNotContain(host.Results, r => r.Node == W1 && r.Step != "Prepare");
        Assert.Empty(host.Warnings);
    }

    [Fact]
    public void OneAtATimeRunsNodeAfterNodeInFileOrder()
    {
        var log = new ConcurrentQueue<string>();
        var running = 0;
        var overlapped = false;
        async Task Work(string what, PhaseContext c)
        {
            if (Interlocked.Increment(ref running) > 1) overlapped = true;
            log.Enqueue($"{what} {c.Node.Name}");
            await Task.Delay(20);
            Interlocked.Decrement(ref running);
        }
        var drain = new ScriptedPhase("Drain", async c => { await Work("plan", c); return ScriptedStep.OneChange(); }, concurrency: PhaseConcurrency.OneAtATime)
        {
            Apply = async (_, c) => { await Work("apply", c); return null; },
        };
        var host = Run(Connector(), Nodes, 8, drain);

        Assert.False(overlapped);
        Assert.Equal(new[] { "plan cp1", "apply cp1", "plan cp2", "apply cp2", "plan w1", "apply w1", "plan w2", "apply w2" }, log);
        // Each node is asked right before its own apply, not all at the start.
        Assert.Equal(new object[] { "ShouldProcess cp1", "ShouldProcess cp2", "ShouldProcess w1", "ShouldProcess w2" },
            host.Events.OfType<string>().Where(e => e.StartsWith("ShouldProcess", StringComparison.Ordinal)));
        Assert.Equal(4, host.Results.Count(r => r.Status == StepStatus.Changed));
    }

    [Fact]
    public void ParallelRunsAtMostTheThrottleLimitAtOnceAndReallyInParallel()
    {
        var nodes = Enumerable.Range(1, 7).Select(i => new PiNode($"n{i}", "127.0.0.1", port: 2300 + i)).ToArray();
        var running = 0;
        var planPeak = 0;
        var applyPeak = 0;
        async Task Work(Action<int> peak)
        {
            var now = Interlocked.Increment(ref running);
            lock (nodes) peak(now);
            await Task.Delay(30);
            Interlocked.Decrement(ref running);
        }
        var phase = new ScriptedPhase("Pull", async _ => { await Work(n => planPeak = Math.Max(planPeak, n)); return ScriptedStep.OneChange(); })
        {
            Apply = async (_, _) => { await Work(n => applyPeak = Math.Max(applyPeak, n)); return null; },
        };
        var host = Run(new FakeConnector(), nodes, 3, phase);
        Assert.Equal((3, 3), (planPeak, applyPeak));
        Assert.Equal(7, host.Results.Count(r => r.Status == StepStatus.Changed));
    }

    [Fact]
    public void CleanUpRunsOnANodeOnlyAfterItsApplyFailed()
    {
        var cleaned = new ConcurrentBag<string>();
        var init = new ScriptedPhase("Init", c => c.Node == W2 ? throw new NodeException(NodeErrorKind.StepFailed, "plan failed") : ScriptedPhase.Change("kubeadm init"))
        {
            Apply = (_, c) => c.Node == Cp1 || c.Node == Cp2
                ? throw new NodeException(NodeErrorKind.StepFailed, "kubeadm init failed")
                : Task.FromResult<object?>(null),
            CleanUp = (plan, c) =>
            {
                Assert.Equal("kubeadm init", plan.Changes.Single().Description);
                cleaned.Add(c.Node.Name);
                return c.Node == Cp2 ? throw new InvalidOperationException("kubeadm reset failed") : Task.CompletedTask;
            },
        };
        var declined = new ScriptedPhase("Declined", _ => ScriptedPhase.Change()) { CleanUp = (_, c) => { cleaned.Add("declined " + c.Node.Name); return Task.CompletedTask; } };

        var host = new RecordingRunHost { Answer = (_, action) => !action.StartsWith("Declined", StringComparison.Ordinal) };
        new PhaseRunner(Connector(), new RunOptions()).Run(Nodes, new ClusterPhase[] { init, declined }, host, CancellationToken.None);

        Assert.Equal(new[] { "cp1", "cp2" }, cleaned.OrderBy(n => n)); // not w1 (applied), not w2 (its plan failed), not a declined apply
        Assert.Equal(new[] { "cp1", "cp2", "w2" }, host.Failures.Select(f => f.Node.Name).OrderBy(n => n));
        Assert.Contains("kubeadm init failed", host.Failures.Single(f => f.Node == Cp2).Message); // the apply's error, not the clean-up's
        Assert.Contains("cp2: Init: the clean-up after the failed apply failed too: kubeadm reset failed", host.Warnings);
    }

    [Fact]
    public void AfterRunRunsOnEveryNodeWherePhasePlannedLastPhaseFirstAlsoAfterFailures()
    {
        var after = new ConcurrentQueue<string>();
        Task Record(PhaseContext c, CancellationToken t)
        {
            Assert.False(t.IsCancellationRequested);
            after.Enqueue($"{c.Phase.Name} {c.Node.Name}");
            return c.Node == W1 && c.Phase.Name == "Token" ? throw new InvalidOperationException("token delete failed") : Task.CompletedTask;
        }
        var token = new AfterRunPhase("Token", c => c.Node == W2 ? throw new NodeException(NodeErrorKind.StepFailed, "plan failed") : ScriptedPhase.Change(), Record)
        {
            Apply = (_, c) => c.Node == Cp2 ? throw new NodeException(NodeErrorKind.StepFailed, "apply failed") : Task.FromResult<object?>(null),
        };
        var join = new AfterRunPhase("Join", _ => ScriptedPhase.Change(), Record);

        var host = Run(Connector(), token, join);

        var order = after.ToList();
        // Join planned on cp1 and w1 only (cp2 and w2 failed in Token); Token planned everywhere, failed or not, and runs after Join.
        Assert.Equal(new[] { "Join cp1", "Join w1" }, order.Take(2).OrderBy(x => x));
        Assert.Equal(new[] { "Token cp1", "Token cp2", "Token w1", "Token w2" }, order.Skip(2).OrderBy(x => x));
        Assert.Contains("w1: Token: the work after the run failed: token delete failed", host.Warnings);
        Assert.Equal(2, host.Failures.Count);
    }

    [Fact]
    public void AfterRunRunsAfterCtrlCWithATokenOfItsOwnAndBeforeTheConnectionsClose()
    {
        var connector = Connector();
        using var cts = new CancellationTokenSource();
        var after = new ConcurrentBag<string>();
        var slow = new AfterRunPhase("Slow", async c =>
        {
            cts.Cancel();
            await Task.Delay(Timeout.Infinite, c.Cancellation);
            return StepPlan.Unchanged();
        }, async (c, t) =>
        {
            Assert.True(c.Cancellation.IsCancellationRequested);
            Assert.DoesNotContain(c.Node.Name, connector.Closed);
            await c.Session.RunAsync(new RemoteCommand("kubeadm token delete abcdef", asRoot: true), t);
            after.Add(c.Node.Name);
        }, PhaseTargets.Leader);
        var never = new AfterRunPhase("Never", _ => ScriptedPhase.Change(), (c, _) => { after.Add("never " + c.Node.Name); return Task.CompletedTask; });

        Assert.ThrowsAny<OperationCanceledException>(() =>
            new PhaseRunner(connector, new RunOptions()).Run(Nodes, new ClusterPhase[] { slow, never }, new RecordingRunHost(), cts.Token));

        Assert.Equal(new[] { "cp1" }, after);
        Assert.Contains(connector.Sessions["cp1"].Commands, c => c.Script == "kubeadm token delete abcdef");
        Assert.Equal(4, connector.Closed.Count);
    }

    /// <summary>A scripted phase with work after the run.</summary>
    private sealed class AfterRunPhase : ClusterPhase
    {
        private readonly Func<PhaseContext, Task<StepPlan>> _plan;
        private readonly Func<PhaseContext, CancellationToken, Task> _afterRun;

        public AfterRunPhase(string name, Func<PhaseContext, Task<StepPlan>> plan, Func<PhaseContext, CancellationToken, Task> afterRun, PhaseTargets targets = PhaseTargets.All)
        {
            Name = name;
            _plan = plan;
            _afterRun = afterRun;
            Targets = targets;
        }

        public Func<StepPlan, PhaseContext, Task<object?>> Apply { get; init; } = (_, _) => Task.FromResult<object?>(null);
        public override string Name { get; }
        public override PhaseTargets Targets { get; }
        public override Task<StepPlan> PlanAsync(PhaseContext context) => _plan(context);
        public override Task<object?> ApplyAsync(StepPlan plan, PhaseContext context) => Apply(plan, context);
        public override Task AfterRunAsync(PhaseContext context, CancellationToken cancellation) => _afterRun(context, cancellation);
    }

    [Fact]
    public void ADryRunPlansEveryPhaseOnEveryNodeWithPlaceholdersAndAppliesNothing()
    {
        var applied = 0;
        Task<object?> Count(StepPlan _, PhaseContext c) { Interlocked.Increment(ref applied); c.Set(JoinCommand, "real"); return Task.FromResult<object?>(null); }
        var init = new ScriptedPhase("Init", _ => ScriptedPhase.Change("kubeadm init"), PhaseTargets.Leader, outputs: JoinCommand) { Apply = Count };
        var name = new ScriptedPhase("Name", c =>
        {
            c.Set(Hostname, "from-facts-" + c.Node.Name); // known from facts, so a dry run has it too
            return ScriptedPhase.Change("rename");
        }, PhaseTargets.Workers, outputs: Hostname) { Apply = (_, _) => { Interlocked.Increment(ref applied); return Task.FromResult<object?>(null); } };
        var planned = new ConcurrentDictionary<string, (bool Known, string Text, string Name)>();
        var join = new ScriptedPhase("Join", c =>
        {
            var command = c.State.Get(JoinCommand);
            planned[c.Node.Name] = (command.IsKnown, command.ToString(), c.State.Get(Hostname, c.Node).Value);
            Assert.Throws<InvalidOperationException>(() => command.Value);
            return ScriptedPhase.Change($"run {command} as {c.State.Get(Hostname, c.Node)}");
        }, PhaseTargets.Workers, needsLeader: true) { Apply = (_, _) => { Interlocked.Increment(ref applied); return Task.FromResult<object?>(null); } };

        var host = new RecordingRunHost { Answer = (_, _) => false };
        new PhaseRunner(Connector(), new RunOptions()).Run(Nodes, new ClusterPhase[] { init, name, join }, host, CancellationToken.None);

        Assert.Equal(0, applied);
        Assert.Empty(host.Failures);
        Assert.Empty(host.Results); // every node was asked and declined: nothing done, nothing reported
        Assert.Equal(new[] { "cp1 Init", "w1 Name", "w2 Name", "w1 Join", "w2 Join" },
            host.ShouldProcessCalls.Select(c => $"{c.Node.Name} {c.Action.Split(':')[0]}"));
        Assert.Equal((false, "<join command from phase Init on cp1>", "from-facts-w1"), planned["w1"]);
        Assert.Contains("run <join command from phase Init on cp1> as from-facts-w2",
            host.ShouldProcessCalls.Single(c => c.Node == W2 && c.Action.StartsWith("Join", StringComparison.Ordinal)).Action);
    }

    [Fact]
    public void OneConnectionAndOneLockPerNodeAcrossAllPhasesAndTheLeadersSessionServesTheWorkers()
    {
        var connector = Connector();
        var token = new ScriptedPhase("Token", async c =>
        {
            // A worker's phase asks the leader for something, over the leader's own connection.
            await c.LeaderSession.RunAsync(new RemoteCommand($"echo token for {c.Node.Name}", asRoot: true), c.Cancellation);
            return StepPlan.Unchanged();
        }, PhaseTargets.Workers, needsLeader: true);
        var phases = new ClusterPhase[] { Recording("A", new()), new ScriptedPhase("Init", _ => ScriptedPhase.Change(), PhaseTargets.Leader), token, Recording("B", new()) };

        var host = Run(connector, phases);

        Assert.Empty(host.Failures);
        Assert.All(Nodes, n => Assert.Equal(1, connector.Opens[n.Name]));
        Assert.Equal(Nodes.Select(n => n.Name).OrderBy(n => n), connector.Closed.OrderBy(n => n));
        Assert.All(connector.Sessions.Values, s =>
        {
            Assert.Single(s.Commands, c => c.Script.Contains("PICLUSTER_LOCK_ACTION='acquire'"));
            Assert.Contains("PICLUSTER_LOCK_ACTION='release'", s.Commands.Last().Script);
        });
        var leaderCommands = connector.Sessions["cp1"].Commands.Select(c => c.Script).ToList();
        Assert.Contains("echo token for w1", leaderCommands);
        Assert.Contains("echo token for w2", leaderCommands);
        Assert.Contains("cp1: 1 connection, 5 round trips", host.Verbose); // lock, leader probe, the two workers' commands, release
    }

    [Fact]
    public void WorkersCommandsOnTheLeadersSessionTakeTurns()
    {
        var workers = Enumerable.Range(1, 4).Select(i => new PiNode($"w{i}", "127.0.0.1", port: 2400 + i));
        var nodes = new[] { Cp1 }.Concat(workers).ToArray();
        var running = 0;
        var overlapped = false;
        var connector = new FakeConnector((node, command) =>
        {
            if (!command.Script.StartsWith("kubeadm token create", StringComparison.Ordinal)) return FakeNodeSession.Ok();
            if (Interlocked.Increment(ref running) > 1) overlapped = true;
            Thread.Sleep(30); // the fake session answers synchronously: without turns, the four would overlap here
            Interlocked.Decrement(ref running);
            return FakeNodeSession.Ok("token\n");
        });
        var token = new ScriptedPhase("Token", async c =>
        {
            await Task.Yield(); // on to the thread pool, so the workers' plans really run at once
            await c.LeaderSession.RunAsync(new RemoteCommand("kubeadm token create", asRoot: true), c.Cancellation);
            return StepPlan.Unchanged();
        }, PhaseTargets.Workers, needsLeader: true);

        var host = Run(connector, nodes, 8, token);

        Assert.Empty(host.Failures);
        Assert.False(overlapped);
        Assert.Equal(4, connector.Sessions["cp1"].Commands.Count(c => c.Script == "kubeadm token create"));
    }

    [Fact]
    public void ATokenInAnOutputIsMaskedWhereAPlanShowsIt()
    {
        const string token = "abcdef.0123456789abcdef";
        var init = new ScriptedPhase("Init", c =>
        {
            c.Set(JoinCommand, $"kubeadm join 10.0.0.1:6443 --token {token}");
            return ScriptedPhase.Unchanged();
        }, PhaseTargets.Leader, outputs: JoinCommand);
        var join = new ScriptedPhase("Join", c => ScriptedPhase.Change($"run {c.State.Get(JoinCommand)}"), PhaseTargets.Workers, needsLeader: true);

        var host = Run(Connector(), init, join);

        Assert.Equal(2, host.ShouldProcessCalls.Count);
        Assert.All(host.ShouldProcessCalls, c => Assert.Contains("run kubeadm join 10.0.0.1:6443 --token ********", c.Action));
        Assert.All(host.Results.Where(r => r.Step == "Join"), r => Assert.Equal("run kubeadm join 10.0.0.1:6443 --token ********", r.Message));
        Assert.DoesNotContain(host.Verbose.Concat(host.Warnings).Concat(host.ShouldProcessCalls.Select(c => c.Action))
            .Concat(host.Results.SelectMany(r => r.Changes.Select(c => c.Description))), line => line.Contains("0123456789abcdef"));
    }

    [Fact]
    public void APhaseThatNeedsALeaderIsRefusedWithoutAControlPlane()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new PhaseRunner(new FakeConnector(), new RunOptions()).Run(new[] { W1 }, new ClusterPhase[] { Recording("Init", new(), PhaseTargets.Leader) },
                new RecordingRunHost(), CancellationToken.None));
        Assert.Contains("no node is a control plane", e.Message);
    }
}
