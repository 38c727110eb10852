using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using PiCluster.Steps.Kubernetes;
using PiCluster.Transport;

namespace PiCluster.Checks.Cluster;

/// <summary>A node as the API server has it registered.</summary>
/// <param name="Name">metadata.name.</param>
/// <param name="IsControlPlane">It carries the node-role.kubernetes.io/control-plane label.</param>
/// <param name="Ready">Its Ready condition's status is True.</param>
/// <param name="ReadyReason">The Ready condition's status, reason and message, e.g. "Unknown: Kubelet stopped posting node status.".</param>
/// <param name="KubeletVersion">status.nodeInfo.kubeletVersion.</param>
public sealed record RegisteredNode(string Name, bool IsControlPlane, bool Ready, string ReadyReason, string KubeletVersion);

/// <summary>A pod as <c>kubectl get pods -A -o json</c> shows it.</summary>
/// <param name="Namespace">metadata.namespace.</param>
/// <param name="Name">metadata.name.</param>
/// <param name="NodeName">spec.nodeName; empty while unscheduled.</param>
/// <param name="Phase">status.phase.</param>
/// <param name="Ready">Every container reports ready.</param>
/// <param name="Labels">metadata.labels.</param>
/// <param name="OwnerKind">The controlling owner's kind (DaemonSet, ReplicaSet, Node for static pods).</param>
/// <param name="OwnerName">The controlling owner's name.</param>
public sealed record ClusterPod(string Namespace, string Name, string NodeName, string Phase, bool Ready,
    IReadOnlyDictionary<string, string> Labels, string OwnerKind, string OwnerName)
{
    /// <summary>Running with every container ready.</summary>
    public bool IsRunning => Phase == "Running" && Ready;

    /// <summary>The label's value, or "".</summary>
    public string Label(string key) => Labels.TryGetValue(key, out var value) ? value : "";

    /// <inheritdoc />
    public override string ToString() => IsRunning ? $"{Name} Running" : $"{Name} {Phase}{(Phase == "Running" ? " (not ready)" : "")}";
}

/// <summary>One certificate of <c>kubeadm certs check-expiration -o json</c>.</summary>
/// <param name="Name">e.g. "apiserver", "admin.conf", or a CA's name.</param>
/// <param name="ExpirationDate">notAfter (UTC).</param>
/// <param name="Missing">kubeadm found no such file (e.g. super-admin.conf on a joined control plane).</param>
public sealed record CertificateExpiry(string Name, DateTimeOffset ExpirationDate, bool Missing);

/// <summary>What a control plane read of the cluster through /etc/kubernetes/admin.conf; each part null with its error when its command failed.</summary>
public sealed record LeaderFacts(
    bool HoldsAdminConf,
    string? ServerVersion, string ServerVersionError,
    IReadOnlyList<RegisteredNode>? Nodes, string NodesError,
    IReadOnlyList<ClusterPod>? Pods, string PodsError,
    IReadOnlyList<CertificateExpiry>? Certificates, string CertificatesError);

/// <summary>What Scripts/cluster-check-facts.sh read on one node.</summary>
/// <param name="Swaps">Active swap areas (lines of /proc/swaps without the header).</param>
/// <param name="KernelCommandLine">/proc/cmdline.</param>
/// <param name="MemoryController">cgroup v2 lists the memory controller.</param>
/// <param name="KubeletVersion">The kubelet package's version as dpkg records it, in <c>kubelet --version</c>'s words (the
/// binary's own answer when dpkg does not know it), e.g. "Kubernetes v1.34.1"; empty when there is no kubelet.</param>
/// <param name="KubeadmVersion">Likewise for kubeadm, in <c>kubeadm version -o short</c>'s words, e.g. "v1.34.1"; empty when
/// there is no kubeadm.</param>
/// <param name="Leader">On a control plane, what it read of the cluster; null on workers.</param>
public sealed record NodeCheckFacts(IReadOnlyList<string> Swaps, string KernelCommandLine, bool MemoryController,
    string KubeletVersion, string KubeadmVersion, LeaderFacts? Leader)
{
    /// <summary>The command that reads them; <paramref name="controlPlane"/> adds the cluster and the certificates.</summary>
    public static RemoteCommand Command(bool controlPlane) => new(
        RemoteScripts.Compose("cluster-check-facts",
            new Dictionary<string, string> { ["PICLUSTER_CONTROL_PLANE"] = controlPlane ? "yes" : "no" }),
        asRoot: true, timeout: TimeSpan.FromSeconds(120),
        display: controlPlane ? "read the node's and the cluster's state (kubectl, kubeadm certs)" : "read the node's state");

    /// <summary>Parses the script's output.</summary>
    public static NodeCheckFacts Parse(string output)
    {
        var s = SectionedOutput.Parse(output);
        IReadOnlyList<string> Lines(string name) => (s.Get(name) ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        LeaderFacts? leader = null;
        if (s.Has("admin_conf"))
        {
            var holds = s.GetOr("admin_conf", "no") == "yes";
            string Error(string name) => s.Has(name + "_error") ? ClusterJson.OneLine(s.Get(name + "_error") ?? "") is { Length: > 0 } e ? e : "it failed" : "";
            T? Json<T>(string name, Func<string, T> parse, ref string error) where T : class
            {
                if (s.GetBytes(name) is not { } bytes) return null;
                try { return parse(Encoding.UTF8.GetString(bytes)); }
                catch (FormatException e) { error = e.Message; return null; }
            }
            var versionError = Error("server_version");
            var nodesError = Error("nodes");
            var podsError = Error("pods");
            var certsError = Error("certs");
            leader = new LeaderFacts(holds,
                Json("server_version", ClusterJson.ServerVersion, ref versionError), versionError,
                Json("nodes", ClusterJson.Nodes, ref nodesError), nodesError,
                Json("pods", ClusterJson.Pods, ref podsError), podsError,
                Json("certs", ClusterJson.Certificates, ref certsError), certsError);
        }
        // An installed package's version, in the binary's own words; else what the binary itself said (the script asks
        // it only when dpkg does not know it as installed).
        var packaged = KubernetesPackagesStep.ParseInstalled(s.Get("packages"));
        string Version(string package, string words) => packaged.TryGetValue(package, out var version)
            ? words + "v" + (KubernetesPackageVersions.Upstream(version)?.ToString() ?? version)
            : s.GetOr(package + "_version", "");
        return new NodeCheckFacts(Lines("swaps"), s.GetOr("cmdline", ""),
            s.GetOr("cgroup_controllers", "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("memory"),
            Version("kubelet", "Kubernetes "), Version("kubeadm", ""), leader);
    }
}
