namespace PiCluster.Steps.Runtime;

/// <summary>The runtime a node has after the step: what kubeadm's nodeRegistration.criSocket must name.</summary>
public sealed class ContainerRuntimeResult
{
    /// <summary>Creates the result.</summary>
    public ContainerRuntimeResult(ContainerRuntime runtime, string criSocket)
    {
        Runtime = runtime;
        CriSocket = criSocket;
    }

    /// <summary>The runtime.</summary>
    public ContainerRuntime Runtime { get; }

    /// <summary>The CRI endpoint, e.g. unix:///run/containerd/containerd.sock.</summary>
    public string CriSocket { get; }

    /// <inheritdoc />
    public override string ToString() => CriSocket;
}
