using System.Collections.Generic;
using System.Text;

namespace PiCluster.Steps.NodePrep;

/// <summary>Line handling that keeps every byte: each line carries its own terminator ("\n", "\r\n" or none).</summary>
public static class TextLines
{
    /// <summary>Latin-1: one char per byte, so files of any encoding round-trip through string edits unchanged.</summary>
    public static readonly Encoding ByteEncoding = Encoding.Latin1;

    /// <summary>Splits text into lines, each with its terminator, so that concatenating them gives the text back.</summary>
    public static List<Line> Split(string text)
    {
        var lines = new List<Line>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n') continue;
            var contentEnd = i > start && text[i - 1] == '\r' ? i - 1 : i;
            lines.Add(new Line(text.Substring(start, contentEnd - start), text.Substring(contentEnd, i + 1 - contentEnd)));
            start = i + 1;
        }
        if (start < text.Length) lines.Add(new Line(text.Substring(start), ""));
        return lines;
    }

    /// <summary>Joins lines back into text.</summary>
    public static string Join(IEnumerable<Line> lines)
    {
        var builder = new StringBuilder();
        foreach (var line in lines) builder.Append(line.Content).Append(line.Terminator);
        return builder.ToString();
    }

    /// <summary>The terminator most lines use ("\n" when there are none), for lines PiCluster adds.</summary>
    public static string DominantTerminator(IReadOnlyList<Line> lines)
    {
        int crlf = 0, lf = 0;
        foreach (var line in lines)
        {
            if (line.Terminator == "\r\n") crlf++;
            else if (line.Terminator == "\n") lf++;
        }
        return crlf > lf ? "\r\n" : "\n";
    }

    /// <summary>Appends lines after existing text, first ending its last line if it has no terminator.</summary>
    public static void AppendLines(List<Line> lines, IEnumerable<string> contents)
    {
        var terminator = DominantTerminator(lines);
        if (lines.Count > 0 && lines[lines.Count - 1].Terminator.Length == 0)
            lines[lines.Count - 1] = lines[lines.Count - 1] with { Terminator = terminator };
        foreach (var content in contents) lines.Add(new Line(content, terminator));
    }

    /// <summary>One line of a file: its text and its terminator.</summary>
    public readonly record struct Line(string Content, string Terminator);
}
