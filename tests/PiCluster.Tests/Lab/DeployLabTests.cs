using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Checks.Cluster;
using PiCluster.Clusters;
using PiCluster.Deploy;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Steps.Kubeconfig;
using PiCluster.Tests.Fakes;
using PiCluster.Tests.PowerShell;
using PiCluster.Transport;
using Xunit;
using Xunit.Abstractions;
using static PiCluster.Tests.Lab.LabRuns;

namespace PiCluster.Tests.Lab;

/// <summary>
/// Deploy-PiCluster and Test-PiCluster on lab nodes (issue 12), staged on shared nodes because every stage costs minutes
/// under emulation: -WhatIf on fresh nodes plans every phase and changes nothing; the same fresh nodes deployed for
/// real (pausing once they are prepared for the snapshot the other cluster lab tests restore, <see cref="PreparedSnapshot"/>),
/// with the third node's route to the API cut at its join, fail that node alone, clearly, clean, and join the
/// other; a run cancelled during the third node's join leaves no PiCluster token; the next run joins it and leaves the
/// others Unchanged, its checks all pass, the real kubectl lists three Ready nodes and the Pester verification script
/// passes; a second run is Unchanged in 1 connection and at most 3 round trips per node; Test-PiCluster fails exactly
/// the right checks for swap turned on and a node not in the file; a fourth node added to the file and handed a wrong
/// CA pin fails alone while the others get only its /etc/hosts line; the next run joins it and touches nothing else;
/// a stopped kubelet fails that node's checks only.
/// </summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DeployLabTests(LabFixture lab, ITestOutputHelper output)
{
    private static readonly string[] Three = ["node1", "node2", "node3"];
    private const string Added = LabFixture.LowMemoryNode;

    private static bool IsJoin(RemoteCommand command) => command.Display?.Contains("kubeadm join", StringComparison.Ordinal) == true;

    /// <summary>No result of these nodes is Changed (JoinToken is the leader's token for this run's joins).</summary>
    private static void AssertUntouched(RecordingRunHost host, params string[] names) =>
        Assert.All(host.Results.Where(r => names.Contains(r.Node.Name) && r.Step != "JoinToken"), r => Assert.NotEqual(StepStatus.Changed, r.Status));

    /// <summary>The nodes the real kubectl on this machine lists Ready through the merged kubeconfig.</summary>
    private static async Task<List<string>> ReadyNodesAsync(string kubeconfig)
    {
        var start = new ProcessStartInfo("kubectl", ["--kubeconfig", kubeconfig, "--context", "pilab", "get", "nodes", "-o", "json"]) { RedirectStandardOutput = true };
        using var kubectl = Process.Start(start)!;
        var json = await kubectl.StandardOutput.ReadToEndAsync();
        await kubectl.WaitForExitAsync();
        Assert.Equal(0, kubectl.ExitCode);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("items").EnumerateArray()
            .Where(n => n.GetProperty("status").GetProperty("conditions").EnumerateArray().Any(c => c.GetProperty("type").GetString() == "Ready" && c.GetProperty("status").GetString() == "True"))
            .Select(n => n.GetProperty("metadata").GetProperty("name").GetString()!).OrderBy(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>The lab's cluster file with only <paramref name="names"/>, written where Pester and the cmdlets can read it.</summary>
    private string ClusterFile(string dir, params string[] names)
    {
        var text = File.ReadAllText(lab.ClusterFilePath);
        text = Regex.Replace(text, @"  - name: (node\d+)\n(    .*\n)*", m => names.Contains(m.Groups[1].Value) ? m.Value : "");
        var path = Path.Combine(dir, $"cluster-{names.Length}.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    private (RecordingRunHost Host, CountingConnector Connector, DeployResult Result, TimeSpan Wall) Deploy(string clusterFile, string kubeconfig,
        bool whatIf = false, Action<PiNode, RemoteCommand>? beforeCommand = null, CancellationToken cancellation = default,
        Func<PiNode, RemoteCommand, RemoteCommand>? rewrite = null, string[]? only = null, Func<DeployOptions, IReadOnlyList<ClusterPhase>>? phases = null,
        SshTransport transport = SshTransport.OpenSsh)
    {
        var connector = new CountingConnector(transport) { BeforeCommand = beforeCommand, Rewrite = rewrite };
        var host = new RecordingRunHost();
        if (whatIf) host.Answer = (_, _) => false;
        var nodes = ClusterNodes.ToPiNodes(ClusterFileLoader.Load(clusterFile)).Where(n => only is null || only.Contains(n.Name)).ToList();
        var options = new DeployOptions
        {
            Preparation = Preparation(),
            Kubeconfig = new KubeconfigOptions(kubeconfig, Server: $"https://127.0.0.1:{lab.ApiPort}", ClusterName: "pilab"),
            // node3's join with its route to the API cut fails after this rather than the 2-minute default; a join
            // that reaches the API needs a few seconds of it even on a loaded host.
            Join = new PiCluster.Workers.JoinOptions { DiscoveryTimeout = TimeSpan.FromSeconds(45) },
        };
        var recorder = new DeployRecorder(host, nodes);
        var clock = Stopwatch.StartNew();
        try
        {
            new PhaseRunner(connector, new RunOptions()).Run(nodes, (phases ?? DeployPlan.Phases)(options), recorder, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            output.WriteLine("(cancelled)");
        }
        var result = recorder.Result("pilab", stopped: cancellation.IsCancellationRequested);
        output.WriteLine($"--- deploy of {string.Join(", ", nodes.Select(n => n.Name))}{(whatIf ? " -WhatIf" : "")}: {clock.Elapsed.TotalSeconds:F0} s; {result}");
        output.WriteLine(Describe(host));
        return (host, connector, result, clock.Elapsed);
    }

    /// <summary>What PiCluster may change on a node: the files it edits, its packages, swap, and the services it runs.</summary>
    private Task<string[]> FingerprintAsync() => Task.WhenAll(Three.Select(n => RootAsync(lab, n,
        "for p in /etc/hostname /etc/hosts /etc/fstab /boot/firmware/cmdline.txt; do [ -e $p ] && sha256sum $p; done; " +
        "find /etc/kubernetes /etc/cni /etc/containerd /etc/apt/sources.list.d /etc/apt/keyrings /etc/modules-load.d /etc/sysctl.d " +
        "/etc/systemd/timesyncd.conf.d /var/lib/kubelet -xdev -type f -exec sha256sum {} + 2>/dev/null | sort; " +
        "dpkg-query -W -f '${Package} ${Version} ${Status}\\n' | sha256sum; hostname; swapon --show=NAME --noheadings; " +
        "systemctl is-active kubelet containerd 2>/dev/null; echo end")));

    /// <summary>The ids of PiCluster's bootstrap tokens on the leader (the ids only: the secrets never leave the node).</summary>
    private async Task<string> PiClusterTokensAsync() => (await RootAsync(lab, "node1",
        "kubeadm token list --kubeconfig /etc/kubernetes/admin.conf 2>/dev/null | awk '/PiCluster/ { split($1, p, \".\"); print p[1] }'")).Trim();

    private IReadOnlyList<string> FailedChecks(string clusterFile, string kubeconfig)
    {
        var host = new RecordingRunHost();
        new ClusterCheckRunner(new CountingConnector(), new RunOptions(), kubeconfig).Run(ClusterNodes.ToPiNodes(ClusterFileLoader.Load(clusterFile)), host, CancellationToken.None);
        var failed = host.Output<ClusterCheckResult>().Where(r => !r.Passed).Select(r => $"{r.Node.Name} {r.Check}").OrderBy(s => s, StringComparer.Ordinal).ToList();
        output.WriteLine($"Test-PiCluster failed: [{string.Join(", ", failed)}]");
        return failed;
    }

    [Fact]
    public async Task Deploy_plans_fails_one_node_cleanly_converges_is_checked_and_reruns_unchanged()
    {
        Assert.NotNull(lab.RepoPort);
        var dir = Directory.CreateTempSubdirectory("pideploy-");
        try
        {
            var three = ClusterFile(dir.FullName, Three);
            var kubeconfig = Path.Combine(dir.FullName, "kube", "config");
            var cut = $"ip route add unreachable {lab.LanAddress("node1")}/32";

            // -WhatIf on fresh nodes: every phase planned on every node it targets, nothing changed.
            await lab.ResetAsync([.. Three, Added]);
            var before = await FingerprintAsync();
            var planned = Deploy(three, kubeconfig, whatIf: true);
            Assert.Empty(planned.Host.Failures);
            Assert.True(planned.Result.DryRun);
            var asked = planned.Host.ShouldProcessCalls.GroupBy(c => c.Node.Name).ToDictionary(g => g.Key, g => g.Select(c => c.Action.Split(':')[0]).ToList());
            Assert.Equal(["Initialize", "ContainerRuntime", "KubernetesPackages", "KubeadmConfig", "Images", "Init", "PodNetwork", "Kubeconfig", "JoinToken"], asked["node1"]);
            Assert.Equal(["Initialize", "ContainerRuntime", "KubernetesPackages", "Join"], asked["node2"]);
            Assert.Equal(["Initialize", "ContainerRuntime", "KubernetesPackages", "Join"], asked["node3"]);
            Assert.Equal(before, await FingerprintAsync());
            Assert.False(File.Exists(kubeconfig));

            // The same fresh nodes for real (preparation with its reboot, runtime, packages, init, flannel, joins), with
            // node3's route to the API cut when its join starts (a route added earlier would not outlive its reboot):
            // node3 fails alone, named, and is left clean; node2 joins. Once the three are prepared, before the leader's
            // kubeadm configuration, the run pauses for the "prepared" snapshot that ControlPlaneLabTests restores
            // (PreparedSnapshot).
            // Meanwhile node5, which joins later, is prepared in runs of its own (Initialize-PiNode's phase over SSH.NET,
            // then the runtime and the packages), so that adding it to the file below costs its join and not a second
            // cold preparation of this test.
            var four = ClusterFile(dir.FullName, [.. Three, Added]);
            var preparing = Task.Run(() => (
                Initialized: Deploy(four, kubeconfig, only: [Added], phases: o => DeployPlan.Preparation(o).Take(1).ToList(), transport: SshTransport.SshNet),
                Installed: Deploy(four, kubeconfig, only: [Added], phases: o => DeployPlan.Preparation(o).Skip(1).ToList())));
            var routeCut = 0;
            var snapshots = 0;
            var cold = Deploy(three, kubeconfig, beforeCommand: (node, command) =>
            {
                if (node.Name == "node1" && command.Display?.StartsWith("KubeadmConfig: read", StringComparison.Ordinal) == true
                    && Interlocked.Exchange(ref snapshots, 1) == 0)
                    lab.SnapshotAsync(PreparedSnapshot.Tag, Three).GetAwaiter().GetResult();
                if (node.Name == "node3" && IsJoin(command) && Interlocked.Exchange(ref routeCut, 1) == 0)
                    RootAsync(lab, "node3", cut).GetAwaiter().GetResult();
            });
            var added = await preparing;
            Assert.True(added.Initialized.Host.Failures.Count == 0, Describe(added.Initialized.Host));
            Assert.Equal(SshTransport.SshNet, added.Initialized.Connector.Sessions[Added].Transport);
            Assert.Contains(added.Initialized.Host.Results, r => r.Step == "Initialize" && r.Status == StepStatus.Changed);
            // Its reboot, waited out over SSH.NET (a reconnect that needs a new boot id): the lab's one SSH.NET reboot.
            Assert.Equal(1, added.Initialized.Result.Nodes.Single().Reboots);
            Assert.True(added.Installed.Host.Failures.Count == 0, Describe(added.Installed.Host));
            Assert.Equal((1, 1), (routeCut, snapshots));
            // Fresh nodes: every preparation phase changed each of them.
            foreach (var step in new[] { "Initialize", "ContainerRuntime", "KubernetesPackages" })
                Assert.All(Three, n => Assert.Contains(cold.Host.Results, r => r.Node.Name == n && r.Step == step && r.Status == StepStatus.Changed));
            var failure = Assert.Single(cold.Host.Failures);
            Assert.Equal(("node3", "Join"), (failure.Node.Name, failure.Step));
            Assert.Contains(failure.Kind, new[] { NodeErrorKind.ApiUnreachable, NodeErrorKind.JoinFailed });
            Assert.Contains("node3", failure.Message);
            Assert.Equal(DeployNodeStatus.Changed, cold.Result.Nodes.Single(n => n.Name == "node2").Status);
            Assert.Equal("", await PiClusterTokensAsync());
            Assert.Equal("clean", (await RootAsync(lab, "node3", "test ! -e /etc/kubernetes/kubelet.conf && test ! -e /etc/kubernetes/picluster-join.yaml && echo clean")).Trim());

            // The route back; a run cancelled during node3's join leaves no token behind.
            await RootAsync(lab, "node3", $"ip route del unreachable {lab.LanAddress("node1")}/32");
            using (var cancel = new CancellationTokenSource())
            {
                var cancelled = Deploy(three, kubeconfig, beforeCommand: (node, command) =>
                {
                    if (node.Name == "node3" && IsJoin(command)) cancel.CancelAfter(TimeSpan.FromSeconds(2));
                }, cancellation: cancel.Token);
                Assert.True(cancel.IsCancellationRequested, "the run reached node3's join");
                Assert.True(cancelled.Result.Stopped && !cancelled.Result.Succeeded, cancelled.Result.ToString());
            }
            Assert.Equal("", await PiClusterTokensAsync());

            // The next run joins node3 and leaves node1 and node2 as they are; the deploy from fresh nodes ends with
            // every check passed.
            var joined = Deploy(three, kubeconfig);
            Assert.True(joined.Host.Failures.Count == 0, Describe(joined.Host));
            AssertUntouched(joined.Host, "node1", "node2");
            Assert.True(joined.Result.Succeeded, joined.Result.ToString());
            Assert.NotEmpty(joined.Result.Checks);
            Assert.All(joined.Result.Checks, c => Assert.True(c.Passed, $"{c.Node.Name} {c.Check}: {c.Detail}"));
            Assert.Equal("", await PiClusterTokensAsync());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kubeconfig));

            // The real kubectl on this machine, with the merged kubeconfig, lists the three nodes Ready.
            Assert.Equal(Three, await ReadyNodesAsync(kubeconfig));

            // The verification script a user would write, in Pester.
            var pester = await PesterSuite.RunAsync("cluster", ["-Tag", "Cluster"], TimeSpan.FromMinutes(15),
                new Dictionary<string, string> { ["PICLUSTER_LAB_CLUSTER"] = three, ["PICLUSTER_LAB_API_SERVER"] = $"https://127.0.0.1:{lab.ApiPort}" });
            Assert.Equal((0, 0), (pester.Failed, pester.Skipped));
            Assert.True(pester.Passed > 0);

            // A second run: Unchanged everywhere, 1 connection and at most 3 round trips per node.
            var again = Deploy(three, kubeconfig);
            Assert.Empty(again.Host.Failures);
            Assert.All(again.Host.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
            // Where the one fact round trip spends its time on each node (issue 14: the converged run against its floor).
            foreach (var line in again.Host.Verbose.Where(v => v.Contains(" fact scripts in ", StringComparison.Ordinal)))
                output.WriteLine("second run: " + line);
            foreach (var node in Three)
            {
                var session = again.Connector.Sessions[node];
                output.WriteLine($"second run: {node}: {again.Connector.Opens[node]} connection(s), {session.RoundTrips} round trips; wall {again.Wall.TotalSeconds:F1} s");
                Assert.Equal(1, again.Connector.Opens[node]);
                Assert.True(session.RoundTrips <= 3, $"{node}: {session.RoundTrips} round trips");
            }

            // Test-PiCluster fails the right checks, and only those: swap turned on, a node not in the file.
            await RootAsync(lab, "node2", "fallocate -l 16M /picluster-test.swap && chmod 600 /picluster-test.swap && mkswap /picluster-test.swap >/dev/null && swapon /picluster-test.swap");
            Assert.Equal(["node2 Swap"], FailedChecks(three, kubeconfig));
            await RootAsync(lab, "node2", "swapoff /picluster-test.swap && rm -f /picluster-test.swap");
            // node3 is registered but not in this file: the leader's row says so.
            Assert.Equal(["node1 UnknownNodes"], FailedChecks(ClusterFile(dir.FullName, "node1", "node2"), kubeconfig));

            await AddedNodeJoinsAloneAsync(four, kubeconfig);

            // A stopped kubelet fails that node's checks only.
            await RootAsync(lab, "node3", "systemctl stop kubelet");
            await Task.Delay(TimeSpan.FromSeconds(50)); // the API marks a node whose heartbeats stop after 40 s
            var stopped = FailedChecks(four, kubeconfig);
            Assert.Contains("node3 NodeReady", stopped);
            Assert.All(stopped, f => Assert.StartsWith("node3 ", f));
            await RootAsync(lab, "node3", "systemctl start kubelet");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }


    /// <summary>
    /// node5 (prepared, not joined) added to the file and handed a wrong CA pin in its JoinConfiguration: it fails alone
    /// with CaPinRefused, named and left clean, while the cluster's nodes get only its /etc/hosts line; the next run
    /// joins it and changes nothing else, and every check passes on the four nodes.
    /// </summary>
    private async Task AddedNodeJoinsAloneAsync(string four, string kubeconfig)
    {
        var wrongPin = "sha256:" + new string('0', 64);
        var pinned = Deploy(four, kubeconfig, rewrite: (node, command) => node.Name == Added && IsJoin(command) && command.Input is { } input
            ? new RemoteCommand(command.Script, command.AsRoot, Regex.Replace(input, "sha256:[0-9a-f]{64}", wrongPin), command.Timeout, command.Display)
            : command);
        var failure = Assert.Single(pinned.Host.Failures);
        Assert.Equal((Added, "Join", NodeErrorKind.CaPinRefused), (failure.Node.Name, failure.Step, failure.Kind));
        Assert.Contains(Added, failure.Message);
        Assert.All(pinned.Host.Results.Where(r => Three.Contains(r.Node.Name) && r.Step != "JoinToken" && r.Status == StepStatus.Changed),
            r => Assert.Equal("Initialize: Hostname: edit /etc/hosts", $"{r.Step}: {string.Join("; ", r.Changes.Select(c => c.Description).Distinct())}"));
        Assert.Equal("", await PiClusterTokensAsync());
        Assert.Equal("clean", (await RootAsync(lab, Added, "test ! -e /etc/kubernetes/kubelet.conf && test ! -e /etc/kubernetes/picluster-join.yaml && echo clean")).Trim());

        var joined = Deploy(four, kubeconfig);
        Assert.True(joined.Host.Failures.Count == 0, Describe(joined.Host));
        AssertUntouched(joined.Host, Three);
        Assert.Equal(DeployNodeStatus.Changed, joined.Result.Nodes.Single(n => n.Name == Added).Status);
        Assert.True(joined.Result.Succeeded, joined.Result.ToString());
        Assert.All(joined.Result.Checks, c => Assert.True(c.Passed, $"{c.Node.Name} {c.Check}: {c.Detail}"));
        Assert.Equal([.. Three, Added], await ReadyNodesAsync(kubeconfig));
    }
}
