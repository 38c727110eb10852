using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Edits <c>/etc/default/grub</c> (a shell fragment) so that GRUB_CMDLINE_LINUX carries the cgroup flags. Only the
/// effective (last) assignment is edited, keeping its quoting and any trailing comment; every other line stays
/// byte-identical. A cancelling argument in GRUB_CMDLINE_LINUX_DEFAULT (appended after ours by grub-mkconfig) is removed
/// too.
/// </summary>
public static class GrubDefaults
{
    private static readonly Regex Assignment = new(
        @"^(?<lead>\s*(?:export\s+)?(?<name>GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=)(?<value>""(?:[^""\\]|\\.)*""|'[^']*'|[^\s#;]*)(?<rest>.*)$",
        RegexOptions.CultureInvariant);

    /// <summary>Returns the edited file; the same array when nothing needs to change.</summary>
    public static byte[] Edit(byte[] content)
    {
        if (content is null) throw new ArgumentNullException(nameof(content));
        var lines = TextLines.Split(TextLines.ByteEncoding.GetString(content));
        var lastLinux = LastAssignment(lines, "GRUB_CMDLINE_LINUX");
        var lastDefault = LastAssignment(lines, "GRUB_CMDLINE_LINUX_DEFAULT");
        var changed = false;

        if (lastLinux >= 0) changed |= EditLine(lines, lastLinux, BootCommandLine.EditArguments);
        else
        {
            TextLines.AppendLines(lines, new[] { $"GRUB_CMDLINE_LINUX=\"{string.Join(" ", BootCommandLine.CgroupFlags)}\"" });
            changed = true;
        }
        if (lastDefault >= 0) changed |= EditLine(lines, lastDefault, BootCommandLine.RemoveCancellingArguments);

        return changed ? TextLines.ByteEncoding.GetBytes(TextLines.Join(lines)) : content;
    }

    /// <summary>The effective GRUB_CMDLINE_LINUX value (unquoted), or null when the file does not set it.</summary>
    public static string? CmdlineLinux(byte[] content)
    {
        var lines = TextLines.Split(TextLines.ByteEncoding.GetString(content));
        var index = LastAssignment(lines, "GRUB_CMDLINE_LINUX");
        return index < 0 ? null : Unquote(Assignment.Match(lines[index].Content).Groups["value"].Value).Value;
    }

    private static int LastAssignment(List<TextLines.Line> lines, string name)
    {
        for (var i = lines.Count - 1; i >= 0; i--)
        {
            var match = Assignment.Match(lines[i].Content);
            if (match.Success && match.Groups["name"].Value == name) return i;
        }
        return -1;
    }

    private static bool EditLine(List<TextLines.Line> lines, int index, Func<IReadOnlyList<string>, IReadOnlyList<string>> edit)
    {
        var match = Assignment.Match(lines[index].Content);
        var (value, quote) = Unquote(match.Groups["value"].Value);
        var arguments = BootCommandLine.Tokenize(value);
        var edited = edit(arguments);
        if (edited.SequenceEqual(arguments, StringComparer.Ordinal)) return false;
        // An unquoted value that now holds spaces must be quoted, or the shell would run the rest as a command.
        var q = quote == '\0' ? '"' : quote;
        var content = $"{match.Groups["lead"].Value}{q}{string.Join(" ", edited)}{q}{match.Groups["rest"].Value}";
        lines[index] = lines[index] with { Content = content };
        return true;
    }

    private static (string Value, char Quote) Unquote(string raw)
    {
        if (raw.Length >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw[raw.Length - 1] == raw[0])
            return (raw.Substring(1, raw.Length - 2), raw[0]);
        return (raw, '\0');
    }
}
