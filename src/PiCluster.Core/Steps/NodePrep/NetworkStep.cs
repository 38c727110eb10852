using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Gives the LAN interface its static address through whatever manages it (NetworkManager, netplan, dhcpcd or
/// systemd-networkd) without stranding the node: a rollback timer is armed on the node before anything changes, the
/// change runs detached from the SSH session, the node checks that it reaches its gateway (or another node) from the
/// new address, and only when PiCluster then reaches the node again is the rollback cancelled. Wi-Fi power saving is
/// turned off on Wi-Fi interfaces.
/// </summary>
public sealed class NetworkStep : NodePrepStep
{
    private const string StateDir = "/var/lib/picluster";
    private const string ResultFile = "/run/picluster/net-result";
    private const string RollbackUnit = "picluster-net-rollback";
    private const string ApplyUnit = "picluster-net-apply";
    private const string PowerSaveUnitPath = "/etc/systemd/system/picluster-wifi-powersave.service";

    /// <summary>Creates the step.</summary>
    /// <param name="lan">Interface, prefix, gateway and DNS; null takes the node's cluster file <c>lan</c> section.</param>
    /// <param name="rollbackAfter">How long the node waits for PiCluster to confirm before it restores the old configuration.</param>
    public NetworkStep(LanSettings? lan = null, TimeSpan? rollbackAfter = null)
    {
        Lan = lan;
        RollbackAfter = rollbackAfter ?? TimeSpan.FromSeconds(90);
    }

    /// <summary>Explicit LAN settings, or null for the cluster file's.</summary>
    public LanSettings? Lan { get; }

    /// <summary>The confirmation window.</summary>
    public TimeSpan RollbackAfter { get; }

    /// <summary>How long the node checks connectivity from its new address before it gives up.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <inheritdoc />
    public override string Name => "Network";

    /// <summary>What the plan found and will do.</summary>
    public sealed record Facts(StaticAddress Wanted, string Manager, IReadOnlyList<FileEdit> Files,
        IReadOnlyList<KeyValuePair<string, string>> NmChanges, IReadOnlyDictionary<string, string> NmCurrent, string NmUuid,
        bool Activate, bool PowerSaveNow, IReadOnlyList<string> Peers);

    /// <summary>The wanted configuration for a node, or null when the node has no static LAN settings.</summary>
    public StaticAddress? WantedFor(PiNode node)
    {
        var lan = Lan ?? node.Cluster?.Lan;
        if (lan is null) return null;
        try { return new StaticAddress(lan.Interface, node.LanAddress, lan.PrefixLength, lan.Gateway, lan.Dns); }
        catch (ArgumentException e) { throw new NodeException(NodeErrorKind.InvalidNodeState, $"{node}: {e.Message}", e); }
    }

    private static RemoteCommand FactsFor(StaticAddress wanted) => FactCommand("prep-network-facts", new Dictionary<string, string>
    {
        ["IFACE"] = wanted.Interface,
        ["NETWORKD_PATH"] = NetworkConfig.NetworkdPath(wanted),
        ["NETPLAN_PATH"] = NetworkConfig.NetplanPath(wanted),
    });

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context) =>
        WantedFor(context.Node) is { } wanted ? new[] { FactsFor(wanted) } : Array.Empty<RemoteCommand>();

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var wanted = WantedFor(context.Node);
        if (wanted is null) return new StepPlan(Array.Empty<Change>(), skipReason: "no static LAN settings (the cluster file has no lan section)");
        if (!IPAddress.TryParse(wanted.Address, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork || IPAddress.IsLoopback(ip))
            return new StepPlan(Array.Empty<Change>(), skipReason: $"LAN address '{wanted.Address}' is not a usable IPv4 address (set lanAddress)");

        var facts = await GatherFactsAsync(context, FactsFor(wanted)).ConfigureAwait(false);
        if (facts.GetOr("iface", "") != "present")
            throw new NodeException(NodeErrorKind.InvalidNodeState, $"{context.Node}: there is no interface {wanted.Interface} (set lan.interface in the cluster file).");

        var current = Lines(facts, "addresses");
        var sshLocal = Lines(facts, "ssh_local");
        var cut = current.Select(c => c.Split('/')[0]).Where(a => sshLocal.Contains(a) && a != wanted.Address).ToList();
        if (cut.Count > 0)
            throw new NodeException(NodeErrorKind.InvalidNodeState,
                $"{context.Node}: PiCluster reaches this node over SSH at {cut[0]} on {wanted.Interface}, which the new address {wanted.Address} replaces, so the session could not follow. " +
                $"Give the node {wanted.Address} first (a DHCP reservation), or connect over another interface, then run Set-PiNetwork again.");

        var manager = facts.GetOr("manager", "unknown");
        var changes = new List<Change>();
        var files = new List<FileEdit>();
        IReadOnlyList<KeyValuePair<string, string>> nmChanges = Array.Empty<KeyValuePair<string, string>>();
        var nmCurrent = new Dictionary<string, string>(StringComparer.Ordinal);
        var nmUuid = "";
        switch (manager)
        {
            case "networkmanager":
                nmUuid = facts.GetOr("nm_uuid", "");
                if (nmUuid.Length == 0)
                    throw new NodeException(NodeErrorKind.InvalidNodeState, $"{context.Node}: NetworkManager has no active connection on {wanted.Interface}; connect it first.");
                foreach (var line in Lines(facts, "nm_props"))
                {
                    var eq = line.IndexOf('=');
                    if (eq > 0) nmCurrent[line.Substring(0, eq)] = line.Substring(eq + 1);
                }
                nmChanges = NetworkConfig.NetworkManagerDifferences(wanted, nmCurrent);
                if (nmChanges.Count > 0)
                {
                    var diff = new StringBuilder($"--- NetworkManager connection '{facts.GetOr("nm_name", nmUuid)}'\n+++ NetworkManager connection '{facts.GetOr("nm_name", nmUuid)}'\n");
                    foreach (var change in nmChanges)
                        diff.Append('-').Append(change.Key).Append(": ").Append(nmCurrent.TryGetValue(change.Key, out var old) ? old : "").Append('\n')
                            .Append('+').Append(change.Key).Append(": ").Append(change.Value).Append('\n');
                    changes.Add(new Change($"set {wanted.Cidr} on {wanted.Interface} (nmcli connection modify '{facts.GetOr("nm_name", nmUuid)}' {string.Join(" ", nmChanges.Select(c => c.Key))})", diff.ToString()));
                }
                break;
            case "dhcpcd":
                var dhcpcd = FileFact(facts, "dhcpcd_conf") ?? Array.Empty<byte>();
                files.Add(new FileEdit("/etc/dhcpcd.conf", FileFact(facts, "dhcpcd_conf"), NetworkConfig.DhcpcdConf(dhcpcd, wanted)));
                break;
            case "networkd":
                files.Add(FileEdit.ToText(NetworkConfig.NetworkdPath(wanted), FileFact(facts, "networkd_file"), NetworkConfig.NetworkdFile(wanted)));
                break;
            case "netplan":
                files.Add(FileEdit.ToText(NetworkConfig.NetplanPath(wanted), FileFact(facts, "netplan_file"), NetworkConfig.NetplanFile(wanted), "0600"));
                break;
            default:
                throw new NodeException(NodeErrorKind.InvalidNodeState,
                    $"{context.Node}: no known network manager is running (looked for NetworkManager, netplan, dhcpcd, systemd-networkd); configure {wanted.Interface} by hand.");
        }

        var powerSaveNow = false;
        if (wanted.IsWifi && manager != "networkmanager")
        {
            files.Add(FileEdit.ToText(PowerSaveUnitPath, FileFact(facts, "powersave_unit"), PowerSaveUnit(wanted.Interface)));
            powerSaveNow = facts.GetOr("wifi_power_save", "").EndsWith("on", StringComparison.Ordinal);
            if (powerSaveNow) changes.Add(new Change($"turn Wi-Fi power saving off on {wanted.Interface} now"));
        }
        changes.InsertRange(0, files.Where(f => f.IsNeeded).Select(f => f.ToChange()));

        // Configured but not in effect (e.g. an interrupted run): activating is still a change.
        var active = current.Contains(wanted.Cidr);
        var activate = changes.Count > 0 || !active;
        if (!active && changes.Count == 0) changes.Add(new Change($"activate {wanted.Cidr} on {wanted.Interface} (configured but not in effect)"));

        var peers = HostnameStep.ClusterNodes(context).Where(n => n.Name != context.Node.Name).Select(n => n.Address)
            .Where(a => IPAddress.TryParse(a, out var p) && !IPAddress.IsLoopback(p) && a != wanted.Address).ToList();
        return new StepPlan(changes, new Facts(wanted, manager, files, nmChanges, nmCurrent, nmUuid, activate, powerSaveNow, peers));
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var facts = (Facts)plan.Facts!;
        await ApplyGeneratedAsync(context, StartScript(facts), "start the network change").ConfigureAwait(false);

        // Wait for the node's own verdict; the session may drop while the interface is reconfigured.
        var clock = Stopwatch.StartNew();
        var limit = RollbackAfter + TimeSpan.FromSeconds(60);
        string? verdict = null;
        while (verdict is null)
        {
            if (clock.Elapsed > limit)
                throw new NodeException(NodeErrorKind.Timeout, $"{context.Node}: no answer within {limit.TotalSeconds:0} s after changing the network; the node restores its previous configuration {RollbackAfter.TotalSeconds:0} s after the change.");
            try
            {
                var poll = RemoteScripts.Compose("prep-network-wait", new Dictionary<string, string>
                {
                    ["PICLUSTER_RESULT_FILE"] = ResultFile,
                    ["PICLUSTER_WAIT_SECONDS"] = ((int)CheckTimeout.TotalSeconds + 30).ToString(System.Globalization.CultureInfo.InvariantCulture),
                });
                var result = await context.Session.RunAsync(new RemoteCommand(poll, asRoot: true, display: "Network: wait for the node's check"), context.Cancellation).ConfigureAwait(false);
                var text = result.Stdout.Trim();
                if (text.Length > 0 && text != "pending") verdict = text;
            }
            catch (NodeException e) when (e.Kind is NodeErrorKind.NodeUnreachable or NodeErrorKind.Timeout)
            {
                // The node did not reboot: any answer on a new connection will do (a new boot id would never come).
                await context.Session.ReconnectAsync(limit - clock.Elapsed, requireNewBoot: false, context.Cancellation).ConfigureAwait(false);
            }
        }

        if (!verdict.StartsWith("ok", StringComparison.Ordinal))
            throw new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: {verdict.Replace("rolled-back: ", "")}; the previous network configuration was restored.");

        // PiCluster reached the node after the change: cancel the rollback and check the address is in place.
        await ApplyGeneratedAsync(context,
            $"systemctl stop {RollbackUnit}.timer {RollbackUnit}.service 2>/dev/null || true\nsystemctl reset-failed {RollbackUnit}.service 2>/dev/null || true\n" +
            $"rm -f {StateDir}/net-rollback.sh {StateDir}/net-apply.sh {ResultFile}\n" +
            $"ip -o -4 addr show dev {ShellText.Quote(facts.Wanted.Interface)} | grep -qw {ShellText.Quote(facts.Wanted.Cidr)} || {{ echo {ShellText.Quote($"{facts.Wanted.Cidr} is not on {facts.Wanted.Interface}")} >&2; exit 1; }}\n",
            "confirm the new address").ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// The first apply round trip: saves what the rollback needs, writes the node-side apply and rollback scripts, arms
    /// the rollback timer, and starts the change as a transient unit so it survives the SSH session.
    /// </summary>
    public string StartScript(Facts facts)
    {
        var wanted = facts.Wanted;
        var iface = ShellText.Quote(wanted.Interface);
        var saved = $"{StateDir}/net-saved";

        // Run by the timer ("timer"), the rollback first stops a change still in progress, so the two never race.
        // Both files are generated code (the commands depend on the manager and the plan), run later by systemd with
        // /bin/bash; values in them are quoted, and the apply file is composed like every other remote script.
        var rollback = new StringBuilder("# Restores the network configuration PiCluster replaced (armed by Set-PiNetwork).\n")
            .Append($"if [[ ${{1:-}} == timer ]]; then systemctl stop {ApplyUnit}.service 2>/dev/null; fi\n");
        var apply = new StringBuilder("# shellcheck source=prep-lib.sh\nsource prep-lib.sh\n");
        // On failure: restore at once, report, and disarm the timer (it would only restore the same again, with a flap).
        apply.Append("set +e\nmkdir -p /run/picluster\nfail() {\n    bash ").Append(StateDir).Append("/net-rollback.sh\n    echo \"rolled-back: $1\" >").Append(ResultFile)
            .Append($"\n    systemctl stop {RollbackUnit}.timer 2>/dev/null\n    exit 1\n}}\n");
        if (facts.Manager == "networkmanager")
        {
            var uuid = ShellText.Quote(facts.NmUuid);
            var old = facts.NmChanges.Select(c => $"{c.Key} {ShellText.Quote(facts.NmCurrent.TryGetValue(c.Key, out var v) ? NmSettable(c.Key, v) : "")}");
            rollback.Append($"nmcli connection modify {uuid} {string.Join(" ", old)}\nnmcli connection up {uuid} || true\n");
            if (facts.NmChanges.Count > 0)
                apply.Append($"nmcli connection modify {uuid} {string.Join(" ", facts.NmChanges.Select(c => $"{c.Key} {ShellText.Quote(c.Value)}"))} || fail 'nmcli could not modify the connection'\n");
            apply.Append($"nmcli device reapply {iface} >/dev/null 2>&1 || nmcli connection up {uuid} >/dev/null || fail 'NetworkManager could not activate the connection'\n");
        }
        else
        {
            foreach (var file in facts.Files)
            {
                var copy = $"{saved}/{file.Path.TrimStart('/').Replace('/', '_')}";
                rollback.Append(file.Before is null ? $"rm -f {ShellText.Quote(file.Path)}\n" : $"cp -p {ShellText.Quote(copy)} {ShellText.Quote(file.Path)}\n");
            }
            var reload = facts.Manager switch
            {
                "dhcpcd" => "systemctl restart dhcpcd",
                "networkd" => $"networkctl reload && networkctl reconfigure {iface}",
                _ => "netplan apply",
            };
            rollback.Append(reload).Append(" || true\n");
            if (facts.Files.Any(f => f.IsNeeded)) apply.Append("picluster_write_files || fail 'could not write the configuration'\n");
            if (facts.Files.Any(f => f.Path == PowerSaveUnitPath && f.IsNeeded)) apply.Append("systemctl daemon-reload; systemctl enable picluster-wifi-powersave.service >/dev/null 2>&1\n");
            if (facts.PowerSaveNow) apply.Append($"iw dev {iface} set power_save off || true\n");
            apply.Append(reload).Append(" >/dev/null 2>&1 || fail 'the network manager could not apply the configuration'\n");
        }

        // The node's own check: the address is up, then the gateway (or, without one, another node) answers from it.
        // ping is bound to the interface: another route (a second NIC's default route) must not answer for the LAN.
        var seconds = (int)CheckTimeout.TotalSeconds;
        apply.Append($"for ((i = 0; i < {seconds}; i++)); do ip -o -4 addr show dev {iface} | grep -qw {ShellText.Quote(wanted.Cidr)} && break; sleep 1; done\n");
        apply.Append($"ip -o -4 addr show dev {iface} | grep -qw {ShellText.Quote(wanted.Cidr)} || fail {ShellText.Quote($"{wanted.Cidr} did not come up on {wanted.Interface} within {seconds} s")}\n");
        var targets = wanted.Gateway is not null ? new[] { wanted.Gateway } : facts.Peers.ToArray();
        if (targets.Length > 0)
        {
            var what = wanted.Gateway is not null ? $"the gateway {wanted.Gateway}" : $"any other node ({string.Join(", ", targets)})";
            apply.Append($"reached=''\ndeadline=$((SECONDS + {seconds}))\nwhile [[ -z $reached && $SECONDS -lt $deadline ]]; do\n    for target in {string.Join(" ", targets.Select(ShellText.Quote))}; do\n" +
                         $"        if ping -c 1 -W 1 -I {iface} \"$target\" >/dev/null 2>&1; then reached=$target; break; fi\n    done\n    [[ -n $reached ]] || sleep 1\ndone\n" +
                         $"[[ -n $reached ]] || fail {ShellText.Quote($"from {wanted.Address} the node did not reach {what} within {seconds} s")}\n");
        }
        apply.Append($"ip -o -4 addr show dev {iface} | grep -qw {ShellText.Quote(wanted.Cidr)} || fail {ShellText.Quote($"{wanted.Cidr} went away during the check")}\n");
        apply.Append($"echo ok >{ResultFile}\n");

        var script = new StringBuilder();
        script.Append($"mkdir -p {StateDir} {saved} /run/picluster\nrm -f {ResultFile}\n");
        script.Append($"systemctl stop {RollbackUnit}.timer {ApplyUnit}.service 2>/dev/null || true\nsystemctl reset-failed {RollbackUnit}.service {ApplyUnit}.service 2>/dev/null || true\n");
        foreach (var file in facts.Files.Where(f => f.Before is not null))
            script.Append($"cp -p {ShellText.Quote(file.Path)} {ShellText.Quote($"{saved}/{file.Path.TrimStart('/').Replace('/', '_')}")}\n");
        script.Append(WriteScript($"{StateDir}/net-rollback.sh", rollback.Append($"mkdir -p /run/picluster\n[[ -s {ResultFile} ]] || echo 'rolled-back: PiCluster did not confirm in time' >{ResultFile}\n").ToString()));
        script.Append(WriteScript($"{StateDir}/net-apply.sh", RemoteScripts.ComposeGenerated(apply.ToString(),
            new Dictionary<string, string> { [FileEdit.WritesVariable] = FileEdit.WriteRequest(facts.Files) })));
        // Never shorter than the node's own check (address up, then reachability), or the two would overlap.
        var window = Math.Max((int)RollbackAfter.TotalSeconds, 2 * seconds + 30);
        script.Append($"systemd-run --quiet --unit={RollbackUnit} --on-active={window} /bin/bash {StateDir}/net-rollback.sh timer\n");
        script.Append($"systemd-run --quiet --collect --unit={ApplyUnit} /bin/bash {StateDir}/net-apply.sh\n");
        return script.ToString();
    }

    // nmcli -g prints "2 (disable)"-style enums and "a, b" lists; nmcli modify wants the plain value back.
    private static string NmSettable(string key, string value) =>
        key == "802-11-wireless.powersave" ? value.Split(' ')[0] : value;

    private static string WriteScript(string path, string content) =>
        $"base64 -d >{path} <<'PICLUSTER_B64'\n{Convert.ToBase64String(Encoding.UTF8.GetBytes(content), Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n")}\nPICLUSTER_B64\nchmod 700 {path}\n";

    private static string PowerSaveUnit(string iface) =>
        "# Written by PiCluster (Set-PiNetwork): Wi-Fi power saving drops packets and stalls the cluster.\n[Unit]\nDescription=Turn Wi-Fi power saving off\n" +
        $"After=sys-subsystem-net-devices-{iface}.device\n\n[Service]\nType=oneshot\nExecStart=/usr/sbin/iw dev {iface} set power_save off\n\n[Install]\nWantedBy=multi-user.target\n";
}
