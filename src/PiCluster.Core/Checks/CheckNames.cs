namespace PiCluster.Checks;

/// <summary>The names of the preflight checks, as they appear in <see cref="CheckResult.Check"/>.</summary>
public static class CheckNames
{
    /// <summary>64-bit userland (dpkg architecture; arm64 on boards).</summary>
    public const string Architecture = "Architecture";

    /// <summary>Enough RAM for the node's role.</summary>
    public const string Memory = "Memory";

    /// <summary>The memory cgroup controller is enabled.</summary>
    public const string MemoryCgroup = "MemoryCgroup";

    /// <summary>/etc/resolv.conf names no loopback nameserver (CoreDNS would loop).</summary>
    public const string Resolver = "Resolver";

    /// <summary>No swap is active.</summary>
    public const string Swap = "Swap";

    /// <summary>No other node tested has the same hostname.</summary>
    public const string HostnameUnique = "HostnameUnique";

    /// <summary>No other node tested has the same /etc/machine-id.</summary>
    public const string MachineIdUnique = "MachineIdUnique";

    /// <summary>The node's LAN address belongs to it alone.</summary>
    public const string AddressUnique = "AddressUnique";

    /// <summary>The clock is synchronised by NTP.</summary>
    public const string ClockSynchronised = "ClockSynchronised";

    /// <summary>No process holds the dpkg/apt locks.</summary>
    public const string AptLock = "AptLock";

    /// <summary>Enough free space on /.</summary>
    public const string DiskSpace = "DiskSpace";

    /// <summary>A kernel command line file PiCluster can edit exists.</summary>
    public const string BootCommandLine = "BootCommandLine";

    /// <summary>overlay and br_netfilter are available.</summary>
    public const string KernelModules = "KernelModules";

    /// <summary>sudo works without a password or with the given one.</summary>
    public const string Sudo = "Sudo";

    /// <summary>The step name under which a node that cannot be read is reported.</summary>
    public const string Facts = "Preflight";
}
