using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Steps.Kubeconfig;
using PiCluster.Steps.Kubernetes;
using PiCluster.Steps.NodePrep;
using PiCluster.Steps.Runtime;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;
using Xunit.Abstractions;
using static PiCluster.Tests.Lab.LabRuns;

namespace PiCluster.Tests.Lab;

/// <summary>
/// First the three prepared lab nodes themselves (<see cref="PreparedSnapshot"/>: DeployLabTests prepares them from fresh
/// nodes): the runtime and the Kubernetes packages in place (issue 5), Initialize-PiNode's changes in effect (issue 4),
/// the three preparation cmdlets together converged in one connection and at most three round trips per node over
/// either transport (issue 14), and Install-PiContainerRuntime repairing a Docker-style containerd config. Then
/// Initialize-PiControlPlane and Install-PiPodNetwork (issue 11 items 2 and 3) on those nodes: -WhatIf
/// plans every phase and leaves /etc/kubernetes and /etc/cni byte for byte as they were; subnets that overlap the LAN or
/// a node's route are refused before any change; an init that fails (port 6443 taken) fails clearly and leaves node1
/// clean, and succeeds once the port is free; flannel from the lab's manifest URL with its SHA-256; second runs
/// Unchanged in one connection per node; the bootstrap token in no output and no file outside /etc/kubernetes; then
/// calico on nodes restored to the prepared snapshot (<see cref="PreparedSnapshot"/>). One test: the nodes are shared.
/// </summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ControlPlaneLabTests(LabFixture lab, ITestOutputHelper output)
{
    private static readonly string[] Three = ["node1", "node2", "node3"];
    private readonly List<RecordingRunHost> _hosts = new();

    private static readonly Regex TokenLine = new(@"^([a-z0-9]{6}\.[a-z0-9]{16})\s", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    /// <summary>A copy of the lab's cluster file with node1-3 only and the given network and kubernetes lines.</summary>
    private ClusterDefinition ClusterFile(string plugin = "flannel", string? podSubnet = null)
    {
        var text = File.ReadAllText(lab.ClusterFilePath);
        var manifest = plugin == "flannel" ? "kube-flannel.yml" : plugin + ".yaml";
        var sha = ManifestIntegrity.Sha256(File.ReadAllBytes(Path.Combine(lab.RepoRoot, "tests", "lab", "standins", "manifests", manifest)));
        // The lab's file names the flannel stand-in already; a test's plugin replaces the whole network block.
        text = Regex.Replace(text, @"\nnetwork:\n(  .*\n)*",
            $"\nnetwork:\n  plugin: {plugin}\n  manifest: http://10.0.2.2:{lab.RepoPort}/manifests/{manifest}\n  manifestSha256: {sha}\n");
        if (podSubnet is not null)
            text = text.Replace("  podSubnet: 10.244.0.0/16\n", $"  podSubnet: {podSubnet}\n", StringComparison.Ordinal);
        var cluster = ClusterFileLoader.Parse(text, lab.ClusterFilePath);
        cluster.Nodes.RemoveAll(n => !Three.Contains(n.Name));
        return cluster;
    }

    private (RecordingRunHost Host, CountingConnector Connector) RunPhases(ClusterDefinition cluster, bool whatIf, params ClusterPhase[] phases)
    {
        var connector = new CountingConnector();
        var host = new RecordingRunHost();
        if (whatIf) host.Answer = (_, _) => false;
        new PhaseRunner(connector, new RunOptions()).Run(ClusterNodes.ToPiNodes(cluster), phases, host, CancellationToken.None);
        _hosts.Add(host);
        output.WriteLine(Describe(host));
        return (host, connector);
    }

    /// <summary>Several commands as root in one SSH round trip; one trimmed output per command.</summary>
    private async Task<string[]> RootEach(string node, params string[] commands)
    {
        const string Marker = "@@pilab-next@@";
        var outputs = await RootAsync(lab, node, string.Join($"; echo {Marker}; ", commands) + $"; echo {Marker}");
        return outputs.Split(Marker + "\n").Take(commands.Length).Select(o => o.Trim()).ToArray();
    }

    private static ClusterPhase[] ControlPlane() =>
        [new NetworkFactsPhase(), new KubeadmConfigPhase(), new ImagePullPhase(TimeSpan.FromMinutes(20)), new KubeadmInitPhase(TimeSpan.FromMinutes(20))];

    private static PodNetworkPhase PodNetwork(string? plugin = null) => new(plugin, TimeSpan.FromMinutes(5));

    /// <summary>Every file under /etc/kubernetes and /etc/cni with its hash, mode and owner, per node.</summary>
    private async Task<string[]> FileStateAsync() => await Task.WhenAll(Three.Select(n => RootAsync(lab, n,
        "find /etc/kubernetes /etc/cni -xdev \\( -type f -o -type l -o -type d \\) -printf '%p %m %u\\n' 2>/dev/null | sort; " +
        "find /etc/kubernetes /etc/cni -xdev -type f -exec sha256sum {} + 2>/dev/null | sort; echo end")));

    /// <summary>This machine's kubectl (the real client) with a kubeconfig; its stdout. Output is not logged (credentials).</summary>
    private static string RealKubectl(string kubeconfig, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(kubeconfig);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var kubectl = System.Diagnostics.Process.Start(start)!;
        var stderr = kubectl.StandardError.ReadToEndAsync();
        var stdout = kubectl.StandardOutput.ReadToEnd();
        if (!kubectl.WaitForExit(120_000)) { kubectl.Kill(); throw new TimeoutException("kubectl " + string.Join(' ', args)); }
        Assert.True(kubectl.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {stderr.Result}");
        return stdout;
    }

    [Fact]
    public async Task Control_plane_and_pod_network_plan_refuse_fail_clean_succeed_and_converge_on_prepared_nodes()
    {
        Assert.NotNull(lab.RepoPort);
        await PreparedSnapshot.RestoreOrMakeAsync(lab);
        // The prepared nodes as DeployLabTests' cold deploy left them before its kubeadm init: preparation in effect,
        // the runtime and packages in place, and second runs that change nothing over either transport.
        var nodes = PreparedSnapshot.PiNodes(lab);
        NodeStep[] packageSteps = [new ContainerRuntimeStep(), new KubernetesPackagesStep()];

        // Install-PiContainerRuntime and Install-PiKubernetes left containerd with its CRI plugin and the packages from
        // the lab's signed repository, pinned and held.
        foreach (var node in nodes)
        {
            var facts = await RootEach(node.Name, "cat /etc/containerd/config.toml", "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'",
                "crictl info >/dev/null && echo answers", "apt-mark showhold", "dpkg-query -W -f='${Version}' kubeadm",
                "systemctl is-enabled kubelet", "cat /etc/apt/sources.list.d/kubernetes.list");
            Assert.Equal((true, "registry.k8s.io/pause:3.10.1", false), ContainerdConfig.Read(facts[0]));
            Assert.Equal("ok", facts[1]);
            Assert.Equal("answers", facts[2]); // through /etc/crictl.yaml
            Assert.Equal("kubeadm\nkubectl\nkubelet", facts[3]);
            Assert.Equal("1.34.2-1.1", facts[4]); // a minor channel takes its newest patch: the lab repository's newest 1.34
            Assert.Equal("enabled", facts[5]);
            Assert.Contains("deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] http://10.0.2.2:", facts[6]);
            Assert.DoesNotContain("trusted", facts[6]);
        }

        // Initialize-PiNode's changes are in effect after its reboot.
        foreach (var node in nodes)
        {
            var facts = await RootEach(node.Name, "cat /proc/cmdline", "tail -n +2 /proc/swaps | wc -l",
                "cat /sys/fs/cgroup/cgroup.controllers", "lsmod | grep -cE '^(overlay|br_netfilter) '",
                "sysctl -n net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward", "hostname");
            Assert.Contains("cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1", facts[0]);
            Assert.Equal("0", facts[1]);
            Assert.Contains("memory", facts[2].Split(' '));
            Assert.Equal("2", facts[3]);
            Assert.Equal("1\n1\n1", facts[4]);
            Assert.Equal(node.Name, facts[5]);
        }

        // Converged: the preparation cmdlets change nothing (and do not reboot)...
        var (converged, convergedConnector) = Run(nodes, [InitializeNodeStep.Create(Preparation(skipTimeSyncWait: true)), .. packageSteps]);
        Assert.True(converged.Failures.Count == 0, Describe(converged));
        Assert.Equal(9, converged.Results.Count());
        Assert.All(converged.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
        // ... and cost one connection and at most three round trips per node: the lock, every step's facts, the release.
        foreach (var node in nodes)
        {
            var session = convergedConnector.Sessions[node.Name];
            output.WriteLine($"converged preparation, {node.Name}: {session.Connections} connection(s), {session.RoundTrips} round trip(s)");
            Assert.Equal(1, convergedConnector.Opens[node.Name]);
            Assert.Equal(1, session.Connections);
            Assert.InRange(session.RoundTrips, 1, 3);
        }

        // ... and over SSH.NET too (DeployLabTests prepares its fourth node over SSH.NET from fresh).
        var (againSshNet, againSshNetConnector) = Run(nodes, [InitializeNodeStep.Create(Preparation(skipTimeSyncWait: true)), .. packageSteps],
            transport: SshTransport.SshNet);
        Assert.True(againSshNet.Failures.Count == 0, Describe(againSshNet));
        Assert.All(againSshNet.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
        foreach (var node in nodes)
        {
            var session = againSshNetConnector.Sessions[node.Name];
            output.WriteLine($"converged preparation over SSH.NET, {node.Name}: {session.Connections} connection(s), {session.RoundTrips} round trip(s)");
            Assert.Equal((1, 1), (againSshNetConnector.Opens[node.Name], session.Connections));
            Assert.InRange(session.RoundTrips, 1, 3);
        }

        // Install-PiContainerRuntime repairs what a Docker package leaves (the CRI plugin disabled), keeping the user's section.
        await RootAsync(lab, "node3", "printf '%s\\n' 'disabled_plugins = [\"cri\"]' '' " +
            "'[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]' '  endpoint = [\"https://mirror.lab.invalid\"]' " +
            "> /etc/containerd/config.toml && systemctl restart containerd");
        Assert.NotEqual("ok", (await RootEach("node3", "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'"))[0]);
        var node3 = nodes.Where(n => n.Name == "node3").ToList();
        var repair = RunSteps(node3, new ContainerRuntimeStep());
        Assert.True(repair.Failures.Count == 0, Describe(repair));
        var repaired = Assert.Single(repair.Results);
        Assert.Equal(StepStatus.Changed, repaired.Status);
        Assert.Contains(repaired.Changes, c => c.Description.Contains("enable the CRI plugin"));
        var after = await RootEach("node3", "cat /etc/containerd/config.toml", "ctr plugins ls | awk '$2 == \"cri\" { print $NF }'", "ls /etc/containerd/config.toml.picluster-*.bak");
        Assert.Contains("endpoint = [\"https://mirror.lab.invalid\"]", after[0]);
        Assert.Equal((true, "registry.k8s.io/pause:3.10.1", false), ContainerdConfig.Read(after[0]));
        Assert.Equal("ok", after[1]);
        Assert.NotEmpty(after[2]);
        Assert.Equal(StepStatus.Unchanged, Assert.Single(RunSteps(node3, new ContainerRuntimeStep()).Results).Status);

        var before = await FileStateAsync();

        // -WhatIf: every phase's plan, nothing changed.
        var (planned, _) = RunPhases(ClusterFile(), whatIf: true, ControlPlane());
        Assert.Empty(planned.Failures);
        Assert.Equal(["KubeadmConfig", "Images", "Init"], planned.ShouldProcessCalls.Select(c => c.Action.Split(':')[0]));
        Assert.Contains("+  advertiseAddress: " + lab.LanAddress("node1"), planned.ShouldProcessCalls[0].Action);
        var (plannedNetwork, _) = RunPhases(ClusterFile(), whatIf: true, PodNetwork());
        Assert.Empty(plannedNetwork.Failures);
        Assert.StartsWith("PodNetwork: 1 change", Assert.Single(plannedNetwork.ShouldProcessCalls).Action);
        Assert.Equal(before, await FileStateAsync());

        // Subnets overlapping the LAN or a route (the qemu NAT, 10.0.2.0/24) are refused before any change.
        var lanOverlap = Record.Exception(() => ClusterFile(podSubnet: "192.168.0.0/16"));
        if (lanOverlap is null)
        {
            var (refusedLan, _) = RunPhases(ClusterFile(podSubnet: "192.168.0.0/16"), whatIf: false, ControlPlane());
            Assert.Equal(NodeErrorKind.SubnetConflict, Assert.Single(refusedLan.Failures).Kind);
        }
        else
        {
            Assert.IsType<ClusterFileException>(lanOverlap); // the file's own validation already refuses it
        }
        var (refusedRoute, _) = RunPhases(ClusterFile(podSubnet: "10.0.0.0/16"), whatIf: false, ControlPlane());
        var conflict = Assert.Single(refusedRoute.Failures);
        Assert.Equal(NodeErrorKind.SubnetConflict, conflict.Kind);
        Assert.Contains("10.0.0.0/16 overlaps", conflict.Detail);
        Assert.Empty(refusedRoute.ShouldProcessCalls);
        Assert.Equal(before, await FileStateAsync());

        // A failed init (port 6443 taken): KubeadmInitFailed on node1, and node1 left clean for the re-run.
        var listener = (await RootAsync(lab, "node1", "setsid python3 -m http.server 6443 </dev/null >/dev/null 2>&1 & echo $!; sleep 2")).Trim();
        var (failed, _) = RunPhases(ClusterFile(), whatIf: false, ControlPlane());
        var initFailure = Assert.Single(failed.Failures);
        Assert.Equal((NodeErrorKind.KubeadmInitFailed, "node1", "Init"), (initFailure.Kind, initFailure.Node.Name, initFailure.Step));
        Assert.Contains("Port-6443", initFailure.Detail);
        Assert.Equal("clean", (await RootAsync(lab, "node1",
            "test ! -e /etc/kubernetes/admin.conf && test ! -e /etc/kubernetes/pki/ca.crt && ! ls /etc/kubernetes/manifests/*.yaml >/dev/null 2>&1 && echo clean")).Trim());
        await RootAsync(lab, "node1", $"kill {int.Parse(listener, System.Globalization.CultureInfo.InvariantCulture)}; sleep 1");

        // The successful run, then the pod network from the lab's URL, checked against its SHA-256.
        var (initialised, _) = RunPhases(ClusterFile(), whatIf: false, ControlPlane());
        Assert.True(initialised.Failures.Count == 0, Describe(initialised));
        Assert.Equal(StepStatus.Changed, initialised.Results.Single(r => r.Step == "Init").Status);
        Assert.Equal("600\n600", (await RootAsync(lab, "node1", "stat -c %a /etc/kubernetes/admin.conf " + KubeadmConfiguration.RemotePath)).Trim());
        var (network, _) = RunPhases(ClusterFile(), whatIf: false, PodNetwork());
        Assert.True(network.Failures.Count == 0, Describe(network));
        Assert.Equal(StepStatus.Changed, network.Results.Single(r => r.Step == "PodNetwork").Status);

        // Export-PiKubeconfig into a kubeconfig that already holds another cluster, with the API at the lab's forward:
        // the real kubectl on this machine then lists node1 Ready, the other cluster's text survives byte for byte, 0600.
        var home = Directory.CreateTempSubdirectory("pikube-");
        try
        {
            var kubeconfig = Path.Combine(home.FullName, ".kube", "config");
            Directory.CreateDirectory(Path.GetDirectoryName(kubeconfig)!);
            const string Other = """
                apiVersion: v1
                kind: Config
                clusters:
                - cluster:
                    server: https://other.example.invalid:6443
                  name: other
                contexts:
                - context:
                    cluster: other
                    user: other-admin
                  name: other
                current-context: other
                users:
                - name: other-admin
                  user:
                    token: not-a-real-token
                """;
            File.WriteAllText(kubeconfig, Other.Replace("\r", "") + "\n");
            var otherBlocks = new[] { "- cluster:\n    server: https://other.example.invalid:6443\n  name: other\n",
                "- context:\n    cluster: other\n    user: other-admin\n  name: other\n", "- name: other-admin\n  user:\n    token: not-a-real-token\n" };
            var node1 = Nodes(lab, "node1");
            var export = new KubeconfigStep(new KubeconfigOptions(kubeconfig, Server: $"https://127.0.0.1:{lab.ApiPort}", ClusterName: "pilab"));
            var (exported, _) = Run(node1, [export]);
            _hosts.Add(exported);
            Assert.True(exported.Failures.Count == 0, Describe(exported));
            Assert.Equal(StepStatus.Changed, Assert.Single(exported.Results).Status);
            var merged = File.ReadAllText(kubeconfig);
            Assert.All(otherBlocks, block => Assert.Contains(block, merged));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kubeconfig));
            var nodesJson = RealKubectl(kubeconfig, "--context", "pilab", "get", "nodes", "-o", "json");
            using (var doc = System.Text.Json.JsonDocument.Parse(nodesJson))
            {
                var first = doc.RootElement.GetProperty("items").EnumerateArray().Single(n => n.GetProperty("metadata").GetProperty("name").GetString() == "node1");
                var ready = first.GetProperty("status").GetProperty("conditions").EnumerateArray().Single(c => c.GetProperty("type").GetString() == "Ready");
                Assert.Equal("True", ready.GetProperty("status").GetString());
            }
            var (exportedAgain, exportConnector) = Run(node1, [export]);
            Assert.Equal(StepStatus.Unchanged, Assert.Single(exportedAgain.Results).Status);
            Assert.Equal(1, exportConnector.Opens["node1"]);
            Assert.Equal(merged, File.ReadAllText(kubeconfig));
        }
        finally
        {
            home.Delete(recursive: true);
        }

        // Second runs: Unchanged, one connection per node.
        foreach (var phases in new[] { ControlPlane(), new ClusterPhase[] { PodNetwork() } })
        {
            var (again, connector) = RunPhases(ClusterFile(), whatIf: false, phases);
            Assert.True(again.Failures.Count == 0, Describe(again));
            Assert.All(again.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
            Assert.All(Three, n => Assert.Equal(1, connector.Opens[n]));
        }

        // The bootstrap token kubeadm init made is deleted right after init: none is left. (Its secret reaching no output
        // is checked by the unit tests of the init's redaction; any token still listed here must be in none either.)
        var tokens = TokenLine.Matches(await RootAsync(lab, "node1", "kubeadm token list --kubeconfig /etc/kubernetes/admin.conf")).Select(m => m.Groups[1].Value).ToList();
        Assert.Empty(tokens);
        foreach (var token in tokens)
        {
            Assert.All(_hosts, host => PiCluster.Tests.ControlPlane.ControlPlanePhaseTests.AssertNowhere(host, token));
            // The search's own command line is logged by sudo to the journal: it carries the token in two halves.
            Assert.Equal("", (await RootAsync(lab, "node1",
                $"a={token[..3]}; b={token[3..]}; grep -rlsF --exclude-dir=kubernetes -- \"$a$b\" /etc /root /home /tmp /var/tmp /var/log || true")).Trim());
        }

        // Calico on freshly prepared nodes.
        Assert.True(await PreparedSnapshot.RestoreAsync(lab), "the prepared snapshot restores");
        var calico = ClusterFile("calico");
        var (calicoInit, _) = RunPhases(calico, whatIf: false, ControlPlane());
        Assert.True(calicoInit.Failures.Count == 0, Describe(calicoInit));
        var (calicoNetwork, _) = RunPhases(calico, whatIf: false, PodNetwork());
        Assert.True(calicoNetwork.Failures.Count == 0, Describe(calicoNetwork));
        var pods = ((PodNetworkPlan)calicoNetwork.Results.Single(r => r.Step == "PodNetwork").Data!).Pods;
        Assert.NotEmpty(pods);
        Assert.All(pods, p => Assert.True(p.IsRunning, p.ToString()));
    }
}
