using System;
using System.Linq;

namespace PiCluster.Steps.Runtime;

/// <summary>
/// <c>/etc/crictl.yaml</c>: points crictl (and kubeadm's runtime checks that use it) at the runtime's CRI socket.
/// Only the two endpoint keys are owned; any other line the user wrote (debug, timeout) stays.
/// </summary>
public static class CrictlConfig
{
    /// <summary>The file's path on the node.</summary>
    public const string Path = "/etc/crictl.yaml";

    /// <summary>The desired text, given the current one (null when the file is missing).</summary>
    public static string Render(string? current, string socketUri)
    {
        if (string.IsNullOrWhiteSpace(current))
            return $"runtime-endpoint: {socketUri}\nimage-endpoint: {socketUri}\ntimeout: 10\n";
        var lines = current!.Replace("\r\n", "\n").TrimEnd('\n').Split('\n').ToList();
        var insertAt = 0;
        foreach (var key in new[] { "runtime-endpoint", "image-endpoint" })
        {
            var index = lines.FindIndex(l => l.StartsWith(key + ":", StringComparison.Ordinal));
            var line = $"{key}: {socketUri}";
            if (index < 0) lines.Insert(insertAt, line);
            else lines[index] = line;
            insertAt = lines.IndexOf(line) + 1;
        }
        return string.Join("\n", lines) + "\n";
    }
}
