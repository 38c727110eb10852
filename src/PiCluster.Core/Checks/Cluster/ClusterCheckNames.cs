namespace PiCluster.Checks.Cluster;

/// <summary>The names of Test-PiCluster's checks, as they appear in <see cref="ClusterCheckResult.Check"/>.</summary>
public static class ClusterCheckNames
{
    /// <summary>The node is registered in the cluster with the role the file gives it.</summary>
    public const string NodeRegistered = "NodeRegistered";

    /// <summary>The node's Ready condition is True.</summary>
    public const string NodeReady = "NodeReady";

    /// <summary>The pods that belong on the node run there: control-plane static pods, kube-proxy, the CNI plugin.</summary>
    public const string SystemPods = "SystemPods";

    /// <summary>The node's kubelet is within the supported skew of the API server (same minor, or up to 3 older).</summary>
    public const string KubeletVersion = "KubeletVersion";

    /// <summary>The node's kubeadm is the API server's minor or one newer.</summary>
    public const string KubeadmVersion = "KubeadmVersion";

    /// <summary>No swap is active (drift since preparation).</summary>
    public const string Swap = "Swap";

    /// <summary>The cgroup flags are on the running kernel's command line and the memory controller is enabled.</summary>
    public const string CgroupFlags = "CgroupFlags";

    /// <summary>A control plane's kubeadm certificates do not expire within 30 days.</summary>
    public const string Certificates = "Certificates";

    /// <summary>No node is registered that the cluster file lacks (reported on the leader).</summary>
    public const string UnknownNodes = "UnknownNodes";

    /// <summary>CoreDNS's pods run (reported on the leader).</summary>
    public const string CoreDns = "CoreDns";

    /// <summary>The API answers /readyz from this machine with the merged kubeconfig (reported on the leader).</summary>
    public const string ApiReachable = "ApiReachable";
}
