using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using DiffPlex;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Steps;

/// <summary>
/// Unified diffs of text files (config and boot files, and CNI manifests of thousands of lines), for -WhatIf and results.
/// The line matching is DiffPlex's Myers diff (O((n+m)·d) time, linear memory), so a large file with a few changes is cheap.
/// </summary>
public static class UnifiedDiff
{
    private const int Context = 3;

    /// <summary>
    /// A unified diff from <paramref name="before"/> (null: the file does not exist) to <paramref name="after"/>, with
    /// three lines of context. Line terminators count (a CRLF line differs from an LF line; CR shows as ^M), so a diff
    /// is never empty when the bytes differ. Returns "" when the files are equal.
    /// </summary>
    public static string Create(string path, byte[]? before, byte[] after)
    {
        if (before is not null && before.AsSpan().SequenceEqual(after)) return "";
        var oldText = before is null ? "" : TextLines.ByteEncoding.GetString(before);
        var newText = TextLines.ByteEncoding.GetString(after);
        var a = TextLines.Split(oldText);
        var b = TextLines.Split(newText);
        var ops = EditScript(oldText, newText, a, b);

        var text = new StringBuilder();
        text.Append("--- ").Append(before is null ? "/dev/null" : path).Append('\n');
        text.Append("+++ ").Append(path).Append('\n');
        var index = 0;
        while (index < ops.Count)
        {
            var firstChange = ops.FindIndex(index, o => o.Op != ' ');
            if (firstChange < 0) break;
            var start = Math.Max(index, firstChange - Context);
            var end = firstChange;
            // Extend the hunk while the next change is within 2*Context unchanged lines.
            while (true)
            {
                var next = end;
                while (next < ops.Count && ops[next].Op != ' ') next++;
                var nextChange = ops.FindIndex(next, o => o.Op != ' ');
                if (nextChange >= 0 && nextChange - next <= 2 * Context) { end = nextChange; continue; }
                end = Math.Min(ops.Count, next + Context);
                break;
            }
            int oldStart = 1, newStart = 1;
            for (var k = 0; k < start; k++) { if (ops[k].Op != '+') oldStart++; if (ops[k].Op != '-') newStart++; }
            int oldCount = 0, newCount = 0;
            for (var k = start; k < end; k++) { if (ops[k].Op != '+') oldCount++; if (ops[k].Op != '-') newCount++; }
            text.Append("@@ -").Append(Range(oldStart, oldCount)).Append(" +").Append(Range(newStart, newCount)).Append(" @@\n");
            for (var k = start; k < end; k++)
            {
                text.Append(ops[k].Op).Append(ops[k].Line.Content);
                if (ops[k].Line.Terminator == "\r\n") text.Append("^M");
                text.Append('\n');
                if (ops[k].Line.Terminator.Length == 0) text.Append("\\ No newline at end of file\n");
            }
            index = end;
        }
        return text.ToString();
    }

    /// <summary>Every line as kept (' '), removed ('-') or added ('+'), removals before additions as diff prints them.</summary>
    private static List<(char Op, TextLines.Line Line)> EditScript(string oldText, string newText, List<TextLines.Line> a, List<TextLines.Line> b)
    {
        // Whole lines with their terminators are the pieces, so "x\r\n" and "x\n" differ.
        var result = Differ.Instance.CreateDiffs(oldText, newText, ignoreWhiteSpace: false, ignoreCase: false, LineChunker.Instance);
        var ops = new List<(char, TextLines.Line)>(a.Count + b.Count);
        int x = 0, y = 0;
        foreach (var block in result.DiffBlocks.OrderBy(d => d.DeleteStartA))
        {
            while (x < block.DeleteStartA) { ops.Add((' ', a[x++])); y++; }
            for (var k = 0; k < block.DeleteCountA; k++) ops.Add(('-', a[x++]));
            for (var k = 0; k < block.InsertCountB; k++) ops.Add(('+', b[y++]));
        }
        while (x < a.Count) { ops.Add((' ', a[x++])); y++; }
        return ops;
    }

    private static string Range(int start, int count) => count == 1 ? $"{start}" : $"{(count == 0 ? start - 1 : start)},{count}";

    /// <summary>Splits text exactly as <see cref="TextLines.Split"/> does, each piece a line with its terminator.</summary>
    private sealed class LineChunker : IChunker
    {
        public static readonly LineChunker Instance = new();

        public IReadOnlyList<string> Chunk(string str) => TextLines.Split(str).Select(l => l.Content + l.Terminator).ToArray();
    }
}
