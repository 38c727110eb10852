using System;
using System.Collections.Generic;
using System.Text;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Steps;

/// <summary>Unified diffs of small text files (config and boot files), for -WhatIf and results.</summary>
public static class UnifiedDiff
{
    /// <summary>
    /// A unified diff from <paramref name="before"/> (null: the file does not exist) to <paramref name="after"/>, with
    /// three lines of context. Line terminators count (a CRLF line differs from an LF line; CR shows as ^M), so a diff
    /// is never empty when the bytes differ. Returns "" when the files are equal.
    /// </summary>
    public static string Create(string path, byte[]? before, byte[] after)
    {
        var a = before is null ? new List<TextLines.Line>() : TextLines.Split(TextLines.ByteEncoding.GetString(before));
        var b = TextLines.Split(TextLines.ByteEncoding.GetString(after));
        if (before is not null && before.AsSpan().SequenceEqual(after)) return "";

        // Longest common subsequence over whole lines (files here are small).
        var lcs = new int[a.Count + 1, b.Count + 1];
        for (var i = a.Count - 1; i >= 0; i--)
            for (var j = b.Count - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var ops = new List<(char Op, TextLines.Line Line)>();
        int x = 0, y = 0;
        while (x < a.Count || y < b.Count)
        {
            if (x < a.Count && y < b.Count && a[x] == b[y]) { ops.Add((' ', a[x])); x++; y++; }
            // Removals before additions, as diff prints them.
            else if (x < a.Count && (y == b.Count || lcs[x + 1, y] >= lcs[x, y + 1])) ops.Add(('-', a[x++]));
            else ops.Add(('+', b[y++]));
        }

        var text = new StringBuilder();
        text.Append("--- ").Append(before is null ? "/dev/null" : path).Append('\n');
        text.Append("+++ ").Append(path).Append('\n');
        const int Context = 3;
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

    private static string Range(int start, int count) => count == 1 ? $"{start}" : $"{(count == 0 ? start - 1 : start)},{count}";
}
