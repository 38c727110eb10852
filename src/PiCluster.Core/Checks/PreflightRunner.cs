using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Checks;

/// <summary>
/// What Test-PiNode does: reads every node's facts (one connection, one round trip per node, in parallel), emits one
/// <see cref="CheckResult"/> per check and node, and once all facts are in, the checks that compare nodes (hostname,
/// machine-id, address). A node that cannot be read yields a <see cref="NodeFailure"/>; the others' results still come.
/// Changes nothing and takes no lock.
/// </summary>
public sealed class PreflightRunner
{
    /// <summary>Control planes need this much RAM (what kubeadm's preflight demands).</summary>
    public const long ControlPlaneMinimumMiB = 1700;

    /// <summary>Below this much free space on / the node fails (images and packages need room).</summary>
    public const long DiskErrorMiB = 2048;

    /// <summary>Below this much free space on / the node gets a warning.</summary>
    public const long DiskWarningMiB = 4096;

    private readonly INodeConnector _connector;
    private readonly RunOptions _options;

    /// <summary>Creates a runner that connects through <paramref name="connector"/>.</summary>
    public PreflightRunner(INodeConnector connector, RunOptions options)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>Checks <paramref name="nodes"/>, calling <paramref name="host"/> only on this thread.</summary>
    public void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation)
    {
        if (nodes is null) throw new ArgumentNullException(nameof(nodes));
        if (host is null) throw new ArgumentNullException(nameof(host));
        var pump = new HostPump();
        var scope = new RunScope(_connector, _options, pump);
        pump.Run(host, token => RunAsync(scope, nodes, token), cancellation);
    }

    private async Task RunAsync(RunScope scope, IReadOnlyList<PiNode> nodes, CancellationToken cancellation)
    {
        var password = _options.Connect.SudoPassword is null ? null : new NetworkCredential("", _options.Connect.SudoPassword).Password;
        var facts = new ConcurrentDictionary<PiNode, PreflightFacts>();
        await Throttled.ForEachAsync(nodes, _options.ThrottleLimit, async node =>
        {
            scope.Pump.Post(h => h.WriteProgress(node, "Preflight", "connecting", 0));
            var session = await scope.OpenAsync(node, CheckNames.Facts, cancellation).ConfigureAwait(false);
            if (session is null) return;
            try
            {
                scope.Pump.Post(h => h.WriteProgress(node, "Preflight", "reading facts", 50));
                var result = await session.RunAsync(PreflightFacts.Command(password), cancellation).ConfigureAwait(false);
                if (!result.Succeeded)
                    throw new NodeException(NodeErrorKind.StepFailed, $"{node.Name}: the preflight script failed (exit code {result.ExitCode}): {result.Stderr.Trim()}");
                var nodeFacts = PreflightFacts.Parse(result.Stdout);
                facts[node] = nodeFacts;
                var results = Evaluate(node, nodeFacts);
                scope.Pump.Post(h =>
                {
                    foreach (var r in results) h.WriteObject(scope.Redacted(r));
                    h.WriteProgress(node, "Preflight", "done", 100);
                });
            }
            catch (Exception e) { scope.Fail(node, CheckNames.Facts, e, cancellation); }
            finally { await scope.CloseAllAsync(new[] { session }).ConfigureAwait(false); }
        }, cancellation).ConfigureAwait(false);

        var across = EvaluateAcrossNodes(nodes.Where(facts.ContainsKey).Select(n => new KeyValuePair<PiNode, PreflightFacts>(n, facts[n])).ToList());
        scope.Pump.Post(h => { foreach (var r in across) h.WriteObject(scope.Redacted(r)); });
    }

    /// <summary>The checks that need only this node's facts.</summary>
    public static IReadOnlyList<CheckResult> Evaluate(PiNode node, PreflightFacts f)
    {
        var results = new List<CheckResult>();
        void Add(string check, bool passed, CheckSeverity severity, string detail, string remedy = "") =>
            results.Add(new CheckResult(node, check, passed, severity, detail, passed && severity == CheckSeverity.Info ? "" : remedy));

        // Architecture: report what it is; never assume a board.
        var arch = f.Architecture.Length > 0 ? f.Architecture : "unknown";
        var board = f.Model.Length > 0 ? $" on {f.Model}" : "";
        if (arch == "arm64") Add(CheckNames.Architecture, true, CheckSeverity.Info, $"arm64 userland{board}, kernel {f.KernelArchitecture}");
        else if (arch is "amd64")
            Add(CheckNames.Architecture, true, CheckSeverity.Warning, $"amd64 userland{board} (not a Raspberry Pi board; fine for a lab or a PC node)",
                "Nothing to do for a lab or PC node. On a Raspberry Pi, install the 64-bit Raspberry Pi OS.");
        else
            Add(CheckNames.Architecture, false, CheckSeverity.Error, $"{arch} userland{board}, kernel {f.KernelArchitecture}: Kubernetes needs a 64-bit userland",
                "Install the 64-bit (arm64) Raspberry Pi OS: a 32-bit (armhf) userland cannot run current Kubernetes packages.");

        // Memory: kubeadm refuses control planes below about 1700 MiB.
        var ram = $"{f.MemoryMiB} MiB RAM";
        if (node.Role == NodeRole.ControlPlane)
        {
            if (f.MemoryMiB >= ControlPlaneMinimumMiB) Add(CheckNames.Memory, true, CheckSeverity.Info, $"{ram} (a control plane needs {ControlPlaneMinimumMiB} MiB)");
            else Add(CheckNames.Memory, false, CheckSeverity.Error, $"{ram}; a control plane needs at least {ControlPlaneMinimumMiB} MiB (kubeadm's minimum)",
                "Use a board with 2 GiB or more as control plane, or make this node a worker.");
        }
        else Add(CheckNames.Memory, true, CheckSeverity.Info, $"{ram} (enough for a worker)");

        var cgroup = f.CgroupVersion == 2 ? "cgroup v2" : "cgroup v1";
        if (f.MemoryController) Add(CheckNames.MemoryCgroup, true, CheckSeverity.Info, $"memory controller enabled ({cgroup})");
        else
        {
            var disabled = f.KernelCommandLine.Split(' ').Contains("cgroup_disable=memory") ? "; the kernel command line has cgroup_disable=memory" : "";
            Add(CheckNames.MemoryCgroup, false, CheckSeverity.Error, $"the memory cgroup controller is not enabled ({cgroup}{disabled}); the kubelet will not start",
                "Add cgroup_enable=memory cgroup_memory=1 to the kernel command line and reboot (Enable-PiCgroup does this).");
        }

        var loopback = f.Nameservers.Where(IsLoopback).ToList();
        if (f.Nameservers.Count == 0)
            Add(CheckNames.Resolver, false, CheckSeverity.Warning, "/etc/resolv.conf names no nameserver", "Configure DNS for the node (Set-PiNetwork with dns servers).");
        else if (loopback.Count > 0 && f.ResolvedUpstreamFile)
            // kubeadm (init and join) points the kubelet at systemd-resolved's upstream file when resolved is active,
            // so the node can join; what else hands /etc/resolv.conf to pods would still loop, hence a warning.
            Add(CheckNames.Resolver, false, CheckSeverity.Warning,
                $"/etc/resolv.conf names systemd-resolved's stub {string.Join(", ", loopback)}: CoreDNS would forward to itself and loop if the kubelet used this file",
                "Nothing for the kubelet: kubeadm sets its resolvConf to /run/systemd/resolve/resolv.conf (the real upstream servers of systemd-resolved) while systemd-resolved runs. Anything else that gives pods /etc/resolv.conf must use that file too.");
        else if (loopback.Count > 0)
            Add(CheckNames.Resolver, false, CheckSeverity.Error,
                $"/etc/resolv.conf names the loopback nameserver {string.Join(", ", loopback)}: CoreDNS would forward to itself and loop",
                "Point /etc/resolv.conf at a real DNS server, or give the kubelet a resolvConf file that does (resolvConf in its configuration).");
        else Add(CheckNames.Resolver, true, CheckSeverity.Info, $"nameservers {string.Join(", ", f.Nameservers)}");

        if (f.Swaps.Count == 0) Add(CheckNames.Swap, true, CheckSeverity.Info, "no swap active");
        else
            Add(CheckNames.Swap, false, CheckSeverity.Error,
                $"swap is active: {string.Join("; ", f.Swaps.Select(s => s.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()))}; the kubelet refuses to run with swap by default",
                "Turn swap off for good (Set-PiSwap; on Raspberry Pi OS this disables dphys-swapfile).");

        if (f.ClockSynchronised == true)
            Add(CheckNames.ClockSynchronised, true, CheckSeverity.Info, $"synchronised{Services(f)}");
        else
            Add(CheckNames.ClockSynchronised, false, CheckSeverity.Warning,
                f.ClockSynchronised is null ? "cannot tell whether the clock is synchronised (no timedatectl)" : $"the clock is not synchronised{Services(f)}; certificates may be rejected",
                "Enable NTP (Set-PiTimeSync) and make sure the NTP servers are reachable; boards without a real-time clock start with a wrong time.");

        if (f.AptLockHolders.Count == 0) Add(CheckNames.AptLock, true, CheckSeverity.Info, "dpkg and apt locks are free");
        else
            Add(CheckNames.AptLock, false, CheckSeverity.Warning, $"held: {string.Join("; ", f.AptLockHolders)}",
                "Wait for the package run to finish (often unattended-upgrades after boot); PiCluster waits for the lock before installing.");

        var free = f.RootFreeMiB >= 10240 ? $"{f.RootFreeMiB / 1024} GiB free on /" : $"{f.RootFreeMiB} MiB free on /";
        if (f.RootFreeMiB < DiskErrorMiB)
            Add(CheckNames.DiskSpace, false, CheckSeverity.Error, $"{free}; at least {DiskErrorMiB / 1024} GiB is needed", "Free space or use a larger SD card/disk.");
        else if (f.RootFreeMiB < DiskWarningMiB)
            Add(CheckNames.DiskSpace, false, CheckSeverity.Warning, $"{free}; container images will fill it quickly", "Free space or use a larger SD card/disk.");
        else Add(CheckNames.DiskSpace, true, CheckSeverity.Info, free);

        if (f.BootFiles.Count > 0) Add(CheckNames.BootCommandLine, true, CheckSeverity.Info, $"kernel command line in {f.BootFiles[0]}");
        else
            Add(CheckNames.BootCommandLine, false, CheckSeverity.Error,
                "none of /boot/firmware/cmdline.txt, /boot/cmdline.txt or /etc/default/grub exists: PiCluster cannot set kernel parameters",
                "Use Raspberry Pi OS (cmdline.txt) or a GRUB-booted system, or set the cgroup parameters by hand.");

        var modules = new[] { "overlay", "br_netfilter" }.Select(m => (Name: m, State: f.Modules.TryGetValue(m, out var s) ? s : "missing")).ToList();
        var missingModules = modules.Where(m => m.State == "missing").Select(m => m.Name).ToList();
        var moduleText = string.Join(", ", modules.Select(m => $"{m.Name} {m.State}"));
        if (missingModules.Count == 0) Add(CheckNames.KernelModules, true, CheckSeverity.Info, moduleText);
        else
            Add(CheckNames.KernelModules, false, CheckSeverity.Error, $"{moduleText}: containerd and pod networking need both",
                $"Install the kernel modules package for kernel {f.Kernel} (e.g. linux-modules or the board's kernel package).");

        switch (f.Sudo)
        {
            case "nopasswd": Add(CheckNames.Sudo, true, CheckSeverity.Info, "sudo works without a password"); break;
            case "password": Add(CheckNames.Sudo, true, CheckSeverity.Info, "sudo works with the given credential"); break;
            case "wrong-password":
                Add(CheckNames.Sudo, false, CheckSeverity.Error, "sudo refused the given password (or the user may not use sudo)", "Check the password given with -Credential and that the user is in the sudo group."); break;
            case "missing":
                Add(CheckNames.Sudo, false, CheckSeverity.Error, "sudo is not installed", "Install sudo and add the user to the sudo group."); break;
            default:
                Add(CheckNames.Sudo, false, CheckSeverity.Error, "sudo needs a password and none was given", "Pass the password with -Credential (it reaches sudo on stdin only), or allow the user passwordless sudo."); break;
        }
        return results;
    }

    /// <summary>The checks that compare nodes: hostname, machine-id and LAN address must each belong to one node.</summary>
    public static IReadOnlyList<CheckResult> EvaluateAcrossNodes(IReadOnlyList<KeyValuePair<PiNode, PreflightFacts>> nodes)
    {
        var results = new List<CheckResult>();
        foreach (var pair in nodes)
        {
            var (node, f) = (pair.Key, pair.Value);
            var others = nodes.Where(o => !ReferenceEquals(o.Key, node)).ToList();

            var sameName = others.Where(o => string.Equals(o.Value.Hostname, f.Hostname, StringComparison.OrdinalIgnoreCase)).Select(o => o.Key.Name).ToList();
            results.Add(sameName.Count == 0
                ? new CheckResult(node, CheckNames.HostnameUnique, true, CheckSeverity.Info, $"hostname {f.Hostname}")
                : new CheckResult(node, CheckNames.HostnameUnique, false, CheckSeverity.Error,
                    $"hostname {f.Hostname} is also the hostname of {string.Join(", ", sameName)}; Kubernetes names nodes by hostname",
                    $"Give each node its own hostname (Set-PiHostname sets it to the node's name, here {node.Name})."));

            if (f.MachineId.Length == 0)
                results.Add(new CheckResult(node, CheckNames.MachineIdUnique, false, CheckSeverity.Error, "/etc/machine-id is missing or empty",
                    "Create one: sudo systemd-machine-id-setup, then reboot."));
            else
            {
                var sameId = others.Where(o => o.Value.MachineId == f.MachineId).Select(o => o.Key.Name).ToList();
                results.Add(sameId.Count == 0
                    ? new CheckResult(node, CheckNames.MachineIdUnique, true, CheckSeverity.Info, "machine-id is unique")
                    : new CheckResult(node, CheckNames.MachineIdUnique, false, CheckSeverity.Error,
                        $"machine-id is the same as on {string.Join(", ", sameId)} (a cloned image); Kubernetes and DHCP tell nodes apart by it",
                        "Regenerate it: sudo rm /etc/machine-id && sudo systemd-machine-id-setup, then reboot."));
            }

            // The LAN address this node is to have: no other node may be meant to have it, nor hold it now.
            var planned = others.Where(o => o.Key.LanAddress == node.LanAddress).Select(o => o.Key.Name).ToList();
            var holders = others.Where(o => o.Value.IpAddresses.Contains(node.LanAddress)).Select(o => o.Key.Name).ToList();
            var addresses = f.Addresses.Count == 0 ? "no global address" : string.Join(", ", f.Addresses);
            if (planned.Count > 0)
                results.Add(new CheckResult(node, CheckNames.AddressUnique, false, CheckSeverity.Error,
                    $"LAN address {node.LanAddress} is also given to {string.Join(", ", planned)}", "Give each node its own lanAddress in the cluster file."));
            else if (holders.Count > 0)
                results.Add(new CheckResult(node, CheckNames.AddressUnique, false, CheckSeverity.Error,
                    $"LAN address {node.LanAddress} is in use by {string.Join(", ", holders)}", "Change the other node's address (a cloned static configuration?) or this node's lanAddress."));
            else results.Add(new CheckResult(node, CheckNames.AddressUnique, true, CheckSeverity.Info, $"LAN address {node.LanAddress}; has {addresses}"));
        }
        return results;
    }

    private static string Services(PreflightFacts f) => f.TimeServices.Count == 0 ? "" : $" ({string.Join(", ", f.TimeServices)})";

    private static bool IsLoopback(string address) =>
        IPAddress.TryParse(address.Split('%')[0], out var ip) && IPAddress.IsLoopback(ip);
}
