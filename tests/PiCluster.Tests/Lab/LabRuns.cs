using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;

namespace PiCluster.Tests.Lab;

/// <summary>
/// A real connector (OpenSSH unless told otherwise), counting connections per node, with a hook that sees every command
/// before it runs (the interruption test cuts the connection from there) and one that may replace it.
/// </summary>
public sealed class CountingConnector(SshTransport transport = SshTransport.OpenSsh) : INodeConnector
{
    private readonly INodeConnector _inner = transport == SshTransport.SshNet ? new SshNetConnector() : new OpenSshConnector();

    public ConcurrentDictionary<string, int> Opens { get; } = new();

    /// <summary>The real session last opened per node (its connection and round-trip counts).</summary>
    public ConcurrentDictionary<string, ITransportSession> Sessions { get; } = new();

    /// <summary>Called with the node and command before each command runs.</summary>
    public Action<PiNode, RemoteCommand>? BeforeCommand { get; set; }

    /// <summary>Replaces a command before it runs (a fault handed to one node, e.g. a wrong CA pin in its join input).</summary>
    public Func<PiNode, RemoteCommand, RemoteCommand>? Rewrite { get; set; }

    public async Task<INodeSession> OpenAsync(PiNode node, ConnectOptions options, CancellationToken cancellationToken)
    {
        Opens.AddOrUpdate(node.Name, 1, (_, n) => n + 1);
        var session = (ITransportSession)await _inner.OpenAsync(node, options, cancellationToken);
        Sessions[node.Name] = session;
        return new Hooked(session, this);
    }

    private sealed class Hooked(INodeSession inner, CountingConnector owner) : INodeSession
    {
        public PiNode Node => inner.Node;
        public int RoundTrips => inner.RoundTrips;
        public int Connections => inner.Connections;

        public Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken)
        {
            owner.BeforeCommand?.Invoke(inner.Node, command);
            return inner.RunAsync(owner.Rewrite?.Invoke(inner.Node, command) ?? command, cancellationToken);
        }

        public Func<CommandRunner, CancellationToken, Task>? AfterImplicitReconnect
        {
            get => inner.AfterImplicitReconnect;
            set => inner.AfterImplicitReconnect = value;
        }

        public Task ReconnectAsync(TimeSpan timeout, bool requireNewBoot, CancellationToken cancellationToken) =>
            inner.ReconnectAsync(timeout, requireNewBoot, cancellationToken);
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

/// <summary>Runs steps on lab nodes the way the cmdlets do (ClusterRunner, real OpenSSH or SSH.NET), and commands as root.</summary>
public static class LabRuns
{
    /// <summary>The lab's SNTP server as the nodes reach it (public servers are neither reachable nor allowed).</summary>
    public static readonly string[] LabNtp = ["10.0.2.2"];

    /// <summary>
    /// Initialize-PiNode's settings for lab nodes: the lab's NTP server only, and a reboot bound of 10 minutes, because a
    /// reboot under emulation on a loaded host took 6 minutes (boards take well under the product's 5).
    /// </summary>
    public static NodePreparationOptions Preparation(bool skipTimeSyncWait = false) => new()
    {
        NtpServers = LabNtp, FallbackNtpServers = [], SkipTimeSyncWait = skipTimeSyncWait, RebootTimeout = TimeSpan.FromMinutes(10),
    };

    public static IReadOnlyList<PiNode> Nodes(LabFixture lab, params string[] names) =>
        ClusterNodes.ToPiNodes(ClusterFileLoader.Load(lab.ClusterFilePath)).Where(n => names.Contains(n.Name)).ToList();

    /// <summary>A node with another LAN address (same cluster, same SSH endpoint).</summary>
    public static PiNode WithLanAddress(PiNode node, string lanAddress) =>
        new(node.Name, node.Address, node.Role, node.User, node.Port, node.IdentityFile, node.ConfigFile, lanAddress, node.Cluster);

    public static (RecordingRunHost Host, CountingConnector Connector) Run(IReadOnlyList<PiNode> nodes, IReadOnlyList<NodeStep> steps,
        bool whatIf = false, Action<PiNode, RemoteCommand>? beforeCommand = null, SshTransport transport = SshTransport.OpenSsh)
    {
        var connector = new CountingConnector(transport) { BeforeCommand = beforeCommand };
        var host = new RecordingRunHost();
        if (whatIf) host.Answer = (_, _) => false;
        new ClusterRunner(connector, new RunOptions()).Run(nodes, steps, host, CancellationToken.None);
        return (host, connector);
    }

    /// <summary>Runs the steps and returns the recording host only.</summary>
    public static RecordingRunHost RunSteps(IReadOnlyList<PiNode> nodes, params NodeStep[] steps) => Run(nodes, steps).Host;

    public static string Describe(RecordingRunHost host) =>
        string.Join("\n", host.Results.Select(r => $"{r.Node.Name}/{r.Step}: {r.Status} {r.Message} [{string.Join("; ", r.Changes)}]"))
        + string.Concat(host.Failures.Select(f => $"\nFAILED {f.Node.Name}/{f.Step} {f.Kind}: {f.Message}"));

    /// <summary>Runs a command as root on a node and returns its stdout; throws when it fails.</summary>
    public static async Task<string> RootAsync(LabFixture lab, string node, string command)
    {
        var r = await lab.SshAsync(node, "sudo bash -c " + ShellText.Quote(command));
        if (r.Exit != 0) throw new InvalidOperationException($"{node}: `{command}` failed ({r.Exit}): {r.Out}{r.Err}");
        return r.Out;
    }

    /// <summary>
    /// Holds the dpkg frontend lock the way apt does (a POSIX fcntl write lock, what unattended-upgrades holds at first
    /// boot) for the given time, from a detached process on the node. Perl is part of every Debian system.
    /// </summary>
    public static Task HoldDpkgLockAsync(LabFixture lab, string node, int seconds) => RootAsync(lab, node,
        "setsid perl -e 'use Fcntl; open(my $f, \">>\", \"/var/lib/dpkg/lock-frontend\") or die; " +
        "my $l = pack(\"s s x4 q q i x4\", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die \"lock: $!\"; $0 = \"lock-holder\"; sleep " + seconds + "' " +
        "</dev/null >/dev/null 2>&1 & sleep 1; grep -c POSIX /proc/locks");

    // Children inherit the environment: this marker tells our own ssh processes from anyone else's.
    private static readonly string Marker = "PICLUSTER_NODEPREP_TEST=" + Guid.NewGuid().ToString("N");

    static LabRuns()
    {
        var eq = Marker.IndexOf('=');
        Environment.SetEnvironmentVariable(Marker.Substring(0, eq), Marker.Substring(eq + 1));
    }

    /// <summary>
    /// Kills the ssh ControlMaster this test process started for the node: an ssh with ControlMaster=yes and the node's
    /// port whose environment carries this process's marker (ssh -f daemonises, so it is no longer our child). By pid.
    /// </summary>
    public static int KillSshMaster(PiNode node)
    {
        var killed = 0;
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string[] args;
            string environment;
            try
            {
                args = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
                environment = File.ReadAllText($"/proc/{pid}/environ");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (args.Length == 0 || Path.GetFileName(args[0]) != "ssh" || !args.Contains("ControlMaster=yes")) continue;
            var port = Array.IndexOf(args, "-p");
            if (port < 0 || port + 1 >= args.Length || args[port + 1] != node.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture)) continue;
            if (!environment.Split('\0').Contains(Marker)) continue;
            try { Process.GetProcessById(pid).Kill(); killed++; }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
        }
        return killed;
    }
}
