namespace PiCluster.Steps.NodePrep;

/// <summary>The files that make kernel modules and sysctls for Kubernetes networking persistent.</summary>
public static class KernelNetworkingFiles
{
    /// <summary>Where the modules are listed for systemd-modules-load.</summary>
    public const string ModulesPath = "/etc/modules-load.d/k8s.conf";

    /// <summary>Where the sysctls are set for systemd-sysctl.</summary>
    public const string SysctlPath = "/etc/sysctl.d/k8s.conf";

    /// <summary>Modules kubeadm and the CNI need: overlay (container layers) and br_netfilter (bridged traffic through iptables).</summary>
    public static readonly string[] Modules = { "overlay", "br_netfilter" };

    /// <summary>Sysctls kubeadm's preflight checks; each must be 1.</summary>
    public static readonly string[] Sysctls = { "net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables", "net.ipv4.ip_forward" };

    /// <summary>Content of <see cref="ModulesPath"/>.</summary>
    public static string ModulesFile => "# Written by PiCluster (Set-PiKernelNetworking).\n" + string.Join("\n", Modules) + "\n";

    /// <summary>Content of <see cref="SysctlPath"/>.</summary>
    public static string SysctlFile
    {
        get
        {
            var text = "# Written by PiCluster (Set-PiKernelNetworking).\n";
            foreach (var key in Sysctls) text += key + " = 1\n";
            return text;
        }
    }
}
