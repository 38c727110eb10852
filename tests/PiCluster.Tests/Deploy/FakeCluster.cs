using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using PiCluster.Clusters;
using PiCluster.ControlPlane;
using PiCluster.Deploy;
using PiCluster.Engine;
using PiCluster.Steps.Kubeconfig;
using PiCluster.Steps.Kubernetes;
using PiCluster.Steps.NodePrep;
using PiCluster.Steps.Runtime;
using PiCluster.Tests.Checks;
using PiCluster.Tests.Fakes;
using PiCluster.Tests.Steps.NodePrep;
using PiCluster.Tests.Steps.Runtime;
using PiCluster.Transport;

namespace PiCluster.Tests.Deploy;

/// <summary>
/// Three fake nodes (node1 the control plane, node2 and node3 workers) that answer every fact script of a deploy,
/// each either as a fresh Raspberry Pi or as a node of a converged cluster, including the run's fact batch (answered
/// part by part, as fact-batch.sh frames it). Every command that is not a fact read is recorded as a change.
/// </summary>
internal sealed class FakeCluster : IDisposable
{
    public const string Repo = "http://10.0.2.2:8080/core:/stable:/v1.34/deb/";
    private const string Fingerprint = "1F755760B2F4D1341E3A50BDABB40F65679D7C05";
    private static readonly byte[] Flannel = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "ControlPlane", "Manifests", "kube-flannel.yml"));

    private const string AdminConf =
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0EtREFUQQ==\n    server: https://192.168.77.11:6443\n  name: kubernetes\n" +
        "contexts:\n- context:\n    cluster: kubernetes\n    user: kubernetes-admin\n  name: kubernetes-admin@kubernetes\n" +
        "current-context: kubernetes-admin@kubernetes\nkind: Config\npreferences: {}\nusers:\n- name: kubernetes-admin\n  user:\n" +
        "    client-certificate-data: Q0VSVC1EQVRBLWZvci10ZXN0\n    client-key-data: S0VZLURBVEEtZm9yLXRlc3Qtb25seQ==\n";

    private const string Lan = "[{\"dst\":\"default\",\"gateway\":\"192.168.77.1\",\"dev\":\"eth0\"},{\"dst\":\"192.168.77.0/24\",\"dev\":\"eth0\"}]";

    private readonly string _dir = Directory.CreateTempSubdirectory("picluster-deploy-").FullName;
    private readonly bool _addedWorker;

    private bool IsConverged(PiNode node) => Converged && !(_addedWorker && node.Name == "node4");

    /// <param name="converged">The nodes of the file run a converged cluster.</param>
    /// <param name="addedWorker">A fresh worker node4 was added to the file of that cluster (the others' /etc/hosts lack it).</param>
    public FakeCluster(bool converged, bool addedWorker = false)
    {
        Converged = converged;
        _addedWorker = addedWorker;
        var file = Path.Combine(_dir, "cluster.yaml");
        File.WriteAllBytes(Path.Combine(_dir, "kube-flannel.yml"), Flannel);
        File.WriteAllText(file,
            "name: homelab\n" +
            $"kubernetes:\n  version: \"1.34\"\n  packageRepository: {Repo}\n  repositoryKey: {Repo}Release.key\n  repositoryKeyFingerprint: {Fingerprint}\n" +
            $"network:\n  plugin: flannel\n  manifest: {Path.Combine(_dir, "kube-flannel.yml")}\n  manifestSha256: {ManifestIntegrity.Sha256(Flannel)}\n" +
            "nodes:\n" +
            "  - { name: node1, address: 127.0.0.1, lanAddress: 192.168.77.11, role: control-plane, ssh: { port: 2201 } }\n" +
            "  - { name: node2, address: 127.0.0.1, lanAddress: 192.168.77.12, ssh: { port: 2202 } }\n" +
            "  - { name: node3, address: 127.0.0.1, lanAddress: 192.168.77.13, ssh: { port: 2203 } }\n" +
            (addedWorker ? "  - { name: node4, address: 127.0.0.1, lanAddress: 192.168.77.14, ssh: { port: 2204 } }\n" : ""));
        Definition = ClusterFileLoader.Load(file);
        Nodes = ClusterNodes.ToPiNodes(Definition);
        KubeconfigPath = Path.Combine(_dir, "kube", "config");
        if (converged)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(KubeconfigPath)!);
            File.WriteAllText(KubeconfigPath, KubeconfigMerge.Merge(AdminConf, null, new KubeconfigMergeOptions("homelab", Server: ApiServer)).Text);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(KubeconfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        Connector = new FakeConnector(Answer);
    }

    public bool Converged { get; }
    public ClusterDefinition Definition { get; }
    public IReadOnlyList<PiNode> Nodes { get; }
    public string KubeconfigPath { get; }
    public FakeConnector Connector { get; }

    /// <summary>Per node, an edit of what its preflight script prints.</summary>
    public Dictionary<string, Func<string, string>> PreflightEdits { get; } = new();

    /// <summary>Nodes whose node-preparation facts fail to read.</summary>
    public HashSet<string> PreparationFails { get; } = new();

    /// <summary>Every command that is not a fact read, the lock or the batch: what a run changed, per node.</summary>
    public ConcurrentQueue<(string Node, RemoteCommand Command)> Changes { get; } = new();

    /// <summary>The API address in this machine's kubeconfig: loopback, closed (tests contact nothing else).</summary>
    public const string ApiServer = "https://127.0.0.1:1";

    public DeployOptions Options() => new()
    {
        Preparation = new NodePreparationOptions(),
        Kubeconfig = new KubeconfigOptions(KubeconfigPath, Server: ApiServer),
        ApiProbe = (_, _, _, _) => System.Threading.Tasks.Task.FromResult(new PiCluster.Checks.Cluster.ApiProbe(true, "answered 200: ok (test)")),
        PodNetworkReadyTimeout = TimeSpan.FromSeconds(5),
        PodNetworkPollInterval = TimeSpan.FromMilliseconds(10),
    };

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private CommandResult Answer(PiNode node, RemoteCommand command)
    {
        if (command.Script == RemoteScripts.Compose("fact-batch")) return Batch(node, command);
        if (Facts(node, command.Script) is { } facts) return facts;
        Changes.Enqueue((node.Name, command));
        return FakeNodeSession.Ok();
    }

    private static bool Is(string script, string name) => script.Contains(RemoteScripts.Compose(name), StringComparison.Ordinal);

    /// <summary>The answer to a fact script, or null when the command is none.</summary>
    private CommandResult? Facts(PiNode node, string s)
    {
        if (s == RemoteScripts.Compose("preflight-facts"))
            return FakeNodeSession.Ok(PreflightEdits.TryGetValue(node.Name, out var edit) ? edit(Preflight(node)) : Preflight(node));
        if (s == RemoteScripts.Compose("leader-facts")) return FakeNodeSession.Ok(Converged ? "yes\n" : "no\n");
        if (s == RemoteScripts.Compose("network-facts")) return FakeNodeSession.Ok($"@@ routes4\n{Lan}\n@@ routes6\n[]\n");
        if (s == RemoteScripts.Compose("admin-conf-read"))
            return Converged ? FakeNodeSession.Ok(AdminConf) : new CommandResult(3, "", "there is no /etc/kubernetes/admin.conf\n");
        foreach (var part in new[] { "hostname", "network", "timesync", "cgroup", "swap", "kernelnet", "restart" })
            if (Is(s, $"prep-{part}-facts"))
                return PreparationFails.Contains(node.Name) ? new CommandResult(1, "", "facts unreadable\n") : FakeNodeSession.Ok(Preparation(node, part));
        if (Is(s, "runtime-facts")) return FakeNodeSession.Ok(Runtime(IsConverged(node)));
        if (Is(s, "k8s-facts")) return FakeNodeSession.Ok(Packages(IsConverged(node)));
        if (Is(s, "control-plane-facts")) return FakeNodeSession.Ok(ControlPlane(node));
        if (Is(s, "pod-network-facts")) return FakeNodeSession.Ok(PodNetwork());
        if (Is(s, "join-worker-facts"))
            return FakeNodeSession.Ok(IsConverged(node) ? $"@@ kubelet_conf\nyes\n@@ ca\n{B64(Ca)}\n@@ ca_data\n" : "@@ kubelet_conf\nno\n@@ ca !missing\n@@ ca_data\n");
        if (Is(s, "join-leader-facts"))
            return FakeNodeSession.Ok(Converged ? $"@@ admin_conf\nyes\n@@ ca\n{B64(Ca)}\n@@ nodes\n{B64(RegisteredNodes())}\n@@ stale\n" : "@@ admin_conf\nno\n");
        if (Is(s, "cluster-check-facts")) return FakeNodeSession.Ok(CheckFacts(node));
        return null;
    }

    private string Preflight(PiNode node)
    {
        var index = Nodes.ToList().IndexOf(node) + 1;
        var fresh = PreflightTests.FreshPi(machineId: $"0a1b2c3d4e5f60718293a4b5c6d7e8f{index}", address: $"192.168.1.5{index}");
        if (!IsConverged(node)) return fresh;
        return fresh.Replace("cpuset cpu io pids", "cpuset cpu io memory pids", StringComparison.Ordinal)
            .Replace(" cgroup_disable=memory", " cgroup_enable=memory cgroup_memory=1", StringComparison.Ordinal)
            .Replace("/var/swap                               file\t\t102396\t\t0\t\t-2\n", "", StringComparison.Ordinal)
            .Replace("raspberrypi", node.Name, StringComparison.Ordinal);
    }

    private string Preparation(PiNode node, string part)
    {
        var timesync = InitializeNodeStep.Create(new NodePreparationOptions()).Parts.OfType<TimeSyncStep>().Single();
        var before = Nodes.Where(n => !(_addedWorker && n.Name == "node4"));
        var hosts = Encoding.UTF8.GetString(HostsFile.Edit(Encoding.UTF8.GetBytes(NodeFacts.PiHosts), node.Name, before.Select(n => (n.Name, n.LanAddress)).ToList()));
        var cmdline = Encoding.UTF8.GetString(BootCommandLine.EditCmdlineTxt(Encoding.UTF8.GetBytes(NodeFacts.PiCmdline)));
        var facts = (part, IsConverged(node)) switch
        {
            ("hostname", true) => new NodeFacts().Text("hostname", node.Name).File("etc_hostname", node.Name + "\n").File("etc_hosts", hosts),
            ("hostname", false) => new NodeFacts().Text("hostname", "raspberrypi").File("etc_hostname", "raspberrypi\n").File("etc_hosts", NodeFacts.PiHosts),
            ("timesync", true) => new NodeFacts().File("dropin", timesync.DropIn).Text("installed", "yes").Text("enabled", "enabled").Text("active", "active").Text("ntp", "yes").Text("synchronized", "yes"),
            ("timesync", false) => new NodeFacts().File("dropin", null).Text("installed", "yes").Text("enabled", "enabled").Text("active", "active").Text("ntp", "yes").Text("synchronized", "no"),
            ("cgroup", true) => new NodeFacts().Text("bootfile", "/boot/firmware/cmdline.txt").File("content", cmdline),
            ("cgroup", false) => new NodeFacts().Text("bootfile", "/boot/firmware/cmdline.txt").File("content", NodeFacts.PiCmdline),
            ("swap", true) => new NodeFacts().Text("swaps", "").File("fstab", NodeFacts.PiFstab).Text("units", "dphys-swapfile.service masked inactive"),
            ("swap", false) => new NodeFacts().Text("swaps", "/var/swap file 102396 0 -2").File("fstab", NodeFacts.PiFstab).Text("units", "dphys-swapfile.service enabled active"),
            ("kernelnet", true) => new NodeFacts().File("modules", KernelNetworkingFiles.ModulesFile).File("sysctl", KernelNetworkingFiles.SysctlFile).Text("loaded", "overlay\nbr_netfilter").Text("sysctls", "x=1"),
            ("kernelnet", false) => new NodeFacts().File("modules", null).File("sysctl", null).Text("loaded", "").Text("sysctls", "net.ipv4.ip_forward=0").Text("iptables_alternative", "/usr/sbin/iptables-nft"),
            ("restart", _) => new NodeFacts().Text("boot_id", "b1").Text("bootfile", "/boot/firmware/cmdline.txt").Text("pending", ""),
            _ => new NodeFacts(),
        };
        return facts.ToString();
    }

    /// <summary>The cluster's CA (public), made once: the leader's ca.crt and the joined workers' trust.</summary>
    private static readonly string Ca = Workers.JoinWorld.SelfSignedCa("kubernetes");

    /// <summary>The nodes the API lists: in a converged cluster every node of the file that is not the added worker, Ready.</summary>
    private string RegisteredNodes() => ClusterCheckTests.List(Nodes.Where(IsConverged)
        .Select(n => ClusterCheckTests.NodeObject(n.Name, n.Role == NodeRole.ControlPlane, kubelet: "v1.34.2")));

    /// <summary>What cluster-check-facts.sh prints on a node of this cluster (healthy when converged).</summary>
    private string CheckFacts(PiNode node)
    {
        var registered = Nodes.Where(IsConverged).ToList();
        var pods = registered.SelectMany(n => ClusterCheckTests.PodsOf(n.Name, n.Role == NodeRole.ControlPlane)).Concat(ClusterCheckTests.CoreDnsPods("node1"));
        return ClusterCheckTests.Script(node.Role == NodeRole.ControlPlane, kubelet: "Kubernetes v1.34.2", kubeadm: "v1.34.2",
            nodes: RegisteredNodes(), pods: ClusterCheckTests.List(pods), version: ClusterCheckTests.ServerVersion("v1.34.2"), adminConf: Converged);
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Runtime(bool converged)
    {
        if (!converged)
            return "@@ package\n@@ candidate\n1.6.20~ds1-1+deb12u3\n@@ config !missing\n@@ config_pristine\nno\n@@ default_config\n\n@@ crictl !missing\n" +
                   "@@ service\n inactive\n@@ cri_plugin\n\n@@ locks\n";
        var config = ContainerdConfig.Apply(ContainerdConfigs.Default16 + "\n", "registry.k8s.io/pause:3.10.1", 1).Text;
        return "@@ package\ncontainerd 1.6.20~ds1-1+deb12u3 ii \n@@ candidate\n1.6.20~ds1-1+deb12u3\n" +
               $"@@ config\n{B64(config)}\n@@ config_pristine\nno\n@@ default_config\n{B64(ContainerdConfigs.Default16 + "\n")}\n" +
               $"@@ crictl\n{B64(CrictlConfig.Render(null, CriSockets.Containerd))}\n@@ service\nenabled active\n@@ cri_plugin\nok\n@@ locks\n";
    }

    private static string Packages(bool converged)
    {
        if (!converged)
            return "@@ apt_version\n2.6.1\n@@ installed\n@@ holds\n@@ sources !missing\n@@ keyring !missing\n@@ madison\n\n@@ kubelet_enabled\ndisabled\n@@ locks\n";
        var sources = AptRepositoryPlan.SourcesFile(AptRepository.Kubernetes(KubernetesVersion.Parse("1.34"), Repo, Repo + "Release.key", Fingerprint));
        const string installed = "ca-certificates 20230311 hi \ncurl 7.88.1-10 hi \ngpg 2.2.40-1.1 hi \nkubelet 1.34.2-1.1 hi \nkubeadm 1.34.2-1.1 hi \nkubectl 1.34.2-1.1 hi \n";
        return $"@@ apt_version\n2.6.1\n@@ installed\n{installed}@@ holds\nkubeadm\nkubectl\nkubelet\n" +
               $"@@ sources\n{B64(sources)}\n@@ keyring\n{B64("binary key")}\n@@ madison\n   kubeadm | 1.34.2-1.1 | {Repo} Packages\n\n@@ kubelet_enabled\nenabled\n@@ locks\n";
    }

    private string ControlPlane(PiNode node)
    {
        if (!Converged)
            return "@@ kubeadm_installed\nno\n@@ kubeadm_version\nbash: line 1: kubeadm: command not found\n@@ hostname\nraspberrypi\n@@ config !missing\n@@ admin_conf\nno\n";
        var running = "{\"data\":{\"ClusterConfiguration\":" + System.Text.Json.JsonSerializer.Serialize(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nclusterName: homelab\ncontrolPlaneEndpoint: \"\"\nkubernetesVersion: v1.34.2\n" +
            "networking:\n  dnsDomain: cluster.local\n  podSubnet: 10.244.0.0/16\n  serviceSubnet: 10.96.0.0/12\n") + "}}";
        return $"@@ kubeadm_installed\nyes\n@@ kubeadm_version\nv1.34.2\n@@ hostname\n{node.Name}\n@@ config !missing\n@@ admin_conf\nyes\n@@ running\n{B64(running)}\n";
    }

    private string PodNetwork()
    {
        if (!Converged) return "@@ record !missing\n@@ admin_conf\nno\n";
        var patched = CniManifestPatcher.Patch("flannel", Encoding.UTF8.GetString(Flannel), Definition.Kubernetes.PodSubnet).Patched;
        var pods = "{\"items\":[{\"metadata\":{\"name\":\"kube-flannel-ds-abcde\",\"ownerReferences\":[{\"kind\":\"DaemonSet\",\"name\":\"kube-flannel-ds\"}]}," +
                   "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"ready\":true}]}}]}";
        return $"@@ record\n{B64(ManifestIntegrity.Sha256(Encoding.UTF8.GetBytes(patched)) + "\n")}\n@@ admin_conf\nyes\n@@ pods\n{B64(pods)}\n";
    }

    /// <summary>Answers fact-batch.sh: each framed part as its own fact script would be answered, framed back by byte counts.</summary>
    private CommandResult Batch(PiNode node, RemoteCommand batch)
    {
        var input = Encoding.UTF8.GetBytes(batch.Input ?? "");
        var position = 0;
        string Line()
        {
            var end = Array.IndexOf(input, (byte)'\n', position);
            var line = Encoding.ASCII.GetString(input, position, end - position);
            position = end + 1;
            return line;
        }
        string Chunk()
        {
            var length = int.Parse(Line(), System.Globalization.CultureInfo.InvariantCulture);
            var text = Encoding.UTF8.GetString(input, position, length);
            position += length;
            return text;
        }
        var count = int.Parse(Line(), System.Globalization.CultureInfo.InvariantCulture);
        var output = new StringBuilder();
        for (var part = 0; part < count; part++)
        {
            var script = Chunk();
            Chunk(); // the part's input
            var result = Facts(node, script) ?? throw new InvalidOperationException($"{node.Name}: a batch part that is no fact script: {script[..Math.Min(80, script.Length)]}");
            output.Append($"@@picluster-part {part} {result.ExitCode} {Encoding.UTF8.GetByteCount(result.Stdout)} {Encoding.UTF8.GetByteCount(result.Stderr)} 1000\n")
                .Append(result.Stdout).Append(result.Stderr);
        }
        return FakeNodeSession.Ok(output.ToString());
    }
}
