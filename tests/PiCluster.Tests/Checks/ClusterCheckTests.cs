using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using PiCluster.Checks;
using PiCluster.Checks.Cluster;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Checks;

/// <summary>
/// Test-PiCluster's checks on what kubectl, kubeadm and the node script print (shaped after real output and the lab's
/// stand-in API server), and its runner over fake sessions: one connection and one round trip per node, read-only.
/// </summary>
public class ClusterCheckTests
{
    internal static readonly DateTimeOffset Now = new(2026, 12, 2, 3, 0, 0, TimeSpan.Zero);
    private static readonly ApiProbe ApiUp = new(true, "https://192.168.1.201:6443/readyz answered 200: ok (context homelab of /home/u/.kube/config)");

    internal static ClusterDefinition Cluster(string extraNodes = "") => ClusterFileLoader.Parse(
        "name: homelab\nnetwork: { plugin: flannel }\n"
        + (extraNodes.Contains("control-plane") ? "kubernetes: { controlPlaneEndpoint: '192.168.1.200:6443' }\n" : "") + "nodes:\n"
        + "  - { name: cp1, address: 127.0.0.1, lanAddress: 192.168.1.201, role: control-plane, ssh: { port: 2201 } }\n"
        + "  - { name: w1, address: 127.0.0.1, lanAddress: 192.168.1.202, role: worker, ssh: { port: 2202 } }\n"
        + "  - { name: w2, address: 127.0.0.1, lanAddress: 192.168.1.203, role: worker, ssh: { port: 2203 } }\n" + extraNodes, "c.yaml");

    // ---------------------------------------------------------------- what the commands print

    internal static object NodeObject(string name, bool controlPlane, string ready = "True", string kubelet = "v1.34.1")
    {
        var labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name, ["kubernetes.io/os"] = "linux", ["kubernetes.io/arch"] = "arm64" };
        if (controlPlane) labels["node-role.kubernetes.io/control-plane"] = "";
        var (reason, message) = ready switch
        {
            "True" => ("KubeletReady", "kubelet is posting ready status"),
            "Unknown" => ("NodeStatusUnknown", "Kubelet stopped posting node status."),
            _ => ("KubeletNotReady", "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady"),
        };
        return new
        {
            apiVersion = "v1", kind = "Node",
            metadata = new { name, uid = "5c4f" + name, resourceVersion = "812", creationTimestamp = "2026-11-30T10:00:00Z", labels },
            spec = new { podCIDR = "10.244.0.0/24", podCIDRs = new[] { "10.244.0.0/24" } },
            status = new
            {
                addresses = new[] { new { type = "InternalIP", address = "192.168.1.201" }, new { type = "Hostname", address = name } },
                conditions = new object[]
                {
                    new { type = "MemoryPressure", status = "False", reason = "KubeletHasSufficientMemory", message = "kubelet has sufficient memory available" },
                    new { type = "Ready", status = ready, reason, message, lastHeartbeatTime = "2026-12-02T02:59:00Z", lastTransitionTime = "2026-11-30T10:01:00Z" },
                },
                nodeInfo = new { kubeletVersion = kubelet, kubeProxyVersion = kubelet, containerRuntimeVersion = "containerd://1.7.24", architecture = "arm64", operatingSystem = "linux" },
            },
        };
    }

    internal static object PodObject(string ns, string name, string node, string ownerKind, string owner, Dictionary<string, string> labels, bool running = true)
    {
        var containers = new[] { new { name = "main", image = "registry.k8s.io/pause:3.10", ready = running, restartCount = 0 } };
        return new
        {
            apiVersion = "v1", kind = "Pod",
            metadata = new
            {
                name, @namespace = ns, labels, creationTimestamp = "2026-11-30T10:01:00Z",
                ownerReferences = new[] { new { apiVersion = ownerKind == "Node" ? "v1" : "apps/v1", kind = ownerKind, name = owner, controller = true } },
            },
            spec = new { nodeName = node, hostNetwork = true },
            status = new
            {
                phase = running ? "Running" : "Pending",
                conditions = new[] { new { type = "Ready", status = running ? "True" : "False" } },
                containerStatuses = containers,
            },
        };
    }

    internal static IEnumerable<object> PodsOf(string node, bool controlPlane, bool running = true)
    {
        if (controlPlane)
            foreach (var component in new[] { "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler" })
                yield return PodObject("kube-system", $"{component}-{node}", node, "Node", node,
                    new Dictionary<string, string> { ["component"] = component, ["tier"] = "control-plane" }, running);
        yield return PodObject("kube-system", "kube-proxy-" + node, node, "DaemonSet", "kube-proxy", new Dictionary<string, string> { ["k8s-app"] = "kube-proxy" }, running);
        yield return PodObject("kube-flannel", "kube-flannel-ds-" + node, node, "DaemonSet", "kube-flannel-ds", new Dictionary<string, string> { ["app"] = "flannel" }, running);
    }

    internal static IEnumerable<object> CoreDnsPods(string node = "cp1", bool running = true) => Enumerable.Range(0, 2).Select(i =>
        PodObject("kube-system", $"coredns-7c65d6cfc9-{i}", node, "ReplicaSet", "coredns-7c65d6cfc9", new Dictionary<string, string> { ["k8s-app"] = "kube-dns" }, running));

    internal static string List(IEnumerable<object> items) =>
        JsonSerializer.Serialize(new { apiVersion = "v1", kind = "List", items, metadata = new { resourceVersion = "" } });

    internal static string HealthyNodes(params object[] extra) => List(new[] { NodeObject("cp1", true), NodeObject("w1", false), NodeObject("w2", false) }.Concat(extra));

    internal static string HealthyPods() => List(PodsOf("cp1", true).Concat(PodsOf("w1", false)).Concat(PodsOf("w2", false)).Concat(CoreDnsPods()));

    internal static string ServerVersion(string version = "v1.34.1") => JsonSerializer.Serialize(new
    {
        clientVersion = new { major = "1", minor = "34", gitVersion = version, platform = "linux/arm64" },
        kustomizeVersion = "v5.7.1",
        serverVersion = new { major = "1", minor = "34", gitVersion = version, platform = "linux/arm64" },
    });

    internal static string Certificates(TimeSpan? apiserverLeft = null, bool superAdminMissing = false)
    {
        object Cert(string name, TimeSpan left, string ca, bool missing = false) => new
        {
            name, expirationDate = (Now + left).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"), residualTime = (long)left.TotalSeconds, caName = ca, externallyManaged = false, missing,
        };
        var year = TimeSpan.FromDays(363);
        return JsonSerializer.Serialize(new
        {
            kind = "CertificateExpirationInfo", apiVersion = "output.kubeadm.k8s.io/v1alpha3",
            certificates = new[]
            {
                Cert("admin.conf", year, "ca"), Cert("apiserver", apiserverLeft ?? year, "ca"), Cert("apiserver-etcd-client", year, "etcd-ca"),
                Cert("etcd-server", year, "etcd-ca"), Cert("super-admin.conf", year, "ca", superAdminMissing),
            },
            certificateAuthorities = new[] { Cert("ca", TimeSpan.FromDays(3650), ""), Cert("etcd-ca", TimeSpan.FromDays(3650), "") },
        });
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    internal const string PreparedCmdline = "console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1";

    /// <summary>What Scripts/cluster-check-facts.sh prints; leader parts only when <paramref name="controlPlane"/>.</summary>
    internal static string Script(bool controlPlane, string swaps = "", string cmdline = PreparedCmdline, string controllers = "cpuset cpu io memory pids",
        string kubelet = "Kubernetes v1.34.1", string kubeadm = "v1.34.1", string? nodes = null, string? pods = null, string? version = null, string? certs = null,
        bool adminConf = true, string? podsError = null, string? certsError = null)
    {
        var text = new StringBuilder();
        text.Append("@@ swaps\n").Append(swaps.Length > 0 ? swaps + "\n" : "")
            .Append("@@ cmdline\n").Append(cmdline).Append('\n')
            .Append("@@ cgroup_controllers\n").Append(controllers).Append('\n')
            .Append("@@ kubelet_version\n").Append(kubelet).Append('\n')
            .Append("@@ kubeadm_version\n").Append(kubeadm).Append('\n');
        if (!controlPlane) return text.ToString();
        text.Append("@@ admin_conf\n").Append(adminConf ? "yes\n" : "no\n");
        if (!adminConf) return text.ToString();
        text.Append("@@ server_version\n").Append(B64(version ?? ServerVersion())).Append('\n')
            .Append("@@ nodes\n").Append(B64(nodes ?? HealthyNodes())).Append('\n');
        text.Append(podsError is null ? "@@ pods\n" + B64(pods ?? HealthyPods()) + "\n" : "@@ pods_error\n" + podsError + "\n");
        text.Append(certsError is null ? "@@ certs\n" + B64(certs ?? Certificates()) + "\n" : "@@ certs_error\n" + certsError + "\n");
        return text.ToString();
    }

    // ---------------------------------------------------------------- evaluation

    /// <summary>Evaluates a cluster where each node's script printed what <paramref name="output"/> gives (null: unreachable).</summary>
    private static IReadOnlyList<ClusterCheckResult> Evaluate(Func<PiNode, string?> output, ApiProbe? api = null, ClusterDefinition? cluster = null)
    {
        cluster ??= Cluster();
        var outcomes = ClusterNodes.ToPiNodes(cluster).Select(n => output(n) is { } text
            ? new NodeOutcome(n, NodeCheckFacts.Parse(text))
            : new NodeOutcome(n, null, $"{n.Name}: ssh: connect to host 127.0.0.1 port 22: Connection refused")).ToList();
        return ClusterChecks.Evaluate(new ClusterCheckInput("homelab", outcomes, cluster.Nodes.Select(n => n.Name).ToList(), "kube-flannel", "kube-flannel-ds", api ?? ApiUp, Now));
    }

    private static string Healthy(PiNode node) => Script(node.Role == NodeRole.ControlPlane);

    private static IEnumerable<string> Failed(IEnumerable<ClusterCheckResult> results) => results.Where(r => !r.Passed).Select(r => $"{r.Node.Name} {r.Check}").OrderBy(s => s, StringComparer.Ordinal);

    private static ClusterCheckResult Find(IEnumerable<ClusterCheckResult> results, string node, string check) => results.Single(r => r.Node.Name == node && r.Check == check);

    [Fact]
    public void VersionsComeFromTheInstalledPackagesAndFromTheBinariesOnlyWhereDpkgDoesNotKnowThem()
    {
        // kubelet installed and held (epoch and revision dropped), kubeadm known to dpkg but removed: its binary answered.
        var packaged = NodeCheckFacts.Parse("@@ packages\nkubelet 1:1.33.5-1.1 hi \nkubeadm 1.34.1-1.1 rc \ncurl 7.88.1-10 ii \n"
            + "@@ kubelet_version\n@@ kubeadm_version\nv1.34.2\n");
        Assert.Equal(("Kubernetes v1.33.5", "v1.34.2"), (packaged.KubeletVersion, packaged.KubeadmVersion));
    }

    [Fact]
    public void ParsesTheScriptOutputAndTheJsonOfKubectlAndKubeadm()
    {
        var f = NodeCheckFacts.Parse(Script(true, swaps: "/var/swap file 102396 0 -2"));
        Assert.Equal(new[] { "/var/swap file 102396 0 -2" }, f.Swaps);
        Assert.True(f.MemoryController);
        Assert.Equal("Kubernetes v1.34.1", f.KubeletVersion);
        Assert.Equal("v1.34.1", f.KubeadmVersion);
        var leader = Assert.IsType<LeaderFacts>(f.Leader);
        Assert.True(leader.HoldsAdminConf);
        Assert.Equal("v1.34.1", leader.ServerVersion);
        Assert.Equal(new[] { "cp1", "w1", "w2" }, leader.Nodes!.Select(n => n.Name));
        Assert.True(leader.Nodes![0].IsControlPlane);
        Assert.False(leader.Nodes![1].IsControlPlane);
        Assert.True(leader.Nodes![0].Ready);
        Assert.Equal("v1.34.1", leader.Nodes![0].KubeletVersion);
        var proxy = leader.Pods!.Single(p => p.Name == "kube-proxy-w1");
        Assert.Equal(("kube-system", "w1", "DaemonSet", "kube-proxy", true), (proxy.Namespace, proxy.NodeName, proxy.OwnerKind, proxy.OwnerName, proxy.IsRunning));
        Assert.Equal("kube-apiserver", leader.Pods!.Single(p => p.Name == "kube-apiserver-cp1").Label("component"));
        Assert.Equal(7, leader.Certificates!.Count);
        Assert.Equal(Now + TimeSpan.FromDays(363), leader.Certificates!.Single(c => c.Name == "apiserver").ExpirationDate);

        var worker = NodeCheckFacts.Parse(Script(false));
        Assert.Null(worker.Leader);

        var broken = NodeCheckFacts.Parse(Script(true, podsError: "error: the server doesn't have a resource type \"pods\"", certs: "{\"kind\": \"Status\"}"));
        Assert.Null(broken.Leader!.Pods);
        Assert.Contains("doesn't have a resource type", broken.Leader.PodsError);
        Assert.Null(broken.Leader.Certificates);
        Assert.Contains("CertificateExpirationInfo", broken.Leader.CertificatesError);

        Assert.False(NodeCheckFacts.Parse(Script(true, adminConf: false)).Leader!.HoldsAdminConf);
    }

    [Fact]
    public void AHealthyClusterPassesEveryCheckOncePerNodeAndTheClusterChecksOnTheLeader()
    {
        var results = Evaluate(Healthy);
        Assert.Empty(Failed(results));
        Assert.All(results, r => Assert.Equal("homelab", r.Cluster));
        Assert.All(results, r => Assert.Equal(CheckSeverity.Info, r.Severity));
        Assert.All(results, r => Assert.Equal("", r.Remedy));
        var perNode = new[] { ClusterCheckNames.NodeRegistered, ClusterCheckNames.NodeReady, ClusterCheckNames.SystemPods, ClusterCheckNames.KubeletVersion,
            ClusterCheckNames.KubeadmVersion, ClusterCheckNames.Swap, ClusterCheckNames.CgroupFlags };
        Assert.Equal(perNode.Append(ClusterCheckNames.Certificates), results.Where(r => r.Node.Name == "cp1").Select(r => r.Check).Take(8));
        Assert.Equal(perNode, results.Where(r => r.Node.Name == "w1").Select(r => r.Check));
        Assert.Equal(new[] { ClusterCheckNames.UnknownNodes, ClusterCheckNames.CoreDns, ClusterCheckNames.ApiReachable }, results.TakeLast(3).Select(r => r.Check));
        Assert.All(results.TakeLast(3), r => Assert.Equal("cp1", r.Node.Name));
        Assert.Equal(8 + 7 + 7 + 3, results.Count);
        Assert.Contains("etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, kube-flannel-ds", Find(results, "cp1", ClusterCheckNames.SystemPods).Detail);
        Assert.Contains("7 certificates; the first to expire: admin.conf 2027-11-30 03:00 UTC (in 363 days)", Find(results, "cp1", ClusterCheckNames.Certificates).Detail);
    }

    [Fact]
    public void AStoppedWorkerFailsOnlyItsReadyCheckAndThePodsOnIt()
    {
        // The kubelet stopped on w1: the node answers SSH, the API server marks it Unknown and its pods stop.
        var nodes = List(new[] { NodeObject("cp1", true), NodeObject("w1", false, ready: "Unknown"), NodeObject("w2", false) });
        var pods = List(PodsOf("cp1", true).Concat(PodsOf("w1", false, running: false)).Concat(PodsOf("w2", false)).Concat(CoreDnsPods()));
        var results = Evaluate(n => n.Role == NodeRole.ControlPlane ? Script(true, nodes: nodes, pods: pods) : Script(false));
        Assert.Equal(new[] { "w1 NodeReady", "w1 SystemPods" }, Failed(results));
        var ready = Find(results, "w1", ClusterCheckNames.NodeReady);
        Assert.Equal(CheckSeverity.Error, ready.Severity);
        Assert.Contains("Kubelet stopped posting node status", ready.Detail);
        Assert.Contains("journalctl -u kubelet", ready.Remedy);
        Assert.Contains("kube-proxy-w1 Pending", Find(results, "w1", ClusterCheckNames.SystemPods).Detail);
    }

    [Fact]
    public void SwapTurnedBackOnFailsOnlyThatNodesSwapCheck()
    {
        var results = Evaluate(n => n.Name == "w2" ? Script(false, swaps: "/var/swap                               file\t\t102396\t\t0\t\t-2") : Healthy(n));
        Assert.Equal(new[] { "w2 Swap" }, Failed(results));
        var swap = Find(results, "w2", ClusterCheckNames.Swap);
        Assert.Equal(CheckSeverity.Error, swap.Severity);
        Assert.Contains("/var/swap", swap.Detail);
        Assert.Contains("Set-PiSwap", swap.Remedy);
    }

    [Fact]
    public void ANodeJoinedThatTheFileLacksFailsOnlyTheUnknownNodesCheck()
    {
        var nodes = HealthyNodes(NodeObject("stray", false));
        var pods = List(PodsOf("cp1", true).Concat(PodsOf("w1", false)).Concat(PodsOf("w2", false)).Concat(PodsOf("stray", false)).Concat(CoreDnsPods()));
        var results = Evaluate(n => n.Role == NodeRole.ControlPlane ? Script(true, nodes: nodes, pods: pods) : Script(false));
        Assert.Equal(new[] { "cp1 UnknownNodes" }, Failed(results));
        Assert.Contains("stray", Find(results, "cp1", ClusterCheckNames.UnknownNodes).Detail);
        Assert.Contains("kubectl delete node", Find(results, "cp1", ClusterCheckNames.UnknownNodes).Remedy);
    }

    [Fact]
    public void ANodeNotRegisteredOrInAnotherRoleFailsRegistration()
    {
        var missing = Evaluate(n => n.Role == NodeRole.ControlPlane
            ? Script(true, nodes: List(new[] { NodeObject("cp1", true), NodeObject("w1", false) }), pods: List(PodsOf("cp1", true).Concat(PodsOf("w1", false)).Concat(CoreDnsPods())))
            : Script(false));
        Assert.Equal(new[] { "w2 NodeReady", "w2 NodeRegistered", "w2 SystemPods" }, Failed(missing));
        Assert.Contains("not registered", Find(missing, "w2", ClusterCheckNames.NodeRegistered).Detail);
        Assert.Contains("no kube-proxy pod; no kube-flannel-ds pod", Find(missing, "w2", ClusterCheckNames.SystemPods).Detail);

        var wrongRole = Evaluate(n => n.Role == NodeRole.ControlPlane
            ? Script(true, nodes: List(new[] { NodeObject("cp1", true), NodeObject("w1", true), NodeObject("w2", false) }))
            : Script(false));
        Assert.Equal(new[] { "w1 NodeRegistered" }, Failed(wrongRole));
        Assert.Contains("registered as control-plane; the cluster file says worker", Find(wrongRole, "w1", ClusterCheckNames.NodeRegistered).Detail);
    }

    [Theory]
    [InlineData("Kubernetes v1.34.1", true)]
    [InlineData("Kubernetes v1.31.9", true)]   // three minors older: allowed
    [InlineData("Kubernetes v1.30.4", false)]  // four older
    [InlineData("Kubernetes v1.35.0", false)]  // newer than the API server
    [InlineData("", false)]                    // not installed
    public void KubeletMayBeUpToThreeMinorsOlderThanTheApiServerAndNeverNewer(string kubelet, bool passes)
    {
        var results = Evaluate(n => n.Name == "w1" ? Script(false, kubelet: kubelet) : Healthy(n));
        var check = Find(results, "w1", ClusterCheckNames.KubeletVersion);
        Assert.Equal(passes, check.Passed);
        Assert.Equal(passes ? Array.Empty<string>() : new[] { "w1 KubeletVersion" }, Failed(results));
        if (!passes) Assert.Contains("Install-PiKubernetes", check.Remedy);
        if (kubelet.Length == 0) Assert.Equal("kubelet is not installed", check.Detail);
        else Assert.Contains(passes ? "(allowed: 1.31 to 1.34)" : "than the skew policy allows (1.31 to 1.34)", check.Detail);
    }

    [Theory]
    [InlineData("v1.34.1", true)]
    [InlineData("v1.35.0", true)]   // one newer: kubeadm supports the control plane one minor older
    [InlineData("v1.36.0", false)]
    [InlineData("v1.33.5", false)]  // older than the control plane
    public void KubeadmMayBeTheApiServersMinorOrOneNewer(string kubeadm, bool passes)
    {
        var results = Evaluate(n => n.Name == "w2" ? Script(false, kubeadm: kubeadm) : Healthy(n));
        Assert.Equal(passes, Find(results, "w2", ClusterCheckNames.KubeadmVersion).Passed);
        Assert.Equal(passes ? Array.Empty<string>() : new[] { "w2 KubeadmVersion" }, Failed(results));
    }

    [Fact]
    public void CgroupDriftFailsWhenAFlagLeftTheRunningCommandLineOrTheMemoryControllerIsOff()
    {
        var flagGone = Evaluate(n => n.Name == "w1" ? Script(false, cmdline: PreparedCmdline.Replace(" cgroup_memory=1", "")) : Healthy(n));
        Assert.Equal(new[] { "w1 CgroupFlags" }, Failed(flagGone));
        Assert.Contains("lacks cgroup_memory=1", Find(flagGone, "w1", ClusterCheckNames.CgroupFlags).Detail);
        Assert.Contains("Enable-PiCgroup", Find(flagGone, "w1", ClusterCheckNames.CgroupFlags).Remedy);

        var noMemory = Evaluate(n => n.Name == "w1" ? Script(false, controllers: "cpuset cpu io pids") : Healthy(n));
        Assert.Equal(new[] { "w1 CgroupFlags" }, Failed(noMemory));
        Assert.Contains("memory cgroup controller is not enabled", Find(noMemory, "w1", ClusterCheckNames.CgroupFlags).Detail);

        // A Pi's firmware puts cgroup_disable=memory before cmdline.txt's flags; what counts is the controller.
        var pi = Evaluate(n => n.Name == "w1" ? Script(false, cmdline: "cgroup_disable=memory " + PreparedCmdline) : Healthy(n));
        Assert.Empty(Failed(pi));
    }

    [Fact]
    public void CertificatesNearTheirEndWarnExpiredOnesAreErrorsAndMissingOnesAreNotCounted()
    {
        var soon = Evaluate(n => n.Role == NodeRole.ControlPlane ? Script(true, certs: Certificates(TimeSpan.FromDays(10))) : Script(false));
        Assert.Equal(new[] { "cp1 Certificates" }, Failed(soon));
        var warning = Find(soon, "cp1", ClusterCheckNames.Certificates);
        Assert.Equal(CheckSeverity.Warning, warning.Severity);
        Assert.Contains("expire within 30 days: apiserver 2026-12-12 03:00 UTC", warning.Detail);
        Assert.Contains("kubeadm certs renew", warning.Remedy);

        var expired = Evaluate(n => n.Role == NodeRole.ControlPlane ? Script(true, certs: Certificates(TimeSpan.FromDays(-1))) : Script(false));
        Assert.Equal(CheckSeverity.Error, Find(expired, "cp1", ClusterCheckNames.Certificates).Severity);
        Assert.Contains("expired: apiserver", Find(expired, "cp1", ClusterCheckNames.Certificates).Detail);

        var joined = Evaluate(n => n.Role == NodeRole.ControlPlane ? Script(true, certs: Certificates(superAdminMissing: true)) : Script(false));
        Assert.Empty(Failed(joined));
        Assert.Contains("1 not present here (not checked)", Find(joined, "cp1", ClusterCheckNames.Certificates).Detail);

        var failed = Evaluate(n => n.Role == NodeRole.ControlPlane ? Script(true, certsError: "error reading /etc/kubernetes/pki/ca.crt: permission denied") : Script(false));
        Assert.Equal(new[] { "cp1 Certificates" }, Failed(failed));
        Assert.Contains("cannot be evaluated: kubeadm certs check-expiration failed (error reading", Find(failed, "cp1", ClusterCheckNames.Certificates).Detail);
    }

    [Fact]
    public void CoreDnsNotRunningFailsTheCoreDnsCheckOnTheLeader()
    {
        var pods = List(PodsOf("cp1", true).Concat(PodsOf("w1", false)).Concat(PodsOf("w2", false)).Concat(CoreDnsPods(running: false)));
        var results = Evaluate(n => n.Role == NodeRole.ControlPlane ? Script(true, pods: pods) : Script(false));
        Assert.Equal(new[] { "cp1 CoreDns" }, Failed(results));
        Assert.Contains("coredns-7c65d6cfc9-0 Pending on cp1", Find(results, "cp1", ClusterCheckNames.CoreDns).Detail);
    }

    [Fact]
    public void TheApiUnreachableFromThisMachineFailsOnlyApiReachable()
    {
        var results = Evaluate(Healthy, new ApiProbe(false, "https://192.168.1.201:6443/readyz: Connection refused", "Check that this machine reaches the API address."));
        Assert.Equal(new[] { "cp1 ApiReachable" }, Failed(results));
        Assert.Contains("Connection refused", Find(results, "cp1", ClusterCheckNames.ApiReachable).Detail);
    }

    [Fact]
    public void AnUnreachableWorkerFailsItsOwnChecksWithTheReasonAndTheClusterViewOfItStillCounts()
    {
        var results = Evaluate(n => n.Name == "w1" ? null : Healthy(n));
        Assert.Equal(new[] { "w1 CgroupFlags", "w1 KubeadmVersion", "w1 KubeletVersion", "w1 Swap" }, Failed(results));
        Assert.All(results.Where(r => r.Node.Name == "w1" && !r.Passed), r =>
        {
            Assert.Contains("cannot be evaluated: the node could not be read (w1: ssh: connect to host 127.0.0.1 port 22: Connection refused)", r.Detail);
            Assert.Equal(CheckSeverity.Error, r.Severity);
        });
        Assert.True(Find(results, "w1", ClusterCheckNames.NodeReady).Passed);
    }

    [Fact]
    public void AnUnreachableLeaderFailsEveryCheckThatNeedsTheClusterWithTheReasonAndTheNodeChecksStillRun()
    {
        var results = Evaluate(n => n.Role == NodeRole.ControlPlane ? null : Healthy(n));
        var needCluster = new[] { ClusterCheckNames.NodeRegistered, ClusterCheckNames.NodeReady, ClusterCheckNames.SystemPods, ClusterCheckNames.KubeletVersion, ClusterCheckNames.KubeadmVersion };
        foreach (var worker in new[] { "w1", "w2" })
        {
            foreach (var check in needCluster)
                Assert.Contains("cannot be evaluated: cp1 could not be read (cp1: ssh: connect to host", Find(results, worker, check).Detail);
            Assert.True(Find(results, worker, ClusterCheckNames.Swap).Passed);
            Assert.True(Find(results, worker, ClusterCheckNames.CgroupFlags).Passed);
        }
        Assert.False(Find(results, "cp1", ClusterCheckNames.UnknownNodes).Passed);
        Assert.False(Find(results, "cp1", ClusterCheckNames.CoreDns).Passed);
        Assert.True(Find(results, "cp1", ClusterCheckNames.ApiReachable).Passed);

        var notInitialised = Evaluate(n => n.Role == NodeRole.ControlPlane ? Script(true, adminConf: false) : Healthy(n));
        Assert.Contains("cp1 holds no /etc/kubernetes/admin.conf", Find(notInitialised, "w1", ClusterCheckNames.NodeReady).Detail);
        Assert.Contains("Initialize-PiControlPlane", Find(notInitialised, "w1", ClusterCheckNames.NodeReady).Remedy);
    }

    [Fact]
    public void ASecondControlPlaneLeadsWhenTheFirstCannotReadTheCluster()
    {
        var cluster = Cluster("  - { name: cp2, address: 127.0.0.1, lanAddress: 192.168.1.204, role: control-plane, ssh: { port: 2204 } }\n");
        var nodes = HealthyNodes(NodeObject("cp2", true));
        var pods = List(PodsOf("cp1", true).Concat(PodsOf("w1", false)).Concat(PodsOf("w2", false)).Concat(PodsOf("cp2", true)).Concat(CoreDnsPods()));
        var results = Evaluate(n => n.Name == "cp1" ? null : Script(n.Role == NodeRole.ControlPlane, nodes: nodes, pods: pods), cluster: cluster);
        Assert.Equal(new[] { "cp1 Certificates", "cp1 CgroupFlags", "cp1 KubeadmVersion", "cp1 KubeletVersion", "cp1 Swap" }, Failed(results));
        Assert.All(results.TakeLast(3), r => Assert.Equal("cp2", r.Node.Name));
    }

    // ---------------------------------------------------------------- the runner

    private static (FakeConnector Connector, RecordingRunHost Host) RunOver(Func<PiNode, RemoteCommand, CommandResult> handler, Action<FakeConnector>? setUp = null, string? kubeconfig = null)
    {
        var connector = new FakeConnector(handler);
        setUp?.Invoke(connector);
        var host = new RecordingRunHost();
        new ClusterCheckRunner(connector, new RunOptions(), kubeconfig ?? "/nonexistent/picluster-test/kubeconfig", clock: () => Now)
            .Run(ClusterNodes.ToPiNodes(Cluster()), host, CancellationToken.None);
        return (connector, host);
    }

    [Fact]
    public void TheRunnerReadsEachNodeOverOneConnectionInOneReadOnlyRoundTrip()
    {
        var (connector, host) = RunOver((node, command) => FakeNodeSession.Ok(Script(command.Script.Contains("PICLUSTER_CONTROL_PLANE='yes'"))));
        Assert.Equal(new[] { "cp1", "w1", "w2" }, connector.Opens.Keys.OrderBy(k => k));
        Assert.All(connector.Opens.Values, n => Assert.Equal(1, n));
        Assert.All(connector.Sessions.Values, s =>
        {
            var command = Assert.Single(s.Commands);
            Assert.Contains("picluster-cluster-check-facts", command.Script);
            Assert.Equal(s.Node.Role == NodeRole.ControlPlane, command.Script.Contains("PICLUSTER_CONTROL_PLANE='yes'"));
            Assert.True(command.Timeout is { } t && t <= TimeSpan.FromMinutes(2));
        });
        Assert.Equal(3, connector.Closed.Count);
        // Read-only: the script changes nothing (no write, no lock, no apply), and the runner sent nothing else.
        var script = RemoteScripts.Compose("cluster-check-facts");
        foreach (var change in new[] { " apply", " delete", " rm ", "> /", ">/", "tee ", "systemctl ", "swapoff", "swapon", "sed -i", "node-lock" })
            Assert.DoesNotContain(change, script.Replace("2>\"$errors\"", "").Replace(">/dev/null", ""));
        Assert.Contains("trap 'rm -f \"$errors\"' EXIT", script);
        Assert.Empty(host.Failures);
        Assert.Empty(host.WrongThreadCalls);

        var results = host.Output<ClusterCheckResult>().ToList();
        Assert.Equal(25, results.Count);
        // No kubeconfig on this machine: only the API check fails, with what to do.
        Assert.Equal(new[] { "cp1 ApiReachable" }, Failed(results));
        Assert.Contains("Export-PiKubeconfig", Find(results, "cp1", ClusterCheckNames.ApiReachable).Remedy);
    }

    [Fact]
    public void TheRunnerReportsAnUnreachableLeaderInTheResultsWithoutAnErrorRecordOrAnException()
    {
        var (connector, host) = RunOver((node, command) => FakeNodeSession.Ok(Script(false)), c => c.Unreachable.Add("cp1"));
        Assert.Empty(host.Failures);
        var results = host.Output<ClusterCheckResult>().ToList();
        Assert.Contains("Connection refused", Find(results, "w1", ClusterCheckNames.NodeReady).Detail);
        Assert.Contains("Connection refused", Find(results, "cp1", ClusterCheckNames.Swap).Detail);
        Assert.True(Find(results, "w1", ClusterCheckNames.Swap).Passed);
        Assert.Equal(2, connector.Sessions.Count);
    }

    [Fact]
    public void AFailedScriptIsAFailedResultWithItsErrorAndSecretsAreMasked()
    {
        var (_, host) = RunOver((node, command) => node.Name == "w2"
            ? new CommandResult(1, "", "sudo: a password is required\nkubeadm join --token abcdef.0123456789abcdef\n")
            : FakeNodeSession.Ok(Script(node.Role == NodeRole.ControlPlane)));
        var swap = Find(host.Output<ClusterCheckResult>(), "w2", ClusterCheckNames.Swap);
        Assert.False(swap.Passed);
        Assert.Contains("the check script failed (exit code 1): sudo: a password is required", swap.Detail);
        Assert.DoesNotContain("abcdef.0123456789abcdef", swap.Detail);
    }

    [Fact]
    public void NodesWithoutAControlPlaneOrFromNoClusterFileAreRefusedBeforeAnyConnection()
    {
        var connector = new FakeConnector();
        var runner = new ClusterCheckRunner(connector, new RunOptions(), "/nonexistent");
        var workers = ClusterNodes.ToPiNodes(Cluster()).Where(n => n.Role == NodeRole.Worker).ToList();
        Assert.Contains("None of the nodes is a control plane", Assert.Throws<ArgumentException>(() => runner.Run(workers, new RecordingRunHost(), CancellationToken.None)).Message);
        Assert.Contains("needs the cluster file", Assert.Throws<ArgumentException>(() =>
            runner.Run(new[] { new PiNode("cp1", "127.0.0.1", NodeRole.ControlPlane) }, new RecordingRunHost(), CancellationToken.None)).Message);
        Assert.Empty(connector.Opens);
    }
}
