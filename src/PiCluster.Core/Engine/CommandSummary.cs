using System;
using System.Linq;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>The one line -Verbose shows for a remote command. Never includes the command's input.</summary>
internal static class CommandSummary
{
    private const int MaxLength = 160;

    /// <summary>The command's <see cref="RemoteCommand.Display"/>, or its first meaningful script line, redacted.</summary>
    public static string Describe(RemoteCommand command, Redactor redactor)
    {
        var text = command.Display;
        if (string.IsNullOrWhiteSpace(text))
        {
            var lines = command.Script.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim())
                .Where(l => l.Length > 0 && !l.StartsWith("#!", StringComparison.Ordinal)).ToList();
            // Scripts open with a comment saying what they do; that reads better than their first command.
            var first = lines.FirstOrDefault() ?? "";
            text = first.StartsWith("#", StringComparison.Ordinal) ? first.TrimStart('#', ' ') : first;
            if (lines.Count > 1) text += $" ({lines.Count} lines)";
        }
        text = text!.Replace("\r", " ").Replace("\n", " ");
        if (text.Length > MaxLength) text = text.Substring(0, MaxLength - 3) + "...";
        return redactor.Redact((command.AsRoot ? "sudo: " : "") + text);
    }
}
