using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Tests.Engine;
using PiCluster.Tests.ControlPlane;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using PiCluster.Workers;
using Xunit;

namespace PiCluster.Tests.Workers;

/// <summary>
/// Join-PiWorker's phases over fake sessions: Unchanged for a joined worker, one token per run deleted whatever
/// happens (success, a failed join, Ctrl+C), stale PiCluster tokens deleted, the CA hash checked, one worker's failure
/// reset there only, the token in no stream or argv, and -WhatIf creating nothing.
/// </summary>
public class JoinPhaseTests
{
    private static IEnumerable<RemoteCommand> Commands(FakeConnector connector, string node) =>
        connector.Sessions.TryGetValue(node, out var s) ? s.Commands : Enumerable.Empty<RemoteCommand>();

    private static int Count(FakeConnector connector, string node, string text) =>
        Commands(connector, node).Count(c => c.Script.Contains(text, StringComparison.Ordinal));

    /// <summary>The token's secret is nowhere a user or a log could see it: streams, errors, scripts (argv) on any node.</summary>
    private static void AssertTokenNowhere(JoinWorld world, FakeConnector connector, RecordingRunHost host)
    {
        foreach (var secret in world.TokensCreated.Select(id => world.TokensCreated.Count > 0 ? $"s3cr3t{id[2..]}abcdefgh" : ""))
        {
            ControlPlanePhaseTests.AssertNowhere(host, secret);
            Assert.All(host.Objects.Select(o => o.ToString() ?? ""), t => Assert.DoesNotContain(secret, t, StringComparison.Ordinal));
            Assert.All(connector.Sessions.Values.SelectMany(s => s.Commands),
                c => Assert.DoesNotContain(secret, c.Script + c.Display, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void CaPinIsTheSha256OfTheSubjectPublicKeyInfoForRsaAndEcdsaCas()
    {
        foreach (var ecdsa in new[] { false, true })
        {
            using AsymmetricAlgorithm key = ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
            var request = ecdsa ? new CertificateRequest("CN=kubernetes", (ECDsa)key, HashAlgorithmName.SHA256)
                : new CertificateRequest("CN=kubernetes", (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
            var spki = ecdsa ? ((ECDsa)key).ExportSubjectPublicKeyInfo() : ((RSA)key).ExportSubjectPublicKeyInfo();
            var expected = "sha256:" + Convert.ToHexString(SHA256.HashData(spki)).ToLowerInvariant();

            Assert.Equal(expected, CaPin.Of(Encoding.ASCII.GetBytes(cert.ExportCertificatePem())));
            Assert.Equal(expected, CaPin.Of(cert.RawData));
        }
        Assert.NotEqual(CaPin.Of(Encoding.ASCII.GetBytes(JoinWorld.SelfSignedCa("a"))), CaPin.Of(Encoding.ASCII.GetBytes(JoinWorld.SelfSignedCa("a"))));
        Assert.Throws<ArgumentException>(() => CaPin.Of(Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")));
    }

    [Fact]
    public void TheJoinConfigurationIsV1beta4WithTokenDiscoveryThePinTheNameTheCriSocketAndTheNodeIp()
    {
        var pin = "sha256:" + new string('c', 64);
        var yaml = JoinConfiguration.Generate("192.168.77.11:6443", "abcdef.0123456789abcdef", pin, "node2", "unix:///run/containerd/containerd.sock", "192.168.77.12");

        Assert.Equal(
            "apiVersion: kubeadm.k8s.io/v1beta4\n" +
            "kind: JoinConfiguration\n" +
            "discovery:\n" +
            "  bootstrapToken:\n" +
            "    apiServerEndpoint: 192.168.77.11:6443\n" +
            "    token: abcdef.0123456789abcdef\n" +
            "    caCertHashes:\n" +
            $"    - {pin}\n" +
            "nodeRegistration:\n" +
            "  name: node2\n" +
            "  criSocket: unix:///run/containerd/containerd.sock\n" +
            "  kubeletExtraArgs:\n" +
            "  - name: node-ip\n" +
            "    value: 192.168.77.12\n" +
            "timeouts:\n" +
            "  discovery: 2m0s\n" +
            "  tlsBootstrap: 5m0s\n", yaml);
        Assert.Throws<ArgumentException>(() => JoinConfiguration.Generate("a:6443", "t\nkind: x", pin, "node2", "unix:///x", "10.0.0.2"));
    }

    [Theory]
    [InlineData(45, "45s")]
    [InlineData(90, "1m30s")]
    [InlineData(300, "5m0s")]
    public void TheDiscoveryTimeoutIsWrittenAsAGoDuration(int seconds, string expected)
    {
        var yaml = JoinConfiguration.Generate("a:6443", "abcdef.0123456789abcdef", "sha256:" + new string('c', 64), "node2", "unix:///x", "10.0.0.2",
            TimeSpan.FromSeconds(seconds));
        Assert.Contains($"\n  discovery: {expected}\n", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void AllWorkersJoinWithOneTokenWhichIsDeletedAfterTheRunAndNeverShown()
    {
        var world = new JoinWorld();
        var connector = new FakeConnector(world.Answer);
        var host = world.Run(connector);

        Assert.Empty(host.Failures);
        Assert.Empty(host.Warnings);
        var created = Assert.Single(world.TokensCreated);
        Assert.Empty(world.Tokens);
        Assert.Equal(1, world.Deletes);
        Assert.Contains(Commands(connector, "node1"), c => c.Script.Contains("PICLUSTER_TTL='15m'", StringComparison.Ordinal)
            && c.Script.Contains($"PICLUSTER_DESCRIPTION='{BootstrapTokens.Description}'", StringComparison.Ordinal));
        foreach (var worker in new[] { "node2", "node3" })
        {
            var config = world.Workers[worker].JoinConfiguration!;
            Assert.Contains($"token: {created}.s3cr3t0001abcdefgh", config, StringComparison.Ordinal);
            Assert.Contains($"- {world.LeaderPin}", config, StringComparison.Ordinal);
            Assert.Contains($"name: {worker}", config, StringComparison.Ordinal);
            Assert.Contains("value: 192.168.77." + (worker == "node2" ? "12" : "13"), config, StringComparison.Ordinal);
            var join = Commands(connector, worker).Single(c => c.Script.Contains("kubeadm join --config", StringComparison.Ordinal));
            Assert.Contains("PICLUSTER_CONFIG='/etc/kubernetes/picluster-join.yaml'", join.Script, StringComparison.Ordinal);
            Assert.Equal(StepStatus.Changed, host.Results.Single(r => r.Node.Name == worker && r.Step == "Join").Status);
        }
        Assert.Equal(StepStatus.Changed, host.Results.Single(r => r.Step == "JoinToken").Status);
        Assert.Contains(host.Verbose, v => v.Contains("deleted pc0001", StringComparison.Ordinal));
        AssertTokenNowhere(world, connector, host);
    }

    [Fact]
    public void ARegisteredWorkerWhoseKubeletTrustsTheClustersCaIsUnchangedAndNoTokenIsMade()
    {
        var world = new JoinWorld();
        world.Joined("node2");
        world.Joined("node3");
        var connector = new FakeConnector(world.Answer);
        var host = world.Run(connector);

        Assert.Empty(host.Failures);
        Assert.Empty(host.ShouldProcessCalls);
        Assert.Empty(world.TokensCreated);
        Assert.Equal(0, world.Deletes);
        Assert.All(host.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
        Assert.Equal(2, host.Results.Count(r => r.Step == "Join"));
        Assert.Equal(0, Count(connector, "node2", "kubeadm"));
    }

    [Fact]
    public void OnlyTheWorkerNotInTheClusterJoinsAndAWorkerOfAnotherClusterIsResetFirst()
    {
        var world = new JoinWorld();
        world.Joined("node2");
        world.Workers["node3"].KubeletConf = true;
        world.Workers["node3"].CaPem = world.OtherCa;
        var connector = new FakeConnector(world.Answer);
        var host = world.Run(connector, approve: false);

        var plan = Assert.Single(host.ShouldProcessCalls, c => c.Node.Name == "node3").Action;
        Assert.Contains("reset the node (kubeadm reset -f): its kubelet.conf is of another cluster", plan, StringComparison.Ordinal);
        Assert.DoesNotContain(host.ShouldProcessCalls, c => c.Node.Name == "node2");
        Assert.Contains("create one bootstrap token for node3 (TTL 15m", host.ShouldProcessCalls.Single(c => c.Node.Name == "node1").Action, StringComparison.Ordinal);

        host = world.Run(connector = new FakeConnector(world.Answer));
        Assert.Empty(host.Failures);
        var scripts = Commands(connector, "node3").Select(c => c.Script).ToList();
        var reset = scripts.FindIndex(s => s.Contains("kubeadm reset -f", StringComparison.Ordinal));
        var join = scripts.FindIndex(s => s.Contains("kubeadm join --config", StringComparison.Ordinal));
        Assert.True(reset >= 0 && join > reset, "the kubelet of another cluster is reset before the join");
        Assert.Equal(0, Count(connector, "node2", "kubeadm join"));
        Assert.Equal(StepStatus.Unchanged, host.Results.Single(r => r.Node.Name == "node2" && r.Step == "Join").Status);
    }

    [Fact]
    public void TokensAnEarlierRunLeftBehindAreDeletedAtTheStartAndOthersStay()
    {
        var world = new JoinWorld();
        world.Tokens.Add(new JoinWorld.Token("old001", "oldsecret0000001", BootstrapTokens.Description, "15m"));
        world.Tokens.Add(new JoinWorld.Token("usr001", "usersecret000001", "made by hand", "24h"));
        world.Joined("node2");
        world.Joined("node3");
        var connector = new FakeConnector(world.Answer);

        var dry = world.Run(connector, approve: false);
        Assert.Contains("delete 1 bootstrap token(s) an earlier PiCluster run left behind (old001)", Assert.Single(dry.ShouldProcessCalls).Action, StringComparison.Ordinal);
        Assert.Equal(2, world.Tokens.Count);

        var host = world.Run(new FakeConnector(world.Answer));
        Assert.Empty(host.Failures);
        Assert.Equal(new[] { "usr001" }, world.Tokens.Select(t => t.Id));
        Assert.Empty(world.TokensCreated);
    }

    [Fact]
    public void AHashThatDiffersFromTheLeadersCaIsRefusedNoWorkerJoinsAndTheTokenIsDeleted()
    {
        var world = new JoinWorld { PrintedHash = "sha256:" + new string('e', 64) };
        var connector = new FakeConnector(world.Answer);
        var host = world.Run(connector);

        var failure = Assert.Single(host.Failures);
        Assert.Equal((NodeErrorKind.CaPinRefused, "node1", "JoinToken"), (failure.Kind, failure.Node.Name, failure.Step));
        Assert.Contains(world.LeaderPin, failure.Detail, StringComparison.Ordinal);
        Assert.Contains("sha256:" + new string('e', 64), failure.Detail, StringComparison.Ordinal);
        Assert.Equal(0, Count(connector, "node2", "kubeadm join") + Count(connector, "node3", "kubeadm join"));
        Assert.All(host.Results.Where(r => r.Step == "Join"), r => Assert.Equal(StepStatus.Skipped, r.Status));
        Assert.Single(world.TokensCreated);
        Assert.Empty(world.Tokens);
        AssertTokenNowhere(world, connector, host);
    }

    [Fact]
    public void ARefusedCaPinFailsThatWorkerOnlyResetsItThereAndTheTokenIsStillDeleted()
    {
        var world = new JoinWorld();
        world.Workers["node3"].JoinFails = new CommandResult(1, "[preflight] Running pre-flight checks\n",
            "error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys \"sha256:" + new string('d', 64) + "\" are pinned\n"
            + "discovery.bootstrapToken.token: Invalid value: \"pc0001.s3cr3t0001abcdefgh\"\n");
        var connector = new FakeConnector(world.Answer);
        var host = world.Run(connector);

        var failure = Assert.Single(host.Failures);
        Assert.Equal((NodeErrorKind.CaPinRefused, "node3", "Join"), (failure.Kind, failure.Node.Name, failure.Step));
        Assert.Contains("are pinned", failure.Detail, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Changed, host.Results.Single(r => r.Node.Name == "node2" && r.Step == "Join").Status);
        Assert.Equal((0, 1), (world.Workers["node2"].Resets, world.Workers["node3"].Resets));
        Assert.Contains("rm -f -- \"$PICLUSTER_CONFIG\" /etc/kubernetes/bootstrap-kubelet.conf",
            Commands(connector, "node3").Last(c => c.Script.Contains("kubeadm reset -f", StringComparison.Ordinal)).Script, StringComparison.Ordinal);
        Assert.Empty(world.Tokens);
        AssertTokenNowhere(world, connector, host);
    }

    [Theory]
    [InlineData("error execution phase preflight: couldn't validate the identity of the API Server: Get \"https://192.168.77.11:6443/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s\": dial tcp 192.168.77.11:6443: connect: connection refused", NodeErrorKind.ApiUnreachable)]
    [InlineData("error execution phase preflight: couldn't validate the identity of the API Server: dial tcp 192.168.77.11:6443: i/o timeout", NodeErrorKind.ApiUnreachable)]
    [InlineData("[preflight] Some fatal errors occurred:\n\t[ERROR Swap]: running with swap on is not supported. Please disable swap", NodeErrorKind.JoinFailed)]
    public void AFailedJoinNamesWhyAndKubeadmsErrorLines(string stderr, NodeErrorKind kind)
    {
        var world = new JoinWorld();
        world.Joined("node3");
        world.Workers["node2"].JoinFails = new CommandResult(1, "", stderr + "\n");
        var host = world.Run(new FakeConnector(world.Answer));

        var failure = Assert.Single(host.Failures);
        Assert.Equal((kind, "node2"), (failure.Kind, failure.Node.Name));
        Assert.Contains(stderr.Split('\n').Last().Trim(), failure.Detail, StringComparison.Ordinal);
        Assert.Contains("resets the node", failure.Detail, StringComparison.Ordinal);
        Assert.Equal(1, world.Workers["node2"].Resets);
        Assert.Empty(world.Tokens);
    }

    [Fact]
    public void ANodeThatDoesNotBecomeReadyInTimeFailsWithNodeNotReadyAndStaysJoined()
    {
        var world = new JoinWorld();
        world.Joined("node3");
        world.Workers["node2"].NeverReady = true;
        var host = world.Run(new FakeConnector(world.Answer), options: JoinWorld.Options(readySeconds: 1));

        var failure = Assert.Single(host.Failures);
        Assert.Equal((NodeErrorKind.NodeNotReady, "node2"), (failure.Kind, failure.Node.Name));
        Assert.Contains("cni plugin not initialized", failure.Detail, StringComparison.Ordinal);
        Assert.Equal(0, world.Workers["node2"].Resets);
        Assert.Empty(world.Tokens);
    }

    [Fact]
    public void ARunCancelledDuringTheJoinsStillDeletesTheTokenAndTheNextRunConverges()
    {
        var world = new JoinWorld();
        using var cts = new CancellationTokenSource();
        world.OnJoin = cts.Cancel;
        // The first join completes and stops the run; a join that starts after that is cut off, as the session would be.
        var connector = new FakeConnector((node, command) =>
        {
            if (cts.IsCancellationRequested && command.Script.Contains("kubeadm join --config", StringComparison.Ordinal))
                throw new OperationCanceledException(cts.Token);
            return world.Answer(node, command);
        });

        Assert.ThrowsAny<OperationCanceledException>(() => world.Run(connector, cancellation: cts.Token));
        Assert.Single(world.TokensCreated);
        Assert.Empty(world.Tokens);
        Assert.Equal(1, world.Deletes);
        Assert.Single(new[] { "node2", "node3" }, world.Registered.Contains);
        Assert.Equal(3, connector.Closed.Count);

        world.OnJoin = null;
        var host = world.Run(new FakeConnector(world.Answer));
        Assert.Empty(host.Failures);
        Assert.Equal(2, world.TokensCreated.Count);
        Assert.Empty(world.Tokens);
        Assert.Contains("node2", world.Registered);
        Assert.Contains("node3", world.Registered);
        Assert.All(host.Results.Where(r => r.Step == "Join"), r => Assert.NotEqual(StepStatus.Failed, r.Status));
    }

    [Fact]
    public void ATokenLeftByACrashBeforeItsOutputWasReadIsDeletedAfterTheCancelledRun()
    {
        // Ctrl+C while kubeadm token create runs: the token exists, its output never arrives; the run-end delete finds it by its description.
        var world = new JoinWorld();
        using var cts = new CancellationTokenSource();
        var connector = new FakeConnector((node, command) =>
        {
            var answer = world.Answer(node, command);
            if (command.Script.Contains("--print-join-command", StringComparison.Ordinal)) cts.Cancel();
            cts.Token.ThrowIfCancellationRequested();
            return answer;
        });

        Assert.ThrowsAny<OperationCanceledException>(() => world.Run(connector, cancellation: cts.Token));
        Assert.Single(world.TokensCreated);
        Assert.Empty(world.Tokens);
    }

    [Fact]
    public void WhatIfCreatesNothingAndShowsTheJoinConfigurationWithPlaceholders()
    {
        var world = new JoinWorld();
        var connector = new FakeConnector(world.Answer);
        var host = world.Run(connector, approve: false);

        Assert.Empty(host.Failures);
        Assert.Empty(world.TokensCreated);
        Assert.Equal(0, world.Deletes);
        Assert.DoesNotContain(connector.Sessions.Values.SelectMany(s => s.Commands),
            c => c.Script.Contains("--print-join-command", StringComparison.Ordinal) || c.Script.Contains("kubeadm join --config", StringComparison.Ordinal)
                || c.Script.Contains("kubeadm reset", StringComparison.Ordinal));
        Assert.Equal(new[] { "node1", "node2", "node3" }, host.ShouldProcessCalls.Select(c => c.Node.Name));
        var plan = host.ShouldProcessCalls.Single(c => c.Node.Name == "node2").Action;
        Assert.StartsWith("Join: 2 changes", plan, StringComparison.Ordinal);
        Assert.Contains("through <join token from phase JoinToken on node1>", plan, StringComparison.Ordinal);
        foreach (var line in new[] { "+kind: JoinConfiguration", "+    token: <bootstrap token>", $"+    - {world.LeaderPin}", "+  name: node2", "+    value: 192.168.77.12", "(mode 0600, removed after the join)" })
            Assert.Contains(line, plan, StringComparison.Ordinal);
        Assert.Contains("wait up to 1 s for node node2 to be Ready", plan, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAClusterOnTheLeaderNothingIsJoined()
    {
        var connector = new FakeConnector((node, command) => command.Script.Contains("@@ nodes_error", StringComparison.Ordinal)
            ? FakeNodeSession.Ok("@@ admin_conf\nno\n") : new JoinWorld().Answer(node, command));
        var host = new JoinWorld().Run(connector);

        var failure = Assert.Single(host.Failures);
        Assert.Equal((NodeErrorKind.InvalidNodeState, "node1"), (failure.Kind, failure.Node.Name));
        Assert.Contains("Initialize-PiControlPlane", failure.Detail, StringComparison.Ordinal);
        Assert.All(host.Results.Where(r => r.Step == "Join"), r => Assert.Equal(StepStatus.Skipped, r.Status));
    }

    [Fact]
    public void AWorkerWhoseCaIsOnlyInKubeletConfIsJudgedByThatCa()
    {
        var world = new JoinWorld();
        world.Joined("node2");
        world.Joined("node3");
        world.Workers["node2"].CaOnlyInKubeletConf = true;
        world.Workers["node3"].CaOnlyInKubeletConf = true;
        world.Workers["node3"].CaPem = world.OtherCa;
        var host = world.Run(new FakeConnector(world.Answer), approve: false);

        Assert.Equal(StepStatus.Unchanged, host.Results.Single(r => r.Node.Name == "node2" && r.Step == "Join").Status);
        Assert.Contains("its kubelet.conf is of another cluster", host.ShouldProcessCalls.Single(c => c.Node.Name == "node3").Action, StringComparison.Ordinal);
    }

    [Fact]
    public void ADryRunThatWouldAlsoMakeTheClusterPlansEveryJoinOnTheCaToCome()
    {
        var world = new JoinWorld();
        var connector = new FakeConnector((node, command) => command.Script.Contains("@@ nodes_error", StringComparison.Ordinal)
            ? FakeNodeSession.Ok("@@ admin_conf\nno\n") : world.Answer(node, command));
        // What KubeadmConfig says before Init in a run that makes the cluster.
        var config = new ScriptedPhase("KubeadmConfig", c =>
        {
            c.Set(KubeadmConfigPhase.Status, new ControlPlaneStatus(false, Array.Empty<SettingDifference>()));
            return ScriptedPhase.Change("write the kubeadm configuration");
        }, PhaseTargets.Leader, outputs: KubeadmConfigPhase.Status);

        var host = world.Run(connector, approve: false, before: config);

        Assert.Empty(host.Failures);
        Assert.Contains("create one bootstrap token for node2, node3", host.ShouldProcessCalls.Single(c => c.Action.StartsWith("JoinToken", StringComparison.Ordinal)).Action, StringComparison.Ordinal);
        Assert.Contains("CA pinned to <CA of the cluster phase Init creates>", host.ShouldProcessCalls.Single(c => c.Node.Name == "node2").Action, StringComparison.Ordinal);
        Assert.Empty(world.TokensCreated);
    }
}
