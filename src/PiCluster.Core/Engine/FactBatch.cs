using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// Several read-only fact commands sent as one round trip (Scripts/fact-batch.sh): the scripts and their inputs travel
/// as framed data on stdin, never spliced into the batch script, and each part's exit code, stdout and stderr come back
/// framed by byte counts, with the time the part took on the node.
/// </summary>
internal static class FactBatch
{
    /// <summary>One part's result and how long it ran on the node (null where the node's bash cannot tell).</summary>
    public readonly record struct Part(CommandResult Result, TimeSpan? Elapsed);

    private const string PartHeader = "@@picluster-part ";

    /// <summary>The one command that runs every part, as root when they do.</summary>
    /// <param name="parts">Commands of one kind: all as root, or all as the SSH user.</param>
    /// <param name="factTimeout">How long the whole batch may take, unless a part's own timeout is longer.</param>
    public static RemoteCommand Compose(IReadOnlyList<RemoteCommand> parts, TimeSpan factTimeout)
    {
        if (parts.Count == 0) throw new ArgumentException("A batch needs at least one part.", nameof(parts));
        if (parts.Any(p => p.AsRoot != parts[0].AsRoot)) throw new ArgumentException("A batch runs as root or as the user, not both.", nameof(parts));
        var utf8 = new UTF8Encoding(false);
        var input = new StringBuilder().Append(parts.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var part in parts)
        {
            input.Append(utf8.GetByteCount(part.Script).ToString(CultureInfo.InvariantCulture)).Append('\n').Append(part.Script);
            var data = part.Input ?? "";
            input.Append(utf8.GetByteCount(data).ToString(CultureInfo.InvariantCulture)).Append('\n').Append(data);
        }
        // Not the sum of the parts' budgets: facts come back in seconds, and summing ten-minute command budgets made a hung
        // node hold its run for an hour.
        var timeout = parts.Select(p => p.Timeout ?? TimeSpan.Zero).Append(factTimeout).Max();
        var display = "facts in one round trip: " + string.Join(", ", parts.Select(p => p.Display ?? "a script"));
        return new RemoteCommand(RemoteScripts.Compose("fact-batch"), parts[0].AsRoot, input.ToString(), timeout, display);
    }

    /// <summary>
    /// The parts' results, in order; null when the output is not a whole batch of <paramref name="count"/> parts (the
    /// batch script failed, or output that is not UTF-8 made the byte counts unusable): the steps then gather their
    /// facts one command at a time, as without batching.
    /// </summary>
    public static IReadOnlyList<Part>? Parse(CommandResult batch, int count)
    {
        if (!batch.Succeeded) return null;
        var bytes = new UTF8Encoding(false).GetBytes(batch.Stdout);
        var results = new List<Part>(count);
        var position = 0;
        for (var part = 0; part < count; part++)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', position);
            if (end < 0) return null;
            var header = Encoding.ASCII.GetString(bytes, position, end - position);
            if (!header.StartsWith(PartHeader, StringComparison.Ordinal)) return null;
            var fields = header.Substring(PartHeader.Length).Split(' ');
            if (fields.Length != 5
                || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index != part
                || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var exitCode)
                || !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var outLength)
                || !int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var errLength)
                || !long.TryParse(fields[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var micros))
                return null;
            position = end + 1;
            if ((long)position + outLength + errLength > bytes.Length) return null;
            var stdout = Encoding.UTF8.GetString(bytes, position, outLength);
            var stderr = Encoding.UTF8.GetString(bytes, position + outLength, errLength);
            position += outLength + errLength;
            results.Add(new Part(new CommandResult(exitCode, stdout, stderr), micros >= 0 ? TimeSpan.FromTicks(micros * 10) : null));
        }
        return position == bytes.Length ? results : null;
    }
}
