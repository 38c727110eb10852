using System;

namespace PiCluster.Steps.Kubernetes;

/// <summary>What Install-PiKubernetes was asked for; unset values come from each node's cluster file.</summary>
public sealed class KubernetesPackagesOptions
{
    /// <summary>A minor ("1.34": its newest patch) or a patch ("1.34.2"); null takes kubernetes.version.</summary>
    public string? Version { get; set; }

    /// <summary>A mirror of the Kubernetes apt repository; null takes kubernetes.packageRepository (or pkgs.k8s.io).</summary>
    public string? PackageRepository { get; set; }

    /// <summary>Path or URL of the repository's signing key; null takes kubernetes.repositoryKey (or the repository's Release.key).</summary>
    public string? RepositoryKey { get; set; }

    /// <summary>The fingerprint the signing key must have; null takes kubernetes.repositoryKeyFingerprint. Required for a key fetched over http.</summary>
    public string? RepositoryKeyFingerprint { get; set; }

    /// <summary>How long to wait for the apt/dpkg lock (unattended-upgrades at first boot) before failing.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
