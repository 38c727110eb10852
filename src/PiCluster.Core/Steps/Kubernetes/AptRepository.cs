using System;
using PiCluster.Clusters;

namespace PiCluster.Steps.Kubernetes;

/// <summary>
/// An apt repository laid out as pkgs.k8s.io documents it: one sources entry that names its keyring with
/// <c>signed-by</c>, the key dearmored into /etc/apt/keyrings. Never apt-key, never trusted=yes.
/// A mirror replaces both URL and key. The URLs are checked by <see cref="PackageSource"/> and the sources line is
/// built from the parsed URI, so no value can add a field or a line to it.
/// </summary>
public sealed class AptRepository
{
    /// <summary>Creates repository settings.</summary>
    /// <param name="name">What the repository holds, for messages.</param>
    /// <param name="url">The repository URL (absolute http(s)).</param>
    /// <param name="key">A key URL or local path; null or empty takes the repository's Release.key.</param>
    /// <param name="keyringPath">The keyring on the node.</param>
    /// <param name="sourcesPath">The sources file on the node.</param>
    /// <param name="keyFingerprint">A pinned fingerprint the key must have (required for keys fetched over http).</param>
    /// <param name="urlWhat">How messages name the URL (a cluster file field or a parameter).</param>
    /// <param name="keyWhat">How messages name the key.</param>
    /// <param name="fingerprintWhat">How messages name the fingerprint.</param>
    /// <exception cref="ArgumentException">A URL, key source or fingerprint breaks the rules of <see cref="PackageSource"/>;
    /// <see cref="ArgumentException.ParamName"/> is the <c>what</c> of the offending value.</exception>
    public AptRepository(string name, string url, string? key, string keyringPath, string sourcesPath, string? keyFingerprint = null,
        string urlWhat = "packageRepository", string keyWhat = "repositoryKey", string fingerprintWhat = "repositoryKeyFingerprint")
    {
        // Not trimmed: a trailing line break or tab is refused, never quietly dropped.
        var problem = PackageSource.CheckUrl(url.EndsWith("/", StringComparison.Ordinal) ? url : url + "/", urlWhat, out var uri);
        if (problem is not null) throw new ArgumentException(problem, urlWhat);
        if (!string.IsNullOrWhiteSpace(keyFingerprint) && PackageSource.CheckFingerprint(keyFingerprint!, fingerprintWhat) is { } bad)
            throw new ArgumentException(bad, fingerprintWhat);
        var keyText = string.IsNullOrEmpty(key) ? null : key;
        problem = PackageSource.CheckKeySource(uri!, keyText, keyFingerprint, keyWhat, fingerprintWhat);
        if (problem is not null) throw new ArgumentException(problem, keyWhat);

        Name = name;
        Uri = uri!;
        Url = uri!.AbsoluteUri;
        if (keyText is null) Key = Url + "Release.key";
        else if (PackageSource.IsUrl(keyText))
        {
            PackageSource.CheckUrl(keyText, keyWhat, out var keyUri);
            Key = keyUri!.AbsoluteUri;
        }
        else Key = keyText;
        KeyFingerprint = string.IsNullOrWhiteSpace(keyFingerprint) ? null : PackageSource.NormalizeFingerprint(keyFingerprint!);
        KeyringPath = keyringPath;
        SourcesPath = sourcesPath;
    }

    /// <summary>The Kubernetes packages' repository for a version; <paramref name="packageRepository"/> and
    /// <paramref name="repositoryKey"/> (empty = pkgs.k8s.io and its Release.key) come from the cluster file or parameters.</summary>
    /// <exception cref="ArgumentException">A value breaks the rules of <see cref="PackageSource"/>.</exception>
    public static AptRepository Kubernetes(KubernetesVersion version, string? packageRepository = null, string? repositoryKey = null, string? keyFingerprint = null,
        string urlWhat = "kubernetes.packageRepository", string keyWhat = "kubernetes.repositoryKey", string fingerprintWhat = "kubernetes.repositoryKeyFingerprint") => new(
        "Kubernetes " + version.Channel,
        string.IsNullOrWhiteSpace(packageRepository) ? $"https://pkgs.k8s.io/core:/stable:/{version.Channel}/deb/" : packageRepository!,
        repositoryKey, "/etc/apt/keyrings/kubernetes-apt-keyring.gpg", "/etc/apt/sources.list.d/kubernetes.list", keyFingerprint, urlWhat, keyWhat, fingerprintWhat);

    /// <summary>CRI-O's repository on pkgs.k8s.io for the Kubernetes minor (CRI-O minors follow Kubernetes').</summary>
    public static AptRepository CriO(KubernetesVersion version, string? url = null, string? key = null) => new(
        "CRI-O " + version.Channel,
        string.IsNullOrWhiteSpace(url) ? $"https://pkgs.k8s.io/addons:/cri-o:/stable:/{version.Channel}/deb/" : url!,
        key, "/etc/apt/keyrings/cri-o-apt-keyring.gpg", "/etc/apt/sources.list.d/cri-o.list", urlWhat: "CRI-O repository", keyWhat: "CRI-O repository key");

    /// <summary>What the repository holds, for messages ("Kubernetes v1.34").</summary>
    public string Name { get; }

    /// <summary>The parsed repository URL.</summary>
    public Uri Uri { get; }

    /// <summary>The repository URL as the parsed URI prints it (ends with '/').</summary>
    public string Url { get; }

    /// <summary>Where the signing key comes from: an http(s) URL fetched on the node, or a file on this machine.</summary>
    public string Key { get; }

    /// <summary>The pinned fingerprint of the key (upper-case hex), or null.</summary>
    public string? KeyFingerprint { get; }

    /// <summary>The keyring apt checks the repository's signatures against.</summary>
    public string KeyringPath { get; }

    /// <summary>The sources file PiCluster owns.</summary>
    public string SourcesPath { get; }

    /// <summary>Whether <see cref="Key"/> is a URL the node downloads.</summary>
    public bool KeyIsUrl => PackageSource.IsUrl(Key);

    /// <summary>The sources entry: a flat repository ("/" suite), as pkgs.k8s.io is laid out.</summary>
    public string SourcesLine => $"deb [signed-by={KeyringPath}] {Url} /";

    /// <summary>The sources file's whole content.</summary>
    public string SourcesFile => $"# {Name} packages. Managed by PiCluster.\n{SourcesLine}\n";

    /// <summary>Whether an existing sources file already has exactly this entry and no other (comments aside).</summary>
    public bool SourcesMatch(string? current)
    {
        if (current is null) return false;
        var entries = 0;
        foreach (var raw in current.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("#", StringComparison.Ordinal)) continue;
            if (!string.Equals(Normalize(line), Normalize(SourcesLine), StringComparison.Ordinal)) return false;
            entries++;
        }
        return entries == 1;
    }

    private static string Normalize(string line) => string.Join(" ", line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries));
}
