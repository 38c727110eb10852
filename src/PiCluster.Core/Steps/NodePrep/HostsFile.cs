using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Maintains <c>/etc/hosts</c>: a marked block listing every node of the cluster by LAN address, and the Debian
/// <c>127.0.1.1</c> line naming the node itself. The user's other lines are kept byte-identical.
/// </summary>
public static class HostsFile
{
    /// <summary>First line of the managed block.</summary>
    public const string BeginMarker = "# BEGIN PiCluster nodes (managed by PiCluster; edits inside this block are replaced)";

    /// <summary>Last line of the managed block.</summary>
    public const string EndMarker = "# END PiCluster nodes";

    /// <summary>
    /// Returns the edited file (the same array when nothing changes). Nodes whose LAN address is a loopback address are
    /// left out of the block: they would point one node's name at another node's own loopback.
    /// </summary>
    public static byte[] Edit(byte[] content, string ownName, IEnumerable<(string Name, string Address)> nodes)
    {
        if (content is null) throw new ArgumentNullException(nameof(content));
        var lines = TextLines.Split(TextLines.ByteEncoding.GetString(content));
        var terminator = TextLines.DominantTerminator(lines);
        var block = new List<string> { BeginMarker };
        ConfigToken.Require(ownName, "The host name");
        block.AddRange(nodes.Where(n => !IsLoopback(n.Address))
            .Select(n => $"{ConfigToken.Require(n.Address, "The address of " + n.Name)}\t{ConfigToken.Require(n.Name, "The node name")}"));
        block.Add(EndMarker);

        var result = new List<TextLines.Line>();
        var insertAt = -1;
        var inBlock = false;
        var ownLineDone = false;
        foreach (var line in lines)
        {
            if (line.Content == BeginMarker) { inBlock = true; insertAt = result.Count; continue; }
            if (inBlock) { if (line.Content == EndMarker) inBlock = false; continue; }
            if (IsSelfLine(line.Content))
            {
                // Debian names the host on 127.0.1.1; one such line, naming this node, is kept where it was.
                if (ownLineDone) continue;
                ownLineDone = true;
                result.Add(line with { Content = SelfLine(ownName, line.Content) });
                continue;
            }
            result.Add(line);
        }
        if (!ownLineDone)
        {
            var afterLocalhost = result.FindIndex(l => l.Content.StartsWith("127.0.0.1", StringComparison.Ordinal)) + 1;
            EnsureTerminated(result, afterLocalhost, terminator);
            result.Insert(afterLocalhost, new TextLines.Line($"127.0.1.1\t{ownName}", terminator));
            if (insertAt >= afterLocalhost) insertAt++;
        }
        if (insertAt < 0) insertAt = result.Count;
        EnsureTerminated(result, insertAt, terminator);
        result.InsertRange(insertAt, block.Select(b => new TextLines.Line(b, terminator)));
        var edited = TextLines.ByteEncoding.GetBytes(TextLines.Join(result));
        return edited.AsSpan().SequenceEqual(content) ? content : edited;
    }

    private static void EnsureTerminated(List<TextLines.Line> lines, int insertAt, string terminator)
    {
        if (insertAt > 0 && lines[insertAt - 1].Terminator.Length == 0) lines[insertAt - 1] = lines[insertAt - 1] with { Terminator = terminator };
    }

    private static bool IsSelfLine(string content)
    {
        var trimmed = content.TrimStart();
        return trimmed.StartsWith("127.0.1.1", StringComparison.Ordinal) && trimmed.Length > 9 && (trimmed[9] == ' ' || trimmed[9] == '\t');
    }

    // Keeps the line as it is when it already names the node; otherwise names the node alone.
    private static string SelfLine(string ownName, string current)
    {
        var names = current.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries).Skip(1).TakeWhile(n => !n.StartsWith("#", StringComparison.Ordinal)).ToList();
        return names.Count == 1 && names[0] == ownName ? current : $"127.0.1.1\t{ownName}";
    }

    private static bool IsLoopback(string address) => IPAddress.TryParse(address, out var ip) && IPAddress.IsLoopback(ip);
}
