using System;
using System.Collections.Generic;
using System.Linq;
using PiCluster.Clusters;

namespace PiCluster.ControlPlane;

/// <summary>
/// One release manifest of a CNI plugin that PiCluster knows: where upstream publishes it, the SHA-256 PiCluster
/// expects of it, and the DaemonSet whose pods show the plugin runs.
/// </summary>
/// <param name="Plugin">flannel, calico or canal (the cluster file's <c>network.plugin</c>).</param>
/// <param name="Version">The upstream release, e.g. "v0.27.4".</param>
/// <param name="Url">The published manifest of that release.</param>
/// <param name="Sha256">
/// The manifest's SHA-256 (lower-case hex), or null while nobody has verified it: then the download cannot be checked and
/// <see cref="ManifestIntegrity.Check"/> refuses it until the cluster file's <c>network.manifestSha256</c> gives the hash.
/// </param>
/// <param name="DaemonSetNamespace">Namespace of the plugin's DaemonSet.</param>
/// <param name="DaemonSetName">The DaemonSet that runs the plugin on every node.</param>
public sealed record PinnedManifest(string Plugin, string Version, string Url, string? Sha256, string DaemonSetNamespace, string DaemonSetName);

/// <summary>Where a manifest comes from: the product's pin, or the cluster file's <c>network.manifest</c> (air-gapped copies, mirrors, the lab).</summary>
public enum ManifestOrigin
{
    /// <summary>The release manifest in <see cref="CniManifests.Pinned"/>.</summary>
    Pinned,

    /// <summary>The cluster file's <c>network.manifest</c>.</summary>
    ClusterFile,
}

/// <summary>The manifest to fetch for a cluster and the hash to check it against; both origins go through the same check.</summary>
/// <param name="Plugin">The plugin the manifest installs.</param>
/// <param name="Location">A URL, or a local path already resolved against the cluster file's folder.</param>
/// <param name="ExpectedSha256">The hash the bytes must have (lower-case hex), or null when none is known.</param>
/// <param name="Origin">Pinned or from the cluster file.</param>
/// <param name="Pin">The pinned release the plugin's DaemonSet and version come from (also for a cluster-file manifest of that plugin).</param>
public sealed record ManifestSource(string Plugin, string Location, string? ExpectedSha256, ManifestOrigin Origin, PinnedManifest Pin);

/// <summary>The CNI manifests PiCluster pins, one release per plugin, and how a cluster file chooses among them.</summary>
public static class CniManifests
{
    /// <summary>
    /// The pins: each URL is a file at a release tag of its upstream repository, as raw.githubusercontent.com serves it
    /// (byte for byte the blob at that tag), so the hash is the hash of that blob. They were computed from the upstream
    /// repositories' history (<c>git show v0.27.4:Documentation/kube-flannel.yml | sha256sum</c> in flannel-io/flannel,
    /// tag commit 20bdda0b; <c>git show v3.30.3:manifests/calico.yaml</c> and <c>canal.yaml</c> in projectcalico/calico,
    /// tag commit 3302e8bf). flannel's GitHub release asset is not pinned: its release job builds it with kustomize, so its
    /// bytes are not in the repository and nobody here could hash them.
    /// </summary>
    public static IReadOnlyList<PinnedManifest> Pinned { get; } = new[]
    {
        new PinnedManifest("flannel", "v0.27.4", "https://raw.githubusercontent.com/flannel-io/flannel/v0.27.4/Documentation/kube-flannel.yml",
            "2242ee218f3c3e724e4efe5f31826a3e38cfdabf334de41aee2b12b48fd4818d", "kube-flannel", "kube-flannel-ds"),
        new PinnedManifest("calico", "v3.30.3", "https://raw.githubusercontent.com/projectcalico/calico/v3.30.3/manifests/calico.yaml",
            "9382d2b27a76f40c170454b408653e6d71e2205ef0aef069e942bb690e7381d0", "kube-system", "calico-node"),
        new PinnedManifest("canal", "v3.30.3", "https://raw.githubusercontent.com/projectcalico/calico/v3.30.3/manifests/canal.yaml",
            "0773fcb8e90c6db07190fd15d843b6a9e4235b27d79b8d7999259ec6669dc418", "kube-system", "canal"),
    };

    /// <summary>The pinned release of a plugin.</summary>
    /// <exception cref="ArgumentException">Not flannel, calico or canal.</exception>
    public static PinnedManifest For(string plugin) =>
        Pinned.FirstOrDefault(p => p.Plugin == plugin)
        ?? throw new ArgumentException($"Unknown network plugin '{plugin}': choose flannel, calico or canal.", nameof(plugin));

    /// <summary>
    /// The manifest for a cluster: <c>network.manifest</c> when given (for <c>network.plugin</c>; a <paramref name="plugin"/>
    /// other than the file's uses its pin), else the pin. The expected hash is <c>network.manifestSha256</c> when given, else
    /// the pin's (none for a cluster-file manifest without one).
    /// </summary>
    public static ManifestSource Resolve(ClusterDefinition cluster, string? plugin = null)
    {
        var chosen = plugin ?? cluster.Network.Plugin;
        var pin = For(chosen);
        var givenHash = cluster.Network.ManifestSha256.Length > 0 ? cluster.Network.ManifestSha256.ToLowerInvariant() : null;
        if (cluster.Network.Manifest.Length > 0 && chosen == cluster.Network.Plugin)
            return new ManifestSource(chosen, cluster.ResolvePath(cluster.Network.Manifest), givenHash, ManifestOrigin.ClusterFile, pin);
        return new ManifestSource(chosen, pin.Url, chosen == cluster.Network.Plugin ? givenHash ?? pin.Sha256 : pin.Sha256, ManifestOrigin.Pinned, pin);
    }
}
