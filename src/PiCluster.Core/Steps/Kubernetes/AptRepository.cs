using System;
using PiCluster.Clusters;

namespace PiCluster.Steps.Kubernetes;

/// <summary>
/// An apt repository laid out as pkgs.k8s.io documents it: one sources entry that names its keyring with
/// <c>signed-by</c>, the key dearmored into /etc/apt/keyrings. Never apt-key, never trusted=yes.
/// A mirror replaces both URL and key.
/// </summary>
public sealed class AptRepository
{
    /// <summary>Creates repository settings.</summary>
    public AptRepository(string name, string url, string? key, string keyringPath, string sourcesPath)
    {
        Name = name;
        Url = url.Trim().EndsWith("/", StringComparison.Ordinal) ? url.Trim() : url.Trim() + "/";
        Key = string.IsNullOrWhiteSpace(key) ? Url + "Release.key" : key!.Trim();
        KeyringPath = keyringPath;
        SourcesPath = sourcesPath;
    }

    /// <summary>The Kubernetes packages' repository for a version; <paramref name="packageRepository"/> and
    /// <paramref name="repositoryKey"/> (empty = pkgs.k8s.io and its Release.key) come from the cluster file or parameters.</summary>
    public static AptRepository Kubernetes(KubernetesVersion version, string? packageRepository = null, string? repositoryKey = null) => new(
        "Kubernetes " + version.Channel,
        string.IsNullOrWhiteSpace(packageRepository) ? $"https://pkgs.k8s.io/core:/stable:/{version.Channel}/deb/" : packageRepository!,
        repositoryKey, "/etc/apt/keyrings/kubernetes-apt-keyring.gpg", "/etc/apt/sources.list.d/kubernetes.list");

    /// <summary>CRI-O's repository on pkgs.k8s.io for the Kubernetes minor (CRI-O minors follow Kubernetes').</summary>
    public static AptRepository CriO(KubernetesVersion version, string? url = null, string? key = null) => new(
        "CRI-O " + version.Channel,
        string.IsNullOrWhiteSpace(url) ? $"https://pkgs.k8s.io/addons:/cri-o:/stable:/{version.Channel}/deb/" : url!,
        key, "/etc/apt/keyrings/cri-o-apt-keyring.gpg", "/etc/apt/sources.list.d/cri-o.list");

    /// <summary>What the repository holds, for messages ("Kubernetes v1.34").</summary>
    public string Name { get; }

    /// <summary>The repository URL (ends with '/').</summary>
    public string Url { get; }

    /// <summary>Where the signing key comes from: an http(s) URL fetched on the node, or a file on this machine.</summary>
    public string Key { get; }

    /// <summary>The keyring apt checks the repository's signatures against.</summary>
    public string KeyringPath { get; }

    /// <summary>The sources file PiCluster owns.</summary>
    public string SourcesPath { get; }

    /// <summary>Whether <see cref="Key"/> is a URL the node downloads.</summary>
    public bool KeyIsUrl => Key.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || Key.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

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
