using System;
using System.Collections.Generic;
using System.Linq;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Turns swap entries of <c>/etc/fstab</c> off by commenting them out with a tag (never deleting them), and back on by
/// removing only that tag, so a user's own commented lines are never touched. Other lines stay byte-identical.
/// </summary>
public static class Fstab
{
    /// <summary>The prefix PiCluster puts before a swap line it turned off.</summary>
    public const string Tag = "#picluster-swap-off# ";

    /// <summary>Comments out every active swap line; returns the same array when there is none.</summary>
    public static byte[] DisableSwap(byte[] content) => Transform(content, line =>
        IsActiveSwapLine(line) ? Tag + line : null);

    /// <summary>Restores the swap lines PiCluster commented out; returns the same array when there is none.</summary>
    public static byte[] EnableSwap(byte[] content) => Transform(content, line =>
        line.StartsWith(Tag, StringComparison.Ordinal) ? line.Substring(Tag.Length) : null);

    /// <summary>The active (uncommented) swap entries.</summary>
    public static IReadOnlyList<string> ActiveSwapLines(byte[] content) =>
        TextLines.Split(TextLines.ByteEncoding.GetString(content)).Select(l => l.Content).Where(IsActiveSwapLine).ToList();

    /// <summary>Whether an fstab line mounts swap: not a comment, and its third field (the type) is "swap".</summary>
    public static bool IsActiveSwapLine(string line)
    {
        var fields = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 3 && !fields[0].StartsWith("#", StringComparison.Ordinal) && fields[2] == "swap";
    }

    private static byte[] Transform(byte[] content, Func<string, string?> replace)
    {
        if (content is null) throw new ArgumentNullException(nameof(content));
        var lines = TextLines.Split(TextLines.ByteEncoding.GetString(content));
        var changed = false;
        for (var i = 0; i < lines.Count; i++)
        {
            var replacement = replace(lines[i].Content);
            if (replacement is null) continue;
            lines[i] = lines[i] with { Content = replacement };
            changed = true;
        }
        return changed ? TextLines.ByteEncoding.GetBytes(TextLines.Join(lines)) : content;
    }
}
