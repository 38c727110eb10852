using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PiCluster.Transport;

namespace PiCluster.Checks;

/// <summary>What Scripts/preflight-facts.sh read on one node, in one round trip.</summary>
public sealed class PreflightFacts
{
    private PreflightFacts() { }

    /// <summary>dpkg's architecture (the userland), e.g. arm64, armhf, amd64.</summary>
    public string Architecture { get; private set; } = "";

    /// <summary>The kernel's machine (uname -m).</summary>
    public string KernelArchitecture { get; private set; } = "";

    /// <summary>The kernel release.</summary>
    public string Kernel { get; private set; } = "";

    /// <summary>PRETTY_NAME from /etc/os-release.</summary>
    public string OperatingSystem { get; private set; } = "";

    /// <summary>The board model from the device tree; empty when there is none (not a board, or a VM).</summary>
    public string Model { get; private set; } = "";

    /// <summary>MemTotal in MiB.</summary>
    public long MemoryMiB { get; private set; }

    /// <summary>2 for the unified hierarchy, 1 for the legacy one.</summary>
    public int CgroupVersion { get; private set; }

    /// <summary>The memory controller is available (v2: listed in cgroup.controllers; v1: enabled in /proc/cgroups).</summary>
    public bool MemoryController { get; private set; }

    /// <summary>The running kernel's command line.</summary>
    public string KernelCommandLine { get; private set; } = "";

    /// <summary>The nameserver lines of /etc/resolv.conf.</summary>
    public IReadOnlyList<string> Nameservers { get; private set; } = Array.Empty<string>();

    /// <summary>systemd-resolved's upstream file /run/systemd/resolve/resolv.conf exists.</summary>
    public bool ResolvedUpstreamFile { get; private set; }

    /// <summary>Active swap areas (lines of /proc/swaps without the header).</summary>
    public IReadOnlyList<string> Swaps { get; private set; } = Array.Empty<string>();

    /// <summary>The kernel hostname.</summary>
    public string Hostname { get; private set; } = "";

    /// <summary>/etc/machine-id; empty when missing or empty.</summary>
    public string MachineId { get; private set; } = "";

    /// <summary>Global addresses as "interface address".</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = Array.Empty<string>();

    /// <summary>timedatectl's NTPSynchronized: true, false, or null when unknown.</summary>
    public bool? ClockSynchronised { get; private set; }

    /// <summary>Running time services (systemd-timesyncd, chrony...).</summary>
    public IReadOnlyList<string> TimeServices { get; private set; } = Array.Empty<string>();

    /// <summary>Held dpkg/apt locks as "file pid command".</summary>
    public IReadOnlyList<string> AptLockHolders { get; private set; } = Array.Empty<string>();

    /// <summary>Free space on / in MiB.</summary>
    public long RootFreeMiB { get; private set; }

    /// <summary>Kernel command line files found, in PiCluster's order of preference.</summary>
    public IReadOnlyList<string> BootFiles { get; private set; } = Array.Empty<string>();

    /// <summary>Kernel module name → loaded | builtin | available | missing.</summary>
    public IReadOnlyDictionary<string, string> Modules { get; private set; } = new Dictionary<string, string>();

    /// <summary>nopasswd | password | password-required | wrong-password | missing.</summary>
    public string Sudo { get; private set; } = "";

    /// <summary>The command that reads the facts; the sudo password, if any, goes on its stdin.</summary>
    public static RemoteCommand Command(string? sudoPassword) =>
        new(RemoteScripts.Compose("preflight-facts"), input: (sudoPassword ?? "") + "\n", timeout: TimeSpan.FromSeconds(90),
            display: "read preflight facts (one script)");

    /// <summary>
    /// The same script as root, with no password: what Deploy-PiCluster's Preflight phase reads in the run's one root fact
    /// round trip (its sudo section then says nothing: the batch itself needed sudo, and a refusal fails the node first).
    /// </summary>
    public static RemoteCommand RootCommand { get; } =
        new(RemoteScripts.Compose("preflight-facts"), asRoot: true, input: "\n", timeout: TimeSpan.FromSeconds(90), display: "read preflight facts (one script)");

    /// <summary>Parses the script's output.</summary>
    public static PreflightFacts Parse(string output)
    {
        var s = SectionedOutput.Parse(output);
        IReadOnlyList<string> Lines(string name) => (s.Get(name) ?? "").Replace("\r", "").Split('\n')
            .Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        long Long(string name) => long.TryParse(s.GetOr(name, ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

        var cgroupV2 = s.GetOr("cgroup_fs", "") == "cgroup2fs";
        var v1Memory = Lines("cgroup_v1").Select(l => l.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
            .Any(f => f.Length >= 4 && f[0] == "memory" && f[3] == "1");
        var v2Memory = (s.Get("cgroup_controllers") ?? "").Split(new[] { ' ', '\n' }, StringSplitOptions.RemoveEmptyEntries).Contains("memory");

        return new PreflightFacts
        {
            Architecture = s.GetOr("arch", ""),
            KernelArchitecture = s.GetOr("kernel_arch", ""),
            Kernel = s.GetOr("kernel", ""),
            OperatingSystem = s.GetOr("os", ""),
            Model = s.GetOr("model", ""),
            MemoryMiB = Long("memtotal_kib") / 1024,
            CgroupVersion = cgroupV2 ? 2 : 1,
            MemoryController = cgroupV2 ? v2Memory : v1Memory,
            KernelCommandLine = s.GetOr("cmdline", ""),
            Nameservers = Lines("resolv_conf").Where(l => l.StartsWith("nameserver", StringComparison.Ordinal))
                .Select(l => l.Substring("nameserver".Length).Trim()).Where(a => a.Length > 0).ToList(),
            ResolvedUpstreamFile = s.GetOr("systemd_resolv", "") == "present",
            Swaps = Lines("swaps"),
            Hostname = s.GetOr("hostname", ""),
            MachineId = s.GetOr("machine_id", ""),
            Addresses = Lines("addresses"),
            ClockSynchronised = s.GetOr("ntp_synchronized", "") switch { "yes" => true, "no" => false, _ => null },
            TimeServices = Lines("time_service"),
            AptLockHolders = Lines("apt_locks"),
            RootFreeMiB = Long("root_free_kib") / 1024,
            BootFiles = Lines("boot_files"),
            Modules = Lines("modules").Select(l => l.Split(' ')).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]),
            Sudo = s.GetOr("sudo", ""),
        };
    }

    /// <summary>The IP addresses alone, without interface names.</summary>
    public IEnumerable<string> IpAddresses => Addresses.Select(a => a.Split(' ').Last());
}
