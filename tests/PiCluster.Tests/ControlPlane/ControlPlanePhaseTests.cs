using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using PiCluster.Clusters;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.ControlPlane;

/// <summary>
/// Initialize-PiControlPlane's phases over fake sessions: the configuration in the plan and its diff, the subnet refusal
/// before any change, a running cluster left alone (and reported when it differs), the init output's secrets never
/// shown, and the reset after a failed init.
/// </summary>
public class ControlPlanePhaseTests
{
    internal const string Token = "abcdef.0123456789abcdef";
    internal const string CertificateKey = "9f2c1b7a4e6d8c0b2a4f6e8d0c2b4a6f8e0d2c4b6a8f0e2d4c6b8a0f2e4d6c8b";

    internal static ClusterDefinition Cluster(string kubernetes = "", string network = "") => ClusterFileLoader.Parse(
        "name: homelab\n" +
        "kubernetes:\n  version: \"1.34\"\n" + kubernetes +
        "network:\n  plugin: flannel\n" + network +
        "nodes:\n" +
        "  - { name: node1, address: 127.0.0.1, lanAddress: 192.168.77.11, role: control-plane, ssh: { port: 2201 } }\n" +
        "  - { name: node2, address: 127.0.0.1, lanAddress: 192.168.77.12, ssh: { port: 2202 } }\n",
        Path.Combine(Path.GetTempPath(), "cluster.yaml"));

    private const string Lan = "[{\"dst\":\"default\",\"gateway\":\"192.168.77.1\",\"dev\":\"eth0\"},{\"dst\":\"192.168.77.0/24\",\"dev\":\"eth0\"}]";

    /// <summary>A scripted pair of nodes: what each command class answers, and what ran.</summary>
    internal sealed class Nodes
    {
        public string Routes2 = Lan;
        public bool AdminConf;
        public string? ExistingConfig;
        public string RunningConfiguration = "";
        public CommandResult Init = FakeNodeSession.Ok($"Your Kubernetes control-plane has initialized successfully!\nkubeadm join 192.168.77.11:6443 --token {Token} \\\n\t--discovery-token-ca-cert-hash sha256:{new string('a', 64)}\n");

        public static string Running(string podSubnet = "10.244.0.0/16", string version = "v1.34.2") =>
            "{\"data\":{\"ClusterConfiguration\":" + System.Text.Json.JsonSerializer.Serialize(
                $"apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nclusterName: homelab\ncontrolPlaneEndpoint: \"\"\nkubernetesVersion: {version}\nnetworking:\n  dnsDomain: cluster.local\n  podSubnet: {podSubnet}\n  serviceSubnet: 10.96.0.0/12\n") + "}}";

        public CommandResult Answer(PiNode node, RemoteCommand command)
        {
            var s = command.Script;
            if (s == RemoteScripts.Compose("leader-facts")) return FakeNodeSession.Ok(AdminConf ? "yes\n" : "no\n");
            if (s == RemoteScripts.Compose("network-facts")) return FakeNodeSession.Ok($"@@ routes4\n{(node.Name == "node2" ? Routes2 : Lan)}\n@@ routes6\n[]\n");
            if (s.Contains("@@ kubeadm_version", StringComparison.Ordinal))
            {
                var text = new StringBuilder("@@ kubeadm_version\nv1.34.2\n@@ hostname\nnode1\n");
                text.Append(ExistingConfig is null ? "@@ config !missing\n" : $"@@ config\n{Convert.ToBase64String(Encoding.UTF8.GetBytes(ExistingConfig))}\n");
                text.Append("@@ admin_conf\n").Append(AdminConf ? "yes\n" : "no\n");
                if (AdminConf) text.Append("@@ running\n").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(RunningConfiguration))).Append('\n');
                return FakeNodeSession.Ok(text.ToString());
            }
            if (s.Contains("kubeadm init --config", StringComparison.Ordinal)) return Init;
            return FakeNodeSession.Ok();
        }
    }

    internal static RecordingRunHost Run(FakeConnector connector, ClusterDefinition cluster, bool approve, params ClusterPhase[] phases)
    {
        var host = new RecordingRunHost { Answer = (_, _) => approve };
        new PhaseRunner(connector, new RunOptions()).Run(ClusterNodes.ToPiNodes(cluster), phases, host, CancellationToken.None);
        Assert.Empty(host.WrongThreadCalls);
        return host;
    }

    private static ClusterPhase[] InitPhases() => new ClusterPhase[]
    {
        new NetworkFactsPhase(), new KubeadmConfigPhase(), new ImagePullPhase(TimeSpan.FromMinutes(1)), new KubeadmInitPhase(TimeSpan.FromMinutes(1)),
    };

    private static readonly string[] Changing = { "kubeadm config images pull", "kubeadm init --config", "kubeadm reset" };

    private static bool IsChanging(string script) => ScriptWrites.Of(script).Count > 0 || Changing.Any(script.Contains);

    private static IEnumerable<string> ChangingCommands(FakeConnector connector) =>
        connector.Sessions.Values.SelectMany(s => s.Commands).Select(c => c.Script).Where(IsChanging);

    [Fact]
    public void WhatIfShowsTheConfigurationAsADiffAndEveryPhaseAndChangesNothing()
    {
        var nodes = new Nodes();
        var connector = new FakeConnector(nodes.Answer);
        var host = Run(connector, Cluster("  certSANs: [k8s.example.lan]\n"), approve: false, InitPhases());

        Assert.Empty(host.Failures);
        Assert.Empty(ChangingCommands(connector));
        var asked = host.ShouldProcessCalls.Select(c => c.Action).ToList();
        Assert.Equal(3, asked.Count);
        Assert.StartsWith("KubeadmConfig: 1 change", asked[0], StringComparison.Ordinal);
        foreach (var line in new[] { "+kind: InitConfiguration", "+  advertiseAddress: 192.168.77.11", "+  name: node1", "+  criSocket: unix:///run/containerd/containerd.sock",
                     "+    value: 192.168.77.11", "+kubernetesVersion: v1.34.2", "+  podSubnet: 10.244.0.0/16", "+  - k8s.example.lan", "+cgroupDriver: systemd", "(mode 0600)" })
            Assert.Contains(line, asked[0], StringComparison.Ordinal);
        Assert.StartsWith("Images: 1 change", asked[1], StringComparison.Ordinal);
        Assert.StartsWith("Init: 1 change", asked[2], StringComparison.Ordinal);
        Assert.DoesNotContain(host.Results, r => r.Status == StepStatus.Changed);
    }

    [Fact]
    public void ARunWritesTheConfigurationPullsAndInitsInThatOrderAndNeverShowsTheToken()
    {
        var nodes = new Nodes();
        var connector = new FakeConnector(nodes.Answer);
        var host = Run(connector, Cluster(), approve: true, InitPhases());

        Assert.Empty(host.Failures);
        var leader = connector.Sessions["node1"].Commands.Select(c => c.Script).Where(IsChanging).ToList();
        Assert.Equal(3, leader.Count);
        Assert.Contains(ScriptWrites.Of(leader[0]), w => w.Path == "/etc/kubernetes/picluster-kubeadm.yaml" && w.Expected == "absent" && w.Mode == "0600");
        Assert.Contains("kubeadm config images pull --config", leader[1], StringComparison.Ordinal);
        Assert.Contains("kubeadm init --config", leader[2], StringComparison.Ordinal);
        Assert.DoesNotContain(connector.Sessions["node2"].Commands, c => IsChanging(c.Script));
        Assert.Equal(new[] { "KubeadmConfig", "Images", "Init" }, host.Results.Where(r => r.Status == StepStatus.Changed).Select(r => r.Step));
        AssertNowhere(host, Token);
    }

    [Fact]
    public void APodSubnetOverlappingANodesRouteIsRefusedBeforeAnyChange()
    {
        var nodes = new Nodes { Routes2 = Lan.TrimEnd(']') + ",{\"dst\":\"10.244.0.0/16\",\"dev\":\"wg0\"}]" };
        var connector = new FakeConnector(nodes.Answer);
        var host = Run(connector, Cluster(), approve: true, InitPhases());

        Assert.Empty(ChangingCommands(connector));
        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.SubnetConflict, failure.Kind);
        Assert.Equal("KubeadmConfig", failure.Step);
        Assert.Contains("10.244.0.0/16 on wg0", failure.Detail, StringComparison.Ordinal);
        Assert.Contains("'node2'", failure.Detail, StringComparison.Ordinal);
        Assert.All(host.Results.Where(r => r.Step is "Images" or "Init"), r => Assert.Equal(StepStatus.Skipped, r.Status));
        Assert.Empty(host.ShouldProcessCalls);
    }

    [Fact]
    public void ARunningClusterThatMatchesTheFileIsUnchangedEverywhere()
    {
        var nodes = new Nodes { AdminConf = true, RunningConfiguration = Nodes.Running() };
        var connector = new FakeConnector(nodes.Answer);
        var host = Run(connector, Cluster(), approve: true, InitPhases());

        Assert.Empty(host.Failures);
        Assert.Empty(host.Warnings);
        Assert.Empty(ChangingCommands(connector));
        Assert.Empty(host.ShouldProcessCalls);
        Assert.All(host.Results, r => Assert.Equal(StepStatus.Unchanged, r.Status));
        Assert.Equal(new[] { "Networks", "Networks", "KubeadmConfig", "Images", "Init" }, host.Results.Select(r => r.Step).OrderBy(s => s == "Networks" ? 0 : 1));
    }

    [Fact]
    public void ARunningClusterWhosePodSubnetDiffersIsReportedNotFixed()
    {
        var nodes = new Nodes { AdminConf = true, RunningConfiguration = Nodes.Running(podSubnet: "10.200.0.0/16") };
        var connector = new FakeConnector(nodes.Answer);
        var host = Run(connector, Cluster(), approve: true, InitPhases());

        Assert.Empty(host.Failures);
        Assert.Empty(ChangingCommands(connector));
        var config = Assert.Single(host.Results, r => r.Step == "KubeadmConfig");
        Assert.Equal(StepStatus.Skipped, config.Status);
        Assert.Contains("networking.podSubnet runs '10.200.0.0/16', the file says '10.244.0.0/16'", config.Message, StringComparison.Ordinal);
        Assert.Contains(host.Warnings, w => w.Contains("networking.podSubnet", StringComparison.Ordinal));
        Assert.All(host.Results.Where(r => r.Step is "Images" or "Init"), r => Assert.Equal(StepStatus.Unchanged, r.Status));
    }

    [Fact]
    public void AFailedInitIsResetNamesKubeadmsErrorAndShowsNeitherTokenNorCertificateKey()
    {
        var nodes = new Nodes
        {
            Init = new CommandResult(1, $"[init] Using Kubernetes version: v1.34.2\n[upload-certs] Using certificate key:\n{CertificateKey}\nkubeadm join x --token {Token}\n",
                $"[preflight] Some fatal errors occurred:\n\t[ERROR Port-6443]: Port 6443 is in use\nerror execution phase preflight: token {Token} key {CertificateKey}\n"),
        };
        var connector = new FakeConnector(nodes.Answer);
        var host = Run(connector, Cluster(), approve: true, InitPhases());

        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.KubeadmInitFailed, failure.Kind);
        Assert.Equal("node1", failure.Node.Name);
        Assert.Contains("[ERROR Port-6443]: Port 6443 is in use", failure.Detail, StringComparison.Ordinal);
        var scripts = connector.Sessions["node1"].Commands.Select(c => c.Script).ToList();
        var init = scripts.FindIndex(s => s.Contains("kubeadm init --config", StringComparison.Ordinal));
        var reset = scripts.FindIndex(s => s.Contains("kubeadm reset -f", StringComparison.Ordinal));
        Assert.True(init >= 0 && reset > init, "kubeadm reset runs after the failed init");
        Assert.Contains("rm -rf -- \"$f\"", scripts[reset], StringComparison.Ordinal);
        Assert.Equal(StepStatus.Failed, Assert.Single(host.Results, r => r.Step == "Init").Status);
        AssertNowhere(host, Token);
        AssertNowhere(host, CertificateKey);
    }

    [Fact]
    public void InitOutputSecretsAreRegisteredEvenWhereNoPatternWouldCatchThem()
    {
        var redactor = new Redactor();
        KubeadmInitPhase.RegisterSecrets(redactor, "kubeadm join 10.0.0.1:6443 --token Odd_Token-42 \\\n --certificate-key=\"SomeKeyThatIsNotHex\"\n");
        Assert.Equal($"--token {Redactor.Mask} --certificate-key {Redactor.Mask}", redactor.Redact("--token Odd_Token-42 --certificate-key SomeKeyThatIsNotHex"));
    }

    [Fact]
    public void AnExistingConfigurationIsEditedOnlyWhereItDiffers()
    {
        var nodes = new Nodes();
        var connector = new FakeConnector(nodes.Answer);
        var cluster = Cluster();
        var first = Run(connector, cluster, approve: false, new NetworkFactsPhase(), new KubeadmConfigPhase());
        var generated = KubeadmConfiguration.Generate(cluster, cluster.Nodes[0], new ControlPlaneFacts("v1.34.2", "192.168.77.11", "node1", CriSockets.Containerd));
        nodes.ExistingConfig = generated;
        var again = Run(new FakeConnector(nodes.Answer), cluster, approve: true, new NetworkFactsPhase(), new KubeadmConfigPhase());
        Assert.Equal(StepStatus.Unchanged, Assert.Single(again.Results, r => r.Step == "KubeadmConfig").Status);

        nodes.ExistingConfig = generated.Replace("10m0s", "4m0s", StringComparison.Ordinal);
        var edited = Run(new FakeConnector(nodes.Answer), cluster, approve: false, new NetworkFactsPhase(), new KubeadmConfigPhase());
        var action = Assert.Single(edited.ShouldProcessCalls).Action;
        Assert.Contains("-  controlPlaneComponentHealthCheck: 4m0s", action, StringComparison.Ordinal);
        Assert.Contains("+  controlPlaneComponentHealthCheck: 10m0s", action, StringComparison.Ordinal);
        Assert.DoesNotContain("+kind: InitConfiguration", action, StringComparison.Ordinal);
        Assert.Single(first.ShouldProcessCalls);
    }

    [Fact]
    public void ANetworkManifestOnThisMachineWhosePoolCannotBeSetToThePodSubnetIsRefusedBeforeAnyChange()
    {
        var connector = new FakeConnector(new Nodes().Answer);
        var cluster = Cluster("", "  manifest: not-flannel.yaml\n  manifestSha256: " + new string('0', 64) + "\n");
        var host = Run(connector, cluster, approve: true, new NetworkFactsPhase(),
            new KubeadmConfigPhase(_ => Encoding.UTF8.GetBytes("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: something\n")));

        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.SubnetConflict, failure.Kind);
        Assert.Contains("not-flannel.yaml", failure.Detail, StringComparison.Ordinal);
        Assert.Empty(ChangingCommands(connector));
    }

    /// <summary>The secret is in no result, verbose line, warning, failure, exception or ShouldProcess text.</summary>
    internal static void AssertNowhere(RecordingRunHost host, string secret)
    {
        var texts = host.Verbose.Concat(host.Warnings).Concat(host.ShouldProcessCalls.Select(c => c.Action))
            .Concat(host.Results.SelectMany(r => new[] { r.Message }.Concat(r.Changes.Select(c => c.Description + c.Diff)).Append(r.Data?.ToString() ?? "")))
            .Concat(host.Failures.SelectMany(f => new[] { f.Detail, f.Message, f.Exception.ToString() }));
        Assert.All(texts, t => Assert.DoesNotContain(secret, t ?? "", StringComparison.Ordinal));
    }
}
