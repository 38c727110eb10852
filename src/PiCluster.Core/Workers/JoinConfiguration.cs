using System;
using System.Linq;
using PiCluster.ControlPlane;
using YamlDotNet.RepresentationModel;

namespace PiCluster.Workers;

/// <summary>
/// The <c>kubeadm.k8s.io/v1beta4</c> JoinConfiguration for <c>kubeadm join --config</c> on a worker: bootstrap-token
/// discovery pinned to the cluster's CA, the node's cluster-file name, the CRI socket, and kubelet's node-ip set to
/// the static LAN address (else kubelet registers the default route's interface).
/// </summary>
public static class JoinConfiguration
{
    /// <summary>Where the file lives on the worker while kubeadm join runs (mode 0600: it holds the token; removed afterwards).</summary>
    public const string RemotePath = "/etc/kubernetes/picluster-join.yaml";

    /// <summary>The configuration as YAML.</summary>
    /// <param name="apiServerEndpoint">host:port of the API server.</param>
    /// <param name="token">The bootstrap token (id.secret), or a stand-in for a plan's diff.</param>
    /// <param name="caPin">The discovery CA pin, <c>sha256:&lt;hex&gt;</c>.</param>
    /// <param name="nodeName">The node's name in the cluster file.</param>
    /// <param name="criSocket">The container runtime's CRI endpoint (<see cref="CriSockets"/>).</param>
    /// <param name="lanAddress">The node's static LAN address.</param>
    /// <param name="discoveryTimeout">How long kubeadm may try to reach the API server (whole seconds; 2 minutes if not given).</param>
    public static string Generate(string apiServerEndpoint, string token, string caPin, string nodeName, string criSocket, string lanAddress,
        TimeSpan? discoveryTimeout = null)
    {
        foreach (var (name, value) in new[] { (nameof(apiServerEndpoint), apiServerEndpoint), (nameof(token), token), (nameof(caPin), caPin),
                     (nameof(nodeName), nodeName), (nameof(criSocket), criSocket), (nameof(lanAddress), lanAddress) })
            if (string.IsNullOrWhiteSpace(value) || value.Any(char.IsControl))
                throw new ArgumentException($"The JoinConfiguration needs a {name} on one line.", name);
        return YamlText.Documents(new YamlNode[]
        {
            YamlText.Map(
                ("apiVersion", YamlText.Text("kubeadm.k8s.io/v1beta4")),
                ("kind", YamlText.Text("JoinConfiguration")),
                ("discovery", YamlText.Map(
                    ("bootstrapToken", YamlText.Map(
                        ("apiServerEndpoint", YamlText.Text(apiServerEndpoint)),
                        ("token", YamlText.Text(token)),
                        ("caCertHashes", YamlText.List(new YamlNode[] { YamlText.Text(caPin) })))))),
                ("nodeRegistration", YamlText.Map(
                    ("name", YamlText.Text(nodeName)),
                    ("criSocket", YamlText.Text(criSocket)),
                    ("kubeletExtraArgs", YamlText.List(new YamlNode[]
                    {
                        YamlText.Map(("name", YamlText.Text("node-ip")), ("value", YamlText.Text(lanAddress))),
                    })))),
                ("timeouts", YamlText.Map(
                    ("discovery", YamlText.Text(GoDuration(discoveryTimeout ?? TimeSpan.FromMinutes(2)))),
                    ("tlsBootstrap", YamlText.Text("5m0s"))))),
        });
    }

    /// <summary>A whole-second Go duration as kubeadm writes one: 2m0s, 45s.</summary>
    private static string GoDuration(TimeSpan t)
    {
        var seconds = (long)Math.Ceiling(t.TotalSeconds);
        if (seconds < 1) throw new ArgumentOutOfRangeException(nameof(t), t, "The discovery timeout must be at least a second.");
        return seconds < 60 ? $"{seconds}s" : $"{seconds / 60}m{seconds % 60}s";
    }
}
