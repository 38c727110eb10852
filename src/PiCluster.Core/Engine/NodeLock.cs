using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// The run lock on each node (<c>/run/lock/picluster.lock</c>), so two runs cannot change a node at the same time. It is
/// a lease (<see cref="RunOptions.LockLease"/>) that the run renews while it holds it (<see cref="NodeLease"/>), taken
/// again on every new connection, and naming its holder: the run, its client machine and PowerShell process. A lock
/// whose lease ran out, or that was taken in an earlier boot, is stale and is taken over; so is one whose client
/// process is gone from this very machine, at once; -Force (<see cref="RunOptions.TakeOverLock"/>) takes over any lock
/// with a warning. The node side is Scripts/node-lock.sh. Nothing here depends on the transport.
/// </summary>
internal sealed class NodeLock
{
    /// <summary>Text in the lock script that fakes use to recognise it.</summary>
    public const string ScriptMarker = "picluster-node-lock";

    private readonly TimeSpan _lease;
    private readonly bool _takeOver;
    private readonly Action<string> _verbose;
    private readonly Action<string> _warning;

    /// <summary>A lock for one run (a new run id) with the run's lease and -Force.</summary>
    public NodeLock(RunOptions options, Action<string> verbose, Action<string> warning)
    {
        RunId = NewRunId();
        _lease = options.LockLease < TimeSpan.FromSeconds(2) ? TimeSpan.FromSeconds(2) : options.LockLease;
        _takeOver = options.TakeOverLock;
        _verbose = verbose;
        _warning = warning;
    }

    /// <summary>This run's id.</summary>
    public string RunId { get; }

    /// <summary>How often the run renews the lease: a third of it, so one late renewal does not lose it.</summary>
    public TimeSpan RenewEvery => TimeSpan.FromTicks(_lease.Ticks / 2);

    /// <summary>A new run id: short, and safe in a shell word.</summary>
    public static string NewRunId() => Guid.NewGuid().ToString("N").Substring(0, 12);

    /// <summary>
    /// Takes (or, if this run holds it, renews) the node's lock through <paramref name="run"/>; throws
    /// <see cref="NodeException"/> (NodeLocked) when another live run holds it. Only the first take
    /// (<paramref name="allowTakeOver"/>) replaces the lock of a crashed client or, with -Force, any lock: a run that lost
    /// its lock to another run does not take it back.
    /// </summary>
    public async Task AcquireAsync(PiNode node, CommandRunner run, bool allowTakeOver, CancellationToken cancellation)
    {
        var output = await RunScript(run, "acquire", null, cancellation).ConfigureAwait(false);
        if (output.GetOr("lock", "") == "held" && !allowTakeOver) throw Locked(node, output.GetOr("holder", ""), output.GetOr("remaining", "?"));
        if (output.GetOr("lock", "") == "held")
        {
            var holder = output.GetOr("holder", "");
            var fields = Fields(holder);
            var reason = ClientIsGone(fields) ? $"its PowerShell process (pid {Field(fields, "cpid")}) is no longer running on this machine"
                : _takeOver ? "-Force" : null;
            if (reason is null) throw Locked(node, holder, output.GetOr("remaining", "?"));
            if (_takeOver && !ClientIsGone(fields))
                _warning($"{node.Name}: -Force: taking over the run lock of {DescribeHolder(holder)}. If that run is still working on the node, both runs now change it.");
            output = await RunScript(run, "acquire", Field(fields, "run"), cancellation).ConfigureAwait(false);
            if (output.GetOr("lock", "") == "held") throw Locked(node, output.GetOr("holder", ""), output.GetOr("remaining", "?"));
            if (reason != "-Force") _verbose($"{node.Name}: took over the run lock of a crashed run: {reason}");
        }
        switch (output.GetOr("lock", ""))
        {
            case "acquired":
                var takeover = output.Get("takeover");
                if (takeover is not null) _verbose($"{node.Name}: took over a stale run lock: {takeover.Trim()}");
                return;
            default:
                throw new NodeException(NodeErrorKind.InvalidNodeState, $"{node.Name}: could not take the run lock: {output.Get("detail")?.Trim() ?? "(no answer)"}");
        }
    }

    /// <summary>Releases the lock if this run holds it.</summary>
    public Task ReleaseAsync(INodeSession session, CancellationToken cancellation) =>
        session.RunAsync(Command("release", null), cancellation);

    private NodeException Locked(PiNode node, string holder, string remaining) =>
        new(NodeErrorKind.NodeLocked, $"{node.Name}: another PiCluster run holds the node's lock ({DescribeHolder(holder)}). "
            + $"Wait for it to finish: if that run has ended without releasing it, the lock is free {remaining} s from now unless renewed. "
            + "-Force takes it over (only when you are sure that run no longer works on the node).");

    private async Task<SectionedOutput> RunScript(CommandRunner run, string action, string? takeOverRun, CancellationToken cancellation)
    {
        var result = await run(Command(action, takeOverRun), cancellation).ConfigureAwait(false);
        var output = SectionedOutput.Parse(result.Stdout);
        if (!output.Has("lock"))
            return SectionedOutput.Parse("@@ lock\nerror\n@@ detail\n" + Trim(result.Stderr + result.Stdout) + "\n");
        return output;
    }

    /// <summary>"run 1a2b... by pi@laptop since 2026-...Z" from a lock record.</summary>
    internal static string DescribeHolder(string record)
    {
        var fields = Fields(record);
        return fields.Count == 0 ? "holder unknown" : $"run {Field(fields, "run")} by {Field(fields, "by")} since {Field(fields, "since")}";
    }

    private static Dictionary<string, string> Fields(string record) =>
        record.Split(new[] { ' ', '\n' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Split(new[] { '=' }, 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);

    private static string Field(Dictionary<string, string> fields, string key) => fields.TryGetValue(key, out var v) ? v : "?";

    /// <summary>The holder ran on this machine and its process is gone (or the pid now belongs to another process).</summary>
    private static bool ClientIsGone(Dictionary<string, string> fields)
    {
        if (Field(fields, "client") != Client.Host) return false;
        if (!int.TryParse(Field(fields, "cpid"), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return false;
        if (!long.TryParse(Field(fields, "cstart"), NumberStyles.None, CultureInfo.InvariantCulture, out var start)) return false;
        var now = Client.StartOf(pid);
        return now is null || now != start;
    }

    private RemoteCommand Command(string action, string? takeOverRun) =>
        new(RemoteScripts.Compose("node-lock", new Dictionary<string, string>
        {
            ["PICLUSTER_LOCK_ACTION"] = action,
            ["PICLUSTER_RUN_ID"] = RunId,
            ["PICLUSTER_ORIGIN"] = Client.Origin,
            ["PICLUSTER_CLIENT"] = Client.Host,
            ["PICLUSTER_CLIENT_PID"] = Client.Pid.ToString(CultureInfo.InvariantCulture),
            ["PICLUSTER_CLIENT_START"] = Client.Start.ToString(CultureInfo.InvariantCulture),
            ["PICLUSTER_LOCK_LEASE"] = ((int)Math.Ceiling(_lease.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            ["PICLUSTER_LOCK_TAKEOVER"] = takeOverRun ?? "",
        }), timeout: TimeSpan.FromSeconds(60), display: action == "release" ? "release the PiCluster run lock" : "take the PiCluster run lock");

    private static string Trim(string text) => text.Length > 300 ? text.Substring(0, 300) + "..." : text.Trim();

    /// <summary>Who holds a lock, from this side: the machine and the PowerShell process. Each value is one shell word.</summary>
    internal static class Client
    {
        /// <summary>user@machine, for messages another run shows.</summary>
        public static readonly string Origin = Word($"{Environment.UserName}@{Environment.MachineName}");

        /// <summary>The machine: its name and, where there is one, a part of its machine id (names repeat; ids do not).</summary>
        public static readonly string Host = Word(Environment.MachineName + MachineIdSuffix());

        /// <summary>This process.</summary>
        public static readonly int Pid = Environment.ProcessId;

        /// <summary>When this process started, in Unix seconds: tells a reused pid apart.</summary>
        public static readonly long Start = StartOf(Environment.ProcessId) ?? 0;

        /// <summary>When process <paramref name="pid"/> started, or null when there is no such process.</summary>
        public static long? StartOf(int pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeSeconds();
            }
            catch (ArgumentException) { return null; }
            catch (InvalidOperationException) { return null; }
            catch (System.ComponentModel.Win32Exception) { return null; }
        }

        private static string MachineIdSuffix()
        {
            try
            {
                var id = File.Exists("/etc/machine-id") ? File.ReadAllText("/etc/machine-id").Trim() : "";
                return id.Length >= 12 ? "-" + id.Substring(0, 12) : "";
            }
            catch (IOException) { return ""; }
            catch (UnauthorizedAccessException) { return ""; }
        }

        private static string Word(string text) => Regex.Replace(text, "[^A-Za-z0-9._@-]", "_");
    }
}
