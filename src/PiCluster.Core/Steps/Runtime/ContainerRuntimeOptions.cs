using System;

namespace PiCluster.Steps.Runtime;

/// <summary>What Install-PiContainerRuntime was asked for; unset values come from each node's cluster file.</summary>
public sealed class ContainerRuntimeOptions
{
    /// <summary>The runtime; null takes runtime.name from the cluster file (containerd when there is none).</summary>
    public ContainerRuntime? Runtime { get; set; }

    /// <summary>The Kubernetes version the runtime serves (picks the pause image and CRI-O's minor); null takes kubernetes.version.</summary>
    public string? KubernetesVersion { get; set; }

    /// <summary>How long to wait for the apt/dpkg lock before failing.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
