using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// The run lock on each node (<c>/run/lock/picluster.lock</c>), so two runs cannot change a node at the same time.
/// The lock names its holder; it goes stale when the holder's SSH connection is gone or the node rebooted, and a stale
/// lock is taken over (see Scripts/node-lock.sh).
/// </summary>
internal static class NodeLock
{
    /// <summary>Text in the lock script that fakes use to recognise it.</summary>
    public const string ScriptMarker = "picluster-node-lock";

    /// <summary>A new run id: short, and safe in a shell word.</summary>
    public static string NewRunId() => Guid.NewGuid().ToString("N").Substring(0, 12);

    /// <summary>Takes the node's lock for <paramref name="runId"/>; throws <see cref="NodeException"/> (NodeLocked) when another run holds it.</summary>
    public static async Task AcquireAsync(INodeSession session, string runId, Action<string> verbose, CancellationToken cancellation)
    {
        var result = await session.RunAsync(Command("acquire", runId, "take the PiCluster run lock"), cancellation).ConfigureAwait(false);
        var output = SectionedOutput.Parse(result.Stdout);
        var node = session.Node.Name;
        switch (output.GetOr("lock", ""))
        {
            case "acquired":
                var takeover = output.Get("takeover");
                if (takeover is not null) verbose($"{node}: took over a stale run lock: {takeover}");
                return;
            case "held":
                throw new NodeException(NodeErrorKind.NodeLocked, $"{node}: another PiCluster run holds the node's lock ({DescribeHolder(output.GetOr("holder", ""))}). "
                    + "Wait for it to finish. The lock clears itself when that run's SSH connection closes or the node reboots.");
            default:
                throw new NodeException(NodeErrorKind.InvalidNodeState, $"{node}: could not take the run lock: "
                    + $"{output.Get("detail") ?? Trim(result.Stderr + result.Stdout)}");
        }
    }

    /// <summary>Releases the lock if this run holds it.</summary>
    public static Task ReleaseAsync(INodeSession session, string runId, CancellationToken cancellation) =>
        session.RunAsync(Command("release", runId, "release the PiCluster run lock"), cancellation);

    /// <summary>"run 1a2b... by pi@laptop since 2026-...Z" from a lock record.</summary>
    internal static string DescribeHolder(string record)
    {
        var fields = record.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(w => w.Split(new[] { '=' }, 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);
        string F(string key) => fields.TryGetValue(key, out var v) ? v : "?";
        return fields.Count == 0 ? "holder unknown" : $"run {F("run")} by {F("by")} since {F("since")}";
    }

    private static RemoteCommand Command(string action, string runId, string display) =>
        new(ShellText.WithVariables(RemoteScripts.Load("node-lock"), new Dictionary<string, string>
        {
            ["PICLUSTER_LOCK_ACTION"] = action,
            ["PICLUSTER_RUN_ID"] = runId,
            ["PICLUSTER_ORIGIN"] = Origin,
        }), timeout: TimeSpan.FromSeconds(60), display: display);

    // Who runs PiCluster, for the message another run sees. One shell word.
    private static readonly string Origin = Regex.Replace($"{Environment.UserName}@{Environment.MachineName}", "[^A-Za-z0-9._@-]", "_");

    private static string Trim(string text) => text.Length > 300 ? text.Substring(0, 300) + "..." : text.Trim();
}
