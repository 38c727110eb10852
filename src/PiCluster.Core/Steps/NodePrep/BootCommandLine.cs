using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Edits a kernel command line so that the memory and cpuset cgroup controllers are on, as kubelet requires.
/// Works on the raw bytes of a Raspberry Pi <c>cmdline.txt</c> (read as Latin-1 so every byte round-trips) and on the
/// value of GRUB_CMDLINE_LINUX.
/// </summary>
public static class BootCommandLine
{
    /// <summary>The arguments PiCluster adds, in this order.</summary>
    public static readonly IReadOnlyList<string> CgroupFlags = new[] { "cgroup_enable=cpuset", "cgroup_enable=memory", "cgroup_memory=1" };

    // Latin-1 maps each byte to one char and back, so arguments with any bytes survive untouched.
    private static readonly Encoding Bytes = Encoding.Latin1;

    /// <summary>
    /// Returns the edited <c>cmdline.txt</c>: one line ending in "\n", every original argument in its order, the cgroup
    /// flags exactly once. Returns <paramref name="content"/> itself when it already is one well-formed line with the
    /// flags (so a converged boot file is never rewritten).
    /// </summary>
    public static byte[] EditCmdlineTxt(byte[] content)
    {
        if (content is null) throw new ArgumentNullException(nameof(content));
        var text = Bytes.GetString(content);
        var arguments = Tokenize(text);
        var edited = EditArguments(arguments);
        if (edited.SequenceEqual(arguments, StringComparer.Ordinal) && IsSingleLfTerminatedLine(text)) return content;
        return Bytes.GetBytes(string.Join(" ", edited) + "\n");
    }

    /// <summary>Whether the file's arguments already carry the flags (and nothing that cancels them).</summary>
    public static bool HasCgroupFlags(string commandLine)
    {
        var arguments = Tokenize(commandLine);
        return EditArguments(arguments).SequenceEqual(arguments, StringComparer.Ordinal);
    }

    /// <summary>
    /// Applies the flag edit to a list of arguments: drops what would cancel the flags, keeps the first occurrence of
    /// each flag where it is, and appends missing flags at the end. Everything else is kept in order.
    /// </summary>
    public static IReadOnlyList<string> EditArguments(IReadOnlyList<string> arguments)
    {
        var result = new List<string>(arguments.Count + CgroupFlags.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var argument in arguments)
        {
            if (CgroupFlags.Contains(argument))
            {
                if (seen.Add(argument)) result.Add(argument);
                continue;
            }
            var kept = WithoutCancellingValue(argument);
            if (kept is not null) result.Add(kept);
        }
        result.AddRange(CgroupFlags.Where(flag => !seen.Contains(flag)));
        return result;
    }

    /// <summary>Removes only what cancels the flags from arguments that leave the controllers on by default.</summary>
    public static IReadOnlyList<string> RemoveCancellingArguments(IReadOnlyList<string> arguments) =>
        arguments.Select(WithoutCancellingValue).Where(a => a is not null).Select(a => a!).ToList();

    // The kernel applies cgroup_enable / cgroup_disable in command-line order, and Raspberry Pi images have shipped
    // `cgroup_disable=memory` by default (the memory controller costs RAM on small boards). Left in place, or after our
    // flags, it silently turns the memory controller off again and kubelet refuses to start, so it goes; a list such as
    // cgroup_disable=memory,hugetlb loses only "memory". Likewise a cgroup_memory= other than 1 contradicts our flag.
    private static string? WithoutCancellingValue(string argument)
    {
        const string Disable = "cgroup_disable=";
        if (argument.StartsWith(Disable, StringComparison.Ordinal))
        {
            var controllers = argument.Substring(Disable.Length).Split(',');
            var rest = controllers.Where(c => c != "memory" && c != "cpuset").ToArray();
            if (rest.Length == controllers.Length) return argument;
            return rest.All(c => c.Length == 0) ? null : Disable + string.Join(",", rest.Where(c => c.Length > 0));
        }
        if (argument.StartsWith("cgroup_memory=", StringComparison.Ordinal)) return null;
        return argument;
    }

    /// <summary>
    /// Splits a command line into arguments the way the kernel does: on whitespace (including CR and LF, so a file
    /// broken into two lines joins up), except inside double quotes.
    /// </summary>
    public static IReadOnlyList<string> Tokenize(string commandLine)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        var inQuotes = false;
        foreach (var c in commandLine)
        {
            // A line break always ends an argument: the kernel never sees one, so a quote cannot span lines.
            if (c is '\r' or '\n') inQuotes = false;
            else if (c == '"') inQuotes = !inQuotes;
            if (c is '\r' or '\n' || (!inQuotes && IsKernelSpace(c)))
            {
                if (current.Length > 0) { result.Add(current.ToString()); current.Clear(); }
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0) result.Add(current.ToString());
        return result;
    }

    private static bool IsKernelSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f';

    private static bool IsSingleLfTerminatedLine(string text) =>
        text.Length > 0 && text[text.Length - 1] == '\n' && text.IndexOfAny(new[] { '\r', '\n' }) == text.Length - 1;
}
