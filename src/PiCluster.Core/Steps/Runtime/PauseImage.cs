using PiCluster.Clusters;

namespace PiCluster.Steps.Runtime;

/// <summary>
/// The sandbox (pause) image kubeadm expects for a Kubernetes minor (kubeadm's constants.PauseVersion). The runtime
/// must use the same one, or kubeadm's preflight warns and every pod start pulls a second pause image.
/// </summary>
public static class PauseImage
{
    /// <summary>The registry kubeadm pulls its images from.</summary>
    public const string Registry = "registry.k8s.io";

    /// <summary>The pause version for a minor: 3.9 for 1.26-1.30, 3.10 for 1.31-1.33, 3.10.1 for 1.34-1.35, 3.10.2 from 1.36.</summary>
    public static string VersionFor(KubernetesVersion version) => version.Minor switch
    {
        <= 25 => "3.8",
        <= 30 => "3.9",
        <= 33 => "3.10",
        <= 35 => "3.10.1",
        _ => "3.10.2",
    };

    /// <summary>The full image reference, e.g. registry.k8s.io/pause:3.10.1.</summary>
    public static string For(KubernetesVersion version) => $"{Registry}/pause:{VersionFor(version)}";
}
