using System;
using System.Collections.Generic;
using System.IO;

namespace PiCluster.Clusters;

/// <summary>A cluster file, loaded and validated. Field names mirror the YAML keys (camelCase there).</summary>
public sealed class ClusterDefinition
{
    /// <summary>The file the definition was loaded from, or null when built in memory.</summary>
    public string? SourcePath { get; set; }

    /// <summary>The cluster's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The cluster's name: what PowerShell shows for a node's Cluster.</summary>
    public override string ToString() => Name;

    /// <summary>Kubernetes version, subnets and package source.</summary>
    public KubernetesSettings Kubernetes { get; set; } = new();

    /// <summary>The pod network (CNI) plugin.</summary>
    public NetworkSettings Network { get; set; } = new();

    /// <summary>The container runtime.</summary>
    public RuntimeSettings Runtime { get; set; } = new();

    /// <summary>SSH defaults for every node.</summary>
    public SshSettings Ssh { get; set; } = new();

    /// <summary>Optional static LAN addressing; null when the file has no <c>lan</c> section.</summary>
    public LanSettings? Lan { get; set; }

    /// <summary>The nodes, in file order.</summary>
    public List<NodeDefinition> Nodes { get; set; } = new();

    /// <summary>The parsed <c>kubernetes.version</c>.</summary>
    /// <exception cref="FormatException">The version is malformed (a loaded file never has that).</exception>
    public KubernetesVersion GetKubernetesVersion() => KubernetesVersion.Parse(Kubernetes.Version);

    /// <summary>The apt repository URL, ending in '/': <c>kubernetes.packageRepository</c>, or pkgs.k8s.io's channel for the version's minor.</summary>
    public string GetPackageRepository()
    {
        var repository = Kubernetes.PackageRepository;
        if (string.IsNullOrEmpty(repository))
            return $"https://pkgs.k8s.io/core:/stable:/{GetKubernetesVersion().Channel}/deb/";
        return repository.EndsWith("/", StringComparison.Ordinal) ? repository : repository + "/";
    }

    /// <summary>The repository's signing key: <c>kubernetes.repositoryKey</c> (a URL, or a path resolved like <see cref="ResolvePath"/>), or the repository's Release.key.</summary>
    public string GetRepositoryKey() => string.IsNullOrEmpty(Kubernetes.RepositoryKey)
        ? GetPackageRepository() + "Release.key"
        : ResolvePath(Kubernetes.RepositoryKey);

    /// <summary>
    /// A path or URL from the file as a usable location: URLs unchanged, a leading ~ expanded to the home folder,
    /// and relative paths resolved against the cluster file's folder (unchanged when there is no <see cref="SourcePath"/>).
    /// </summary>
    public string ResolvePath(string pathOrUrl)
    {
        if (pathOrUrl.Length == 0 || pathOrUrl.Contains("://"))
            return pathOrUrl;
        if (pathOrUrl == "~" || pathOrUrl.StartsWith("~/", StringComparison.Ordinal) || pathOrUrl.StartsWith("~\\", StringComparison.Ordinal))
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), pathOrUrl.Substring(Math.Min(2, pathOrUrl.Length)));
        if (Path.IsPathRooted(pathOrUrl) || SourcePath is null)
            return pathOrUrl;
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SourcePath) ?? "", pathOrUrl));
    }
}

/// <summary>The <c>kubernetes</c> section.</summary>
public sealed class KubernetesSettings
{
    /// <summary>A minor channel ("1.34") or a full patch version ("1.34.2").</summary>
    public string Version { get; set; } = "1.34";

    /// <summary>Pod network CIDR; must suit the CNI.</summary>
    public string PodSubnet { get; set; } = "10.244.0.0/16";

    /// <summary>Service CIDR.</summary>
    public string ServiceSubnet { get; set; } = "10.96.0.0/12";

    /// <summary>host:port or VIP of the API server; required with more than one control plane.</summary>
    public string ControlPlaneEndpoint { get; set; } = "";

    /// <summary>Extra names and addresses for the API server's certificate (beyond the LAN address, hostname and endpoint).</summary>
    public List<string> CertSans { get; set; } = new();

    /// <summary>Registry for the control-plane images (a mirror, e.g. registry.lan:5000/k8s); empty means kubeadm's registry.k8s.io.</summary>
    public string ImageRepository { get; set; } = "";

    /// <summary>Apt repository URL; empty means https://pkgs.k8s.io/core:/stable:/v&lt;minor&gt;/deb/.</summary>
    public string PackageRepository { get; set; } = "";

    /// <summary>Path or URL of the repository's signing key; empty means the repository's Release.key.</summary>
    public string RepositoryKey { get; set; } = "";

    /// <summary>The fingerprint the signing key must have (40 hex digits); required when the key comes over plain http.</summary>
    public string RepositoryKeyFingerprint { get; set; } = "";
}

/// <summary>The <c>network</c> section.</summary>
public sealed class NetworkSettings
{
    /// <summary>flannel, calico or canal.</summary>
    public string Plugin { get; set; } = "flannel";

    /// <summary>Path or URL of the CNI manifest; empty means the plugin's release manifest.</summary>
    public string Manifest { get; set; } = "";

    /// <summary>Expected SHA-256 of the manifest (64 hex digits); empty means the hash PiCluster records for the release manifest.</summary>
    public string ManifestSha256 { get; set; } = "";
}

/// <summary>The <c>runtime</c> section.</summary>
public sealed class RuntimeSettings
{
    /// <summary>containerd or cri-o.</summary>
    public string Name { get; set; } = "containerd";
}

/// <summary>SSH settings: cluster-wide defaults, or a node's overrides (null = inherit).</summary>
public sealed class SshSettings
{
    /// <summary>Login user.</summary>
    public string? User { get; set; }

    /// <summary>SSH port.</summary>
    public int? Port { get; set; }

    /// <summary>Private key file; ~ is expanded.</summary>
    public string? IdentityFile { get; set; }

    /// <summary>An ssh_config file to use instead of the user's default.</summary>
    public string? ConfigFile { get; set; }

    /// <summary>The SSH transport: openssh or sshnet; null leaves it to -SshTransport and the platform.</summary>
    public string? Transport { get; set; }
}

/// <summary>The <c>lan</c> section: static addressing applied by Set-PiNetwork.</summary>
public sealed class LanSettings
{
    /// <summary>The LAN interface, e.g. eth0 or wlan0.</summary>
    public string Interface { get; set; } = "eth0";

    /// <summary>Prefix length of the LAN.</summary>
    public int PrefixLength { get; set; } = 24;

    /// <summary>Default gateway; empty for none.</summary>
    public string Gateway { get; set; } = "";

    /// <summary>DNS servers.</summary>
    public List<string> Dns { get; set; } = new();
}

/// <summary>One entry of <c>nodes</c>.</summary>
public sealed class NodeDefinition
{
    /// <summary>Hostname to give the node; must be a valid hostname.</summary>
    public string Name { get; set; } = "";

    /// <summary>Where SSH reaches the node (IP or DNS name).</summary>
    public string Address { get; set; } = "";

    /// <summary>Static LAN address; defaults to <see cref="Address"/>.</summary>
    public string? LanAddress { get; set; }

    /// <summary>control-plane or worker.</summary>
    public string Role { get; set; } = "worker";

    /// <summary>Per-node SSH overrides.</summary>
    public SshSettings Ssh { get; set; } = new();

    /// <summary>Line of the node's entry in the file (1-based), for error messages; 0 when unknown.</summary>
    public int Line { get; set; }

    /// <summary>Column of the node's entry in the file (1-based); 0 when unknown.</summary>
    public int Column { get; set; }
}
