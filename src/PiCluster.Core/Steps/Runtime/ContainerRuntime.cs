namespace PiCluster.Steps.Runtime;

/// <summary>The CRI runtimes PiCluster installs.</summary>
public enum ContainerRuntime
{
    /// <summary>containerd from the distribution's package (cluster file: <c>containerd</c>).</summary>
    Containerd,

    /// <summary>CRI-O from its pkgs.k8s.io repository (cluster file: <c>cri-o</c>).</summary>
    CriO,
}
