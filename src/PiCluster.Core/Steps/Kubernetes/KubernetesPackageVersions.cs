using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PiCluster.Clusters;

namespace PiCluster.Steps.Kubernetes;

/// <summary>
/// Picks the apt version of kubelet/kubeadm/kubectl for the cluster's Kubernetes version: a minor channel ("1.34")
/// takes its newest patch, a patch ("1.34.2") takes exactly that patch (its newest package revision, e.g. 1.34.2-1.1).
/// </summary>
public static class KubernetesPackageVersions
{
    /// <summary>The three packages PiCluster installs and holds, in install order.</summary>
    public static readonly IReadOnlyList<string> Packages = new[] { "kubelet", "kubeadm", "kubectl" };

    /// <summary>The versions listed by <c>apt-cache madison PKG</c> (one per line: "pkg | version | source").</summary>
    public static IReadOnlyList<string> ParseMadison(string output) => output
        .Split('\n')
        .Select(line => line.Split('|'))
        .Where(parts => parts.Length >= 3)
        .Select(parts => parts[1].Trim())
        .Where(v => v.Length > 0)
        .Distinct(StringComparer.Ordinal)
        .ToList();

    /// <summary>The upstream Kubernetes version of a package version: "1.34.2-1.1" gives "1.34.2"; null when it is not one.</summary>
    public static KubernetesVersion? Upstream(string packageVersion)
    {
        var colon = packageVersion.IndexOf(':');
        var v = colon >= 0 ? packageVersion.Substring(colon + 1) : packageVersion;
        var dash = v.IndexOf('-');
        if (dash >= 0) v = v.Substring(0, dash);
        return KubernetesVersion.TryParse(v, out var parsed) && parsed!.IsPatch ? parsed : null;
    }

    /// <summary>Whether an installed package version satisfies the wanted version (same minor; and same patch when one is pinned).</summary>
    public static bool Satisfies(string packageVersion, KubernetesVersion wanted)
    {
        var upstream = Upstream(packageVersion);
        return upstream is not null && upstream.Minor == wanted.Minor && (!wanted.IsPatch || upstream.Patch == wanted.Patch);
    }

    /// <summary>The newest available version that satisfies <paramref name="wanted"/>, or null.</summary>
    public static string? Pick(IEnumerable<string> available, KubernetesVersion wanted) => available
        .Where(v => Satisfies(v, wanted))
        .OrderByDescending(v => v, Comparer<string>.Create(DebianVersion.Compare))
        .FirstOrDefault();

    /// <summary>Words for the versions apt offers, for an error message.</summary>
    public static string Describe(IReadOnlyList<string> available) => available.Count == 0
        ? "none"
        : string.Join(", ", available.OrderByDescending(v => v, Comparer<string>.Create(DebianVersion.Compare)).Take(8));

    internal static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
