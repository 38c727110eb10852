using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using PiCluster.Clusters;
using YamlDotNet.RepresentationModel;

namespace PiCluster.ControlPlane;

/// <summary>
/// The kubeadm configuration for <c>kubeadm init --config</c>: InitConfiguration, ClusterConfiguration
/// (<c>kubeadm.k8s.io/v1beta4</c>) and KubeletConfiguration (<c>kubelet.config.k8s.io/v1beta1</c>), from the cluster
/// file, the chosen control-plane node and what that node reported. The same inputs always give the same bytes, so the
/// diff against the file on the node under -WhatIf shows only real changes.
/// </summary>
public static class KubeadmConfiguration
{
    /// <summary>Where the configuration lives on the control plane (mode 0600: it names the node and the cluster's endpoints).</summary>
    public const string RemotePath = "/etc/kubernetes/picluster-kubeadm.yaml";

    /// <summary>The lifetime of the bootstrap token kubeadm init makes: minutes, not kubeadm's 24 h (PiCluster deletes it at once).</summary>
    public const string InitTokenTtl = "15m0s";

    /// <summary>The API server's port on the node (kubeadm's default; the lab forwards it).</summary>
    public const int BindPort = 6443;

    private static readonly Regex InstalledVersion = new(@"^v?(1\.[0-9]+\.[0-9]+)$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Problems that stop the configuration from being generated: the installed kubeadm is not the version the file asks
    /// for, or a fact is malformed. Empty when <see cref="Generate"/> will succeed.
    /// </summary>
    public static IReadOnlyList<string> Check(ClusterDefinition cluster, NodeDefinition controlPlane, ControlPlaneFacts facts)
    {
        var problems = new List<string>();
        var match = InstalledVersion.Match(facts.KubeadmVersion.Trim());
        if (!match.Success || !KubernetesVersion.TryParse(match.Groups[1].Value, out var installed))
            problems.Add($"Node '{controlPlane.Name}' reports kubeadm version '{facts.KubeadmVersion}', which is not a patch version like v1.34.2: check the kubeadm package (Install-PiKubernetes).");
        else if (KubernetesVersion.TryParse(cluster.Kubernetes.Version, out var wanted) && !Satisfies(installed!, wanted!))
            problems.Add($"Node '{controlPlane.Name}' has kubeadm {installed} but kubernetes.version is {wanted}: run Install-PiKubernetes first so that kubeadm, kubelet and kubectl are at {wanted}.");
        if (!Cidr.TryParseIp(facts.LanAddress, out _))
            problems.Add($"Node '{controlPlane.Name}' LAN address '{facts.LanAddress}' is not an IP address.");
        if (!Cidr.IsHostName(facts.Hostname))
            problems.Add($"Node '{controlPlane.Name}' reports hostname '{facts.Hostname}', which is not a valid host name: run Set-PiHostname.");
        if (!facts.CriSocket.StartsWith("unix:///", StringComparison.Ordinal))
            problems.Add($"CRI socket '{facts.CriSocket}' is not a unix:/// endpoint such as {CriSockets.Containerd}.");
        return problems;
    }

    /// <summary>The configuration as YAML (three documents).</summary>
    /// <exception cref="ArgumentException">A problem from <see cref="Check"/>; the message lists them.</exception>
    public static string Generate(ClusterDefinition cluster, NodeDefinition controlPlane, ControlPlaneFacts facts, KubeadmTimeouts? timeouts = null)
    {
        var problems = Check(cluster, controlPlane, facts);
        if (problems.Count > 0)
            throw new ArgumentException(string.Join(" ", problems), nameof(facts));
        timeouts ??= KubeadmTimeouts.SdCardBoards;
        var k = cluster.Kubernetes;
        var version = "v" + InstalledVersion.Match(facts.KubeadmVersion.Trim()).Groups[1].Value;

        var init = YamlText.Map(
            ("apiVersion", YamlText.Text("kubeadm.k8s.io/v1beta4")),
            ("kind", YamlText.Text("InitConfiguration")),
            ("localAPIEndpoint", YamlText.Map(
                ("advertiseAddress", YamlText.Text(facts.LanAddress)),
                ("bindPort", YamlText.Number(BindPort)))),
            // kubeadm init always makes a token; PiCluster deletes it right after init, and would find it by this description.
            ("bootstrapTokens", YamlText.List(new YamlNode[]
            {
                YamlText.Map(
                    ("description", YamlText.Text(BootstrapTokens.Description)),
                    ("ttl", YamlText.Text(InitTokenTtl)),
                    ("usages", YamlText.List(new YamlNode[] { YamlText.Text("signing"), YamlText.Text("authentication") })),
                    ("groups", YamlText.List(new YamlNode[] { YamlText.Text("system:bootstrappers:kubeadm:default-node-token") }))),
            })),
            ("nodeRegistration", YamlText.Map(
                ("name", YamlText.Text(controlPlane.Name)),
                ("criSocket", YamlText.Text(facts.CriSocket)),
                // kubelet would otherwise register the address of the default-route interface (wlan0, a NAT), not the static one.
                ("kubeletExtraArgs", YamlText.List(new YamlNode[]
                {
                    YamlText.Map(("name", YamlText.Text("node-ip")), ("value", YamlText.Text(facts.LanAddress))),
                })))),
            ("timeouts", YamlText.Map(
                ("controlPlaneComponentHealthCheck", YamlText.Text(timeouts.ControlPlaneComponentHealthCheck)),
                ("kubeletHealthCheck", YamlText.Text(timeouts.KubeletHealthCheck)),
                ("kubernetesAPICall", YamlText.Text(timeouts.KubernetesApiCall)),
                ("etcdAPICall", YamlText.Text(timeouts.EtcdApiCall)))));

        var clusterConfiguration = YamlText.Map(
            ("apiVersion", YamlText.Text("kubeadm.k8s.io/v1beta4")),
            ("kind", YamlText.Text("ClusterConfiguration")),
            ("clusterName", YamlText.Text(cluster.Name)),
            ("kubernetesVersion", YamlText.Text(version)),
            ("controlPlaneEndpoint", k.ControlPlaneEndpoint.Length > 0 ? YamlText.Text(k.ControlPlaneEndpoint) : null),
            ("imageRepository", k.ImageRepository.Length > 0 ? YamlText.Text(k.ImageRepository) : null),
            ("networking", YamlText.Map(
                ("podSubnet", YamlText.Text(k.PodSubnet)),
                ("serviceSubnet", YamlText.Text(k.ServiceSubnet)))),
            ("apiServer", YamlText.Map(
                ("certSANs", YamlText.List(CertificateSans(cluster, controlPlane, facts).Select(YamlText.Text))))));

        var kubelet = YamlText.Map(
            ("apiVersion", YamlText.Text("kubelet.config.k8s.io/v1beta1")),
            ("kind", YamlText.Text("KubeletConfiguration")),
            // The runtimes PiCluster installs drive cgroups through systemd; kubelet must use the same driver.
            ("cgroupDriver", YamlText.Text("systemd")));

        return YamlText.Documents(new YamlNode[] { init, clusterConfiguration, kubelet });
    }

    /// <summary>
    /// The API server certificate's extra SANs in a fixed order: the LAN address, the node name and hostname, the host of
    /// controlPlaneEndpoint, then <c>kubernetes.certSANs</c>; each once (names compared without case).
    /// </summary>
    public static IReadOnlyList<string> CertificateSans(ClusterDefinition cluster, NodeDefinition controlPlane, ControlPlaneFacts facts)
    {
        var sans = new List<string>();
        void Add(string value)
        {
            if (value.Length > 0 && !sans.Contains(value, StringComparer.OrdinalIgnoreCase))
                sans.Add(value);
        }
        Add(facts.LanAddress);
        Add(controlPlane.Name);
        Add(facts.Hostname);
        Add(EndpointHost(cluster.Kubernetes.ControlPlaneEndpoint));
        foreach (var san in cluster.Kubernetes.CertSans)
            Add(san);
        return sans;
    }

    /// <summary>The host part of a controlPlaneEndpoint: "k8s.lan:6443" → "k8s.lan", "[fd00::10]:6443" → "fd00::10".</summary>
    public static string EndpointHost(string endpoint)
    {
        if (endpoint.StartsWith("[", StringComparison.Ordinal) && endpoint.IndexOf(']') > 0)
            return endpoint.Substring(1, endpoint.IndexOf(']') - 1);
        return endpoint.Count(c => c == ':') == 1 ? endpoint.Substring(0, endpoint.IndexOf(':')) : endpoint;
    }

    /// <summary>A patch version satisfies a patch version when equal, and a minor channel when of that minor.</summary>
    private static bool Satisfies(KubernetesVersion installed, KubernetesVersion wanted) =>
        wanted.IsPatch ? installed.Equals(wanted) : installed.Minor == wanted.Minor;

    /// <summary>
    /// How a running cluster differs from the configuration PiCluster would create: <paramref name="runningClusterConfiguration"/>
    /// is the ClusterConfiguration kubeadm keeps in the kube-system/kubeadm-config ConfigMap (key ClusterConfiguration),
    /// <paramref name="desiredConfiguration"/> the output of <see cref="Generate"/>. Compares what cannot change without
    /// rebuilding the cluster (clusterName, kubernetesVersion, controlPlaneEndpoint, the subnets); empty when they agree.
    /// Such a cluster is reported, not "fixed".
    /// </summary>
    public static IReadOnlyList<SettingDifference> DifferencesFromRunning(string runningClusterConfiguration, string desiredConfiguration)
    {
        var running = ClusterConfigurationOf(runningClusterConfiguration) ?? new YamlMappingNode();
        var desired = ClusterConfigurationOf(desiredConfiguration) ?? throw new ArgumentException("The desired configuration has no ClusterConfiguration.", nameof(desiredConfiguration));
        var differences = new List<SettingDifference>();
        foreach (var path in new[] { "clusterName", "kubernetesVersion", "controlPlaneEndpoint", "networking.podSubnet", "networking.serviceSubnet" })
        {
            var was = Lookup(running, path);
            var want = Lookup(desired, path);
            // kubeadm leaves an unset endpoint empty and defaults the service subnet.
            if (path == "networking.serviceSubnet" && was.Length == 0) was = "10.96.0.0/12";
            if (!string.Equals(was, want, StringComparison.Ordinal))
                differences.Add(new SettingDifference(path, was, want));
        }
        return differences;
    }

    private static YamlMappingNode? ClusterConfigurationOf(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new System.IO.StringReader(yaml));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()
            .FirstOrDefault(m => Lookup(m, "kind") == "ClusterConfiguration" || !m.Children.ContainsKey(new YamlScalarNode("kind")));
    }

    private static string Lookup(YamlMappingNode node, string path)
    {
        YamlNode current = node;
        foreach (var part in path.Split('.'))
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(part), out var next))
                return "";
            current = next;
        }
        return (current as YamlScalarNode)?.Value ?? "";
    }
}

/// <summary>A setting of a running cluster that differs from the cluster file.</summary>
/// <param name="Setting">The ClusterConfiguration field, e.g. "networking.podSubnet".</param>
/// <param name="Running">What the cluster runs with ("" when unset).</param>
/// <param name="Wanted">What the cluster file asks for.</param>
public sealed record SettingDifference(string Setting, string Running, string Wanted);
