using System;

namespace PiCluster.ControlPlane;

/// <summary>What the control-plane node reported, which the kubeadm configuration needs and the cluster file does not hold.</summary>
/// <param name="KubeadmVersion">The installed kubeadm's exact version, "1.34.2" or as <c>kubeadm version -o short</c> prints it, "v1.34.2".</param>
/// <param name="LanAddress">The node's static LAN address: the API server advertises it and kubelet registers it as its node IP.</param>
/// <param name="Hostname">The node's hostname (after Set-PiHostname, its cluster-file name).</param>
/// <param name="CriSocket">The container runtime's CRI endpoint, <see cref="CriSockets.Containerd"/> or <see cref="CriSockets.CriO"/>.</param>
public sealed record ControlPlaneFacts(string KubeadmVersion, string LanAddress, string Hostname, string CriSocket);

/// <summary>The CRI endpoints of the runtimes PiCluster installs, as kubeadm's <c>criSocket</c> wants them (with the scheme).</summary>
public static class CriSockets
{
    /// <summary>containerd's socket.</summary>
    public const string Containerd = "unix:///run/containerd/containerd.sock";

    /// <summary>CRI-O's socket.</summary>
    public const string CriO = "unix:///var/run/crio/crio.sock";

    /// <summary>The socket of a cluster file's <c>runtime.name</c> (containerd or cri-o).</summary>
    /// <exception cref="ArgumentException">An unknown runtime (a loaded file never has one).</exception>
    public static string ForRuntime(string runtimeName) => runtimeName switch
    {
        "containerd" => Containerd,
        "cri-o" => CriO,
        _ => throw new ArgumentException($"Unknown container runtime '{runtimeName}': choose containerd or cri-o.", nameof(runtimeName)),
    };
}

/// <summary>
/// kubeadm v1beta4 <c>timeouts</c> for boards that boot from SD cards: pulling and starting the control-plane images on
/// a Pi takes minutes, and kubeadm's defaults (4m for the health checks, 1m per API call) fail a healthy but slow init.
/// Values are Go durations, as kubeadm writes them.
/// </summary>
/// <param name="ControlPlaneComponentHealthCheck">Wait for the API server and the other static pods (kubeadm's default 4m0s).</param>
/// <param name="KubeletHealthCheck">Wait for kubelet's healthz (default 4m0s).</param>
/// <param name="KubernetesApiCall">One request to the API server (default 1m0s).</param>
/// <param name="EtcdApiCall">One request to etcd (default 2m0s).</param>
public sealed record KubeadmTimeouts(
    string ControlPlaneComponentHealthCheck = "10m0s",
    string KubeletHealthCheck = "10m0s",
    string KubernetesApiCall = "3m0s",
    string EtcdApiCall = "4m0s")
{
    /// <summary>The timeouts PiCluster uses for Raspberry Pi and similar boards.</summary>
    public static KubeadmTimeouts SdCardBoards { get; } = new();
}
