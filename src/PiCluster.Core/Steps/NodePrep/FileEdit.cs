using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// A planned edit of one remote file: the bytes found when planning and the bytes wanted. Applying it goes through
/// <c>picluster_write_file</c> (Scripts/prep-lib.sh): atomic rename, timestamped byte-exact backup, and a refusal to
/// overwrite a file that changed since it was planned.
/// </summary>
public sealed class FileEdit
{
    /// <summary>Creates an edit.</summary>
    /// <param name="path">Absolute path on the node.</param>
    /// <param name="before">The file's bytes when planned; null when it did not exist.</param>
    /// <param name="after">The wanted bytes.</param>
    /// <param name="mode">Mode for a new file (an existing file keeps its own).</param>
    /// <param name="rebootRequired">The edit takes effect at the next boot.</param>
    public FileEdit(string path, byte[]? before, byte[] after, string mode = "0644", bool rebootRequired = false)
    {
        Path = path;
        Before = before;
        After = after;
        Mode = mode;
        RebootRequired = rebootRequired;
    }

    /// <summary>Creates an edit to text content (UTF-8).</summary>
    public static FileEdit ToText(string path, byte[]? before, string after, string mode = "0644", bool rebootRequired = false) =>
        new(path, before, Encoding.UTF8.GetBytes(after), mode, rebootRequired);

    /// <summary>Absolute path on the node.</summary>
    public string Path { get; }

    /// <summary>The bytes when planned; null when the file did not exist.</summary>
    public byte[]? Before { get; }

    /// <summary>The wanted bytes.</summary>
    public byte[] After { get; }

    /// <summary>Mode for a new file.</summary>
    public string Mode { get; }

    /// <summary>The edit takes effect at the next boot.</summary>
    public bool RebootRequired { get; }

    /// <summary>Whether the file differs from what is wanted.</summary>
    public bool IsNeeded => Before is null || !Before.AsSpan().SequenceEqual(After);

    /// <summary>The change to report, with its unified diff.</summary>
    public Change ToChange(string? description = null) =>
        new(description ?? (Before is null ? $"create {Path}" : $"edit {Path}"), UnifiedDiff.Create(Path, Before, After), RebootRequired);

    /// <summary>The name of the variable <c>picluster_write_files</c> (Scripts/prep-lib.sh) reads <see cref="WriteRequest"/> from.</summary>
    public const string WritesVariable = "PICLUSTER_WRITES";

    /// <summary>
    /// The needed edits as data for <c>picluster_write_files</c>: per file a line "EXPECTED MODE PATH" and a line of
    /// base64 content. Empty when none is needed.
    /// </summary>
    public static string WriteRequest(IEnumerable<FileEdit> edits)
    {
        var text = new StringBuilder();
        foreach (var edit in edits.Where(e => e.IsNeeded))
        {
            if (edit.Path.IndexOfAny(new[] { '\n', '\r' }) >= 0) throw new ArgumentException($"A path with a line break cannot be written: {edit.Path}");
            text.Append(edit.Before is null ? "absent" : Sha256(edit.Before)).Append(' ').Append(edit.Mode).Append(' ').Append(edit.Path).Append('\n')
                .Append(Convert.ToBase64String(edit.After)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The variables for a script that calls <c>picluster_write_files</c> with these edits.</summary>
    public static Dictionary<string, string> Writes(params FileEdit?[] edits) =>
        new() { [WritesVariable] = WriteRequest(edits.OfType<FileEdit>()) };

    /// <summary>Exit code of <c>picluster_write_file</c> when the target file system has no room (ENOSPC's number).</summary>
    public const int DiskFullExitCode = 28;

    /// <summary>
    /// The <see cref="NodeErrorKind.NodeDiskFull"/> error for a script that stopped because a file system was full, or
    /// null when it failed otherwise. It names the node, the step and the path; it never names a backup, because none
    /// that could be incomplete is kept.
    /// </summary>
    public static NodeException? DiskFullError(PiNode node, string step, CommandResult result)
    {
        if (result.ExitCode != DiskFullExitCode) return null;
        foreach (var line in result.Stderr.Split('\n'))
        {
            var parts = line.Trim().Split(new[] { ' ' }, 4);
            if (parts.Length < 4 || parts[0] != "picluster-disk-full") continue;
            return new NodeException(NodeErrorKind.NodeDiskFull,
                $"{node}: {step} could not write {parts[3]}: its file system is full ({parts[2]} bytes free; the new file and a backup of the old one need {parts[1]}). " +
                $"Nothing was written and {parts[3]} is as it was. Free some space there (old *.picluster-*.bak files you no longer need, for example) and run again.");
        }
        return null;
    }

    /// <summary>Lower-case hex sha256, as sha256sum prints it.</summary>
    public static string Sha256(byte[] bytes)
    {
        using var sha = SHA256.Create();
        var hash = sha.ComputeHash(bytes);
        var text = new StringBuilder(hash.Length * 2);
        foreach (var b in hash) text.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return text.ToString();
    }
}
