using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Checks.Cluster;

/// <summary>What was read of one node: its facts, or why there are none (unreachable, the script failed).</summary>
/// <param name="Node">The node of the cluster file.</param>
/// <param name="Facts">Its facts; null when they could not be read.</param>
/// <param name="Problem">Why they could not be read; empty with facts.</param>
public sealed record NodeOutcome(PiNode Node, NodeCheckFacts? Facts, string Problem = "");

/// <summary>Everything the cluster checks look at.</summary>
/// <param name="Cluster">The cluster's name.</param>
/// <param name="Nodes">The nodes checked, in file order, with what was read of each.</param>
/// <param name="FileNodeNames">Every node name of the cluster file (a registered node outside it is unknown).</param>
/// <param name="CniNamespace">The CNI plugin's DaemonSet namespace (<see cref="ControlPlane.CniManifests"/>).</param>
/// <param name="CniDaemonSet">The CNI plugin's DaemonSet name.</param>
/// <param name="Api">What asking the API from this machine found.</param>
/// <param name="Now">The time certificates are measured against.</param>
public sealed record ClusterCheckInput(string Cluster, IReadOnlyList<NodeOutcome> Nodes, IReadOnlyList<string> FileNodeNames,
    string CniNamespace, string CniDaemonSet, ApiProbe Api, DateTimeOffset Now);

/// <summary>
/// Test-PiCluster's checks: pure functions of what was read (<see cref="ClusterCheckInput"/>), one result per check and
/// node, then the whole-cluster checks on the leader. A check that cannot be evaluated fails and says why.
/// </summary>
public static class ClusterChecks
{
    /// <summary>Certificates that expire sooner than this fail with a warning.</summary>
    public static readonly TimeSpan CertificateWarning = TimeSpan.FromDays(30);

    /// <summary>kubelet may be this many minor versions older than the API server (Kubernetes' version skew policy since 1.28).</summary>
    public const int KubeletMaxMinorsOlder = 3;

    private static readonly string[] StaticPods = { "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler" };
    private static readonly Regex MinorVersion = new(@"v?(\d+)\.(\d+)(?:\.\d+)?", RegexOptions.CultureInvariant);

    /// <summary>Every check's result: per node in file order, then UnknownNodes, CoreDns and ApiReachable on the leader.</summary>
    /// <exception cref="ArgumentException">No node is a control plane.</exception>
    public static IReadOnlyList<ClusterCheckResult> Evaluate(ClusterCheckInput input)
    {
        if (input is null) throw new ArgumentNullException(nameof(input));
        var controlPlanes = input.Nodes.Where(n => n.Node.Role == NodeRole.ControlPlane).ToList();
        if (controlPlanes.Count == 0)
            throw new ArgumentException("None of the nodes is a control plane: Test-PiCluster reads the cluster there; give it the cluster file's nodes.", nameof(input));
        // The first control plane that read the cluster leads; the others' views are not needed.
        var leader = controlPlanes.FirstOrDefault(n => n.Facts?.Leader is { HoldsAdminConf: true, Nodes: not null });
        var view = leader?.Facts?.Leader;
        var noView = leader is null ? "cannot be evaluated: " + string.Join("; ", controlPlanes.Select(WhyNoView)) : "";

        var results = new List<ClusterCheckResult>();
        foreach (var outcome in input.Nodes)
            results.AddRange(NodeChecks(input, outcome, view, noView));
        var reporter = (leader ?? controlPlanes[0]).Node;
        results.Add(UnknownNodes(input, reporter, view, noView));
        results.Add(CoreDns(input, reporter, view, noView));
        results.Add(input.Api.Reached
            ? Pass(input, reporter, ClusterCheckNames.ApiReachable, input.Api.Detail)
            : Fail(input, reporter, ClusterCheckNames.ApiReachable, CheckSeverity.Error, input.Api.Detail, input.Api.Remedy));
        return results;
    }

    private static string WhyNoView(NodeOutcome cp) => cp.Facts?.Leader switch
    {
        null => $"{cp.Node.Name} could not be read ({cp.Problem})",
        { HoldsAdminConf: false } => $"{cp.Node.Name} holds no /etc/kubernetes/admin.conf (no control plane initialised there)",
        var l => $"{cp.Node.Name}: kubectl get nodes failed ({l.NodesError})",
    };

    private static IEnumerable<ClusterCheckResult> NodeChecks(ClusterCheckInput input, NodeOutcome outcome, LeaderFacts? view, string noView)
    {
        var node = outcome.Node;
        var unread = $"cannot be evaluated: the node could not be read ({outcome.Problem})";
        const string Reach = "Make the node reachable over SSH (is it powered and on the network?), then test again.";
        var registered = view?.Nodes?.FirstOrDefault(r => string.Equals(r.Name, node.Name, StringComparison.OrdinalIgnoreCase));
        var wantsControlPlane = node.Role == NodeRole.ControlPlane;
        var role = wantsControlPlane ? "control-plane" : "worker";

        // Registered, with the right role.
        if (view is null) yield return Fail(input, node, ClusterCheckNames.NodeRegistered, CheckSeverity.Error, noView, LeaderRemedy);
        else if (registered is null)
            yield return Fail(input, node, ClusterCheckNames.NodeRegistered, CheckSeverity.Error, $"{node.Name} is not registered in the cluster",
                wantsControlPlane ? "Join it as a control plane (kubeadm join --control-plane)." : "Join it to the cluster (kubeadm join with a token from the control plane).");
        else if (registered.IsControlPlane != wantsControlPlane)
            yield return Fail(input, node, ClusterCheckNames.NodeRegistered, CheckSeverity.Error,
                $"registered as {(registered.IsControlPlane ? "control-plane" : "worker")}; the cluster file says {role}",
                "Correct the node's role in the cluster file, or reset the node (kubeadm reset) and join it again in its role.");
        else yield return Pass(input, node, ClusterCheckNames.NodeRegistered, $"registered as {role}");

        if (view is null) yield return Fail(input, node, ClusterCheckNames.NodeReady, CheckSeverity.Error, noView, LeaderRemedy);
        else if (registered is null) yield return Fail(input, node, ClusterCheckNames.NodeReady, CheckSeverity.Error, "cannot be Ready: not registered", "Join it first.");
        else if (registered.Ready) yield return Pass(input, node, ClusterCheckNames.NodeReady, $"Ready ({registered.ReadyReason})");
        else yield return Fail(input, node, ClusterCheckNames.NodeReady, CheckSeverity.Error, $"not Ready ({registered.ReadyReason})",
            "Look at the node's kubelet and container runtime: systemctl status kubelet containerd; journalctl -u kubelet.");

        yield return SystemPods(input, node, view, noView);

        var server = view?.ServerVersion;
        var noServer = view is null ? noView : $"cannot be evaluated: the API server's version is unknown (kubectl version failed: {view.ServerVersionError})";
        if (outcome.Facts is not { } f)
        {
            foreach (var check in new[] { ClusterCheckNames.KubeletVersion, ClusterCheckNames.KubeadmVersion, ClusterCheckNames.Swap, ClusterCheckNames.CgroupFlags })
                yield return Fail(input, node, check, CheckSeverity.Error, unread, Reach);
            if (wantsControlPlane) yield return Fail(input, node, ClusterCheckNames.Certificates, CheckSeverity.Error, unread, Reach);
            yield break;
        }

        yield return Version(input, node, ClusterCheckNames.KubeletVersion, "kubelet", f.KubeletVersion, server, noServer, minorsOlder: KubeletMaxMinorsOlder, minorsNewer: 0);
        yield return Version(input, node, ClusterCheckNames.KubeadmVersion, "kubeadm", f.KubeadmVersion, server, noServer, minorsOlder: 0, minorsNewer: 1);

        if (f.Swaps.Count == 0) yield return Pass(input, node, ClusterCheckNames.Swap, "no swap active");
        else yield return Fail(input, node, ClusterCheckNames.Swap, CheckSeverity.Error,
            $"swap is on again: {string.Join(", ", f.Swaps.Select(s => s.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()))}; the kubelet refuses to run with swap by default",
            "Turn swap off for good again (Set-PiSwap); find what turned it on (dphys-swapfile, a swap line in /etc/fstab, a systemd swap unit).");

        var flagsMissing = BootCommandLine.CgroupFlags.Where(flag => !BootCommandLine.Tokenize(f.KernelCommandLine).Contains(flag)).ToList();
        // The memory controller says whether the flags work (a Pi's firmware puts cgroup_disable=memory before them).
        if (flagsMissing.Count == 0 && f.MemoryController)
            yield return Pass(input, node, ClusterCheckNames.CgroupFlags, $"{string.Join(" ", BootCommandLine.CgroupFlags)} in effect; memory controller enabled");
        else
        {
            var what = new List<string>();
            if (flagsMissing.Count > 0) what.Add($"the running kernel's command line lacks {string.Join(" ", flagsMissing)}");
            if (!f.MemoryController) what.Add("the memory cgroup controller is not enabled");
            yield return Fail(input, node, ClusterCheckNames.CgroupFlags, CheckSeverity.Error, string.Join("; ", what),
                "Put the flags back on the kernel command line (Enable-PiCgroup) and reboot (Restart-PiNode); something rewrote the boot configuration.");
        }

        if (wantsControlPlane) yield return Certificates(input, node, f);
    }

    private const string LeaderRemedy = "Make a control plane of the file reachable with its /etc/kubernetes/admin.conf and the API server running (Initialize-PiControlPlane on a new cluster).";

    private static ClusterCheckResult SystemPods(ClusterCheckInput input, PiNode node, LeaderFacts? view, string noView)
    {
        if (view is null) return Fail(input, node, ClusterCheckNames.SystemPods, CheckSeverity.Error, noView, LeaderRemedy);
        if (view.Pods is not { } pods)
            return Fail(input, node, ClusterCheckNames.SystemPods, CheckSeverity.Error, $"cannot be evaluated: kubectl get pods failed ({view.PodsError})", LeaderRemedy);
        var here = pods.Where(p => string.Equals(p.NodeName, node.Name, StringComparison.OrdinalIgnoreCase)).ToList();
        var expected = new List<(string What, Func<ClusterPod, bool> Is)>();
        if (node.Role == NodeRole.ControlPlane)
            expected.AddRange(StaticPods.Select(c => (c, (Func<ClusterPod, bool>)(p => p.Namespace == "kube-system" && p.Label("component") == c))));
        expected.Add(("kube-proxy", p => p.Namespace == "kube-system" && p.OwnerKind == "DaemonSet" && p.OwnerName == "kube-proxy"));
        expected.Add((input.CniDaemonSet, p => p.Namespace == input.CniNamespace && p.OwnerKind == "DaemonSet" && p.OwnerName == input.CniDaemonSet));

        var problems = new List<string>();
        var running = new List<string>();
        foreach (var (what, isIt) in expected)
        {
            var found = here.Where(isIt).ToList();
            if (found.Count == 0) problems.Add($"no {what} pod");
            else if (found.FirstOrDefault(p => !p.IsRunning) is { } bad) problems.Add(bad.ToString());
            else running.Add(what);
        }
        return problems.Count == 0
            ? Pass(input, node, ClusterCheckNames.SystemPods, $"running: {string.Join(", ", running)}")
            : Fail(input, node, ClusterCheckNames.SystemPods, CheckSeverity.Error, string.Join("; ", problems),
                $"kubectl -n kube-system describe pods --field-selector spec.nodeName={node.Name} says why; a NotReady node runs none (Install-PiPodNetwork for a missing {input.CniDaemonSet}).");
    }

    private static ClusterCheckResult Version(ClusterCheckInput input, PiNode node, string check, string tool, string found, string? server, string noServer, int minorsOlder, int minorsNewer)
    {
        var remedy = $"Install {tool} at a version the API server supports (Install-PiKubernetes with the cluster's kubernetes.version).";
        if (found.Length == 0) return Fail(input, node, check, CheckSeverity.Error, $"{tool} is not installed", remedy);
        if (server is null) return Fail(input, node, check, CheckSeverity.Error, noServer, LeaderRemedy);
        if (Minor(found) is not { } mine) return Fail(input, node, check, CheckSeverity.Error, $"{tool} printed no version: {found}", remedy);
        if (Minor(server) is not { } theirs) return Fail(input, node, check, CheckSeverity.Error, $"the API server's version '{server}' cannot be read", LeaderRemedy);
        var versions = $"{tool} {Short(found)}, API server {server}";
        if (mine.Major != theirs.Major || mine.Minor > theirs.Minor + minorsNewer)
            return Fail(input, node, check, CheckSeverity.Error, $"{versions}: {tool} is newer than the skew policy allows ({Allowed(theirs, minorsOlder, minorsNewer)})", remedy);
        if (mine.Minor < theirs.Minor - minorsOlder)
            return Fail(input, node, check, CheckSeverity.Error, $"{versions}: {tool} is older than the skew policy allows ({Allowed(theirs, minorsOlder, minorsNewer)})", remedy);
        return Pass(input, node, check, $"{versions} (allowed: {Allowed(theirs, minorsOlder, minorsNewer)})");
    }

    private static string Allowed((int Major, int Minor) server, int older, int newer) =>
        older == 0 && newer == 0 ? $"{server.Major}.{server.Minor}"
        : $"{server.Major}.{Math.Max(0, server.Minor - older)} to {server.Major}.{server.Minor + newer}";

    private static string Short(string version) => MinorVersion.Match(version) is { Success: true } m ? "v" + m.Value.TrimStart('v') : version;

    private static (int Major, int Minor)? Minor(string version) =>
        MinorVersion.Match(version) is { Success: true } m
            ? (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;

    private static ClusterCheckResult Certificates(ClusterCheckInput input, PiNode node, NodeCheckFacts f)
    {
        const string Renew = "Renew them on this control plane: sudo kubeadm certs renew all, then restart the control-plane static pods (move their manifests out of /etc/kubernetes/manifests and back).";
        var check = ClusterCheckNames.Certificates;
        if (f.Leader is not { } leader || !leader.HoldsAdminConf)
            return Fail(input, node, check, CheckSeverity.Error, "cannot be evaluated: no /etc/kubernetes/admin.conf here (no control plane initialised)", LeaderRemedy);
        if (leader.Certificates is not { } certificates)
            return Fail(input, node, check, CheckSeverity.Error, $"cannot be evaluated: kubeadm certs check-expiration failed ({leader.CertificatesError})", "Run sudo kubeadm certs check-expiration on the node to see why.");
        var present = certificates.Where(c => !c.Missing).OrderBy(c => c.ExpirationDate).ToList();
        var missing = certificates.Count - present.Count;
        var skipped = missing == 0 ? "" : $"; {missing} not present here (not checked)";
        if (present.Count == 0) return Fail(input, node, check, CheckSeverity.Error, "kubeadm listed no certificate", "Run sudo kubeadm certs check-expiration on the node to see why.");
        string Describe(CertificateExpiry c) => $"{c.Name} {c.ExpirationDate.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}";
        var expired = present.Where(c => c.ExpirationDate <= input.Now).ToList();
        if (expired.Count > 0)
            return Fail(input, node, check, CheckSeverity.Error, $"expired: {string.Join(", ", expired.Select(Describe))}{skipped}", Renew);
        var soon = present.Where(c => c.ExpirationDate - input.Now < CertificateWarning).ToList();
        if (soon.Count > 0)
            return Fail(input, node, check, CheckSeverity.Warning, $"expire within {CertificateWarning.TotalDays:0} days: {string.Join(", ", soon.Select(Describe))}{skipped}", Renew);
        var first = present[0];
        return Pass(input, node, check, $"{present.Count} certificates; the first to expire: {Describe(first)} (in {(first.ExpirationDate - input.Now).TotalDays:0} days){skipped}");
    }

    private static ClusterCheckResult UnknownNodes(ClusterCheckInput input, PiNode reporter, LeaderFacts? view, string noView)
    {
        if (view?.Nodes is not { } nodes) return Fail(input, reporter, ClusterCheckNames.UnknownNodes, CheckSeverity.Error, noView, LeaderRemedy);
        var unknown = nodes.Where(r => !input.FileNodeNames.Contains(r.Name, StringComparer.OrdinalIgnoreCase)).Select(r => r.Name).ToList();
        return unknown.Count == 0
            ? Pass(input, reporter, ClusterCheckNames.UnknownNodes, $"the {nodes.Count} registered nodes are all in the cluster file")
            : Fail(input, reporter, ClusterCheckNames.UnknownNodes, CheckSeverity.Error, $"registered but not in the cluster file: {string.Join(", ", unknown)}",
                "Add the node to the cluster file if it belongs, else drain and delete it (kubectl drain NODE --ignore-daemonsets; kubectl delete node NODE) and reset it.");
    }

    private static ClusterCheckResult CoreDns(ClusterCheckInput input, PiNode reporter, LeaderFacts? view, string noView)
    {
        if (view is null) return Fail(input, reporter, ClusterCheckNames.CoreDns, CheckSeverity.Error, noView, LeaderRemedy);
        if (view.Pods is not { } pods)
            return Fail(input, reporter, ClusterCheckNames.CoreDns, CheckSeverity.Error, $"cannot be evaluated: kubectl get pods failed ({view.PodsError})", LeaderRemedy);
        var dns = pods.Where(p => p.Namespace == "kube-system" && p.Label("k8s-app") == "kube-dns").ToList();
        string Where(ClusterPod p) => $"{p}{(p.NodeName.Length > 0 ? " on " + p.NodeName : " (not scheduled)")}";
        if (dns.Count == 0)
            return Fail(input, reporter, ClusterCheckNames.CoreDns, CheckSeverity.Error, "no CoreDNS pod (label k8s-app=kube-dns in kube-system)", "kubeadm init deploys CoreDNS: kubectl -n kube-system get deployment coredns says what became of it.");
        var bad = dns.Where(p => !p.IsRunning).ToList();
        return bad.Count == 0
            ? Pass(input, reporter, ClusterCheckNames.CoreDns, string.Join(", ", dns.Select(Where)))
            : Fail(input, reporter, ClusterCheckNames.CoreDns, CheckSeverity.Error, string.Join(", ", bad.Select(Where)),
                "CoreDNS waits for a Ready node and the pod network: install it (Install-PiPodNetwork) and see kubectl -n kube-system describe pods -l k8s-app=kube-dns.");
    }

    private static ClusterCheckResult Pass(ClusterCheckInput input, PiNode node, string check, string detail) =>
        new(input.Cluster, node, check, true, CheckSeverity.Info, detail);

    private static ClusterCheckResult Fail(ClusterCheckInput input, PiNode node, string check, CheckSeverity severity, string detail, string remedy) =>
        new(input.Cluster, node, check, false, severity, detail, remedy);
}
