using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;

namespace PiCluster.Tests.Fakes;

/// <summary>One file a composed script writes, read back from its PICLUSTER_WRITES variable (FileEdit.WriteRequest).</summary>
public sealed record ScriptWrite(string Expected, string Mode, string Path, byte[] Content)
{
    /// <summary>The content as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Content);
}

/// <summary>The file writes a composed remote script carries as data.</summary>
public static class ScriptWrites
{
    private static readonly Regex Variable = new(@"(?m)^PICLUSTER_WRITES='((?:[^']|'\\'')*)'$", RegexOptions.CultureInvariant);

    /// <summary>The writes of <paramref name="script"/>, in order; none when it writes no file.</summary>
    public static IReadOnlyList<ScriptWrite> Of(string script)
    {
        var writes = new List<ScriptWrite>();
        foreach (Match match in Variable.Matches(script))
        {
            var lines = match.Groups[1].Value.Replace("'\\''", "'").Split('\n');
            for (var i = 0; i + 1 < lines.Length; i += 2)
            {
                var head = lines[i].Split(' ', 3);
                writes.Add(new ScriptWrite(head[0], head[1], head[2], Convert.FromBase64String(lines[i + 1])));
            }
        }
        return writes;
    }
}
