namespace PiCluster.Steps.Kubernetes;

/// <summary>What the Kubernetes packages step left on a node (the data later steps read).</summary>
public sealed class KubernetesPackagesResult
{
    /// <summary>Creates the result.</summary>
    public KubernetesPackagesResult(string packageVersion, string repository)
    {
        PackageVersion = packageVersion;
        Repository = repository;
    }

    /// <summary>The installed apt version of kubeadm, e.g. 1.34.2-1.1.</summary>
    public string PackageVersion { get; }

    /// <summary>The repository the packages came from.</summary>
    public string Repository { get; }

    /// <inheritdoc />
    public override string ToString() => PackageVersion;
}
