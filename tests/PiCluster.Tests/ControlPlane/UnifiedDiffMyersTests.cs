using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using PiCluster.Steps;
using Xunit;

namespace PiCluster.Tests.ControlPlane;

/// <summary>UnifiedDiff on DiffPlex: manifests of thousands of lines, and diffs that apply back exactly.</summary>
public class UnifiedDiffMyersTests
{
    [Fact]
    public void AManifestSizedFileWithOneChangeGivesOneSmallHunkQuickly()
    {
        var lines = Enumerable.Range(0, 20000).Select(i => $"line {i}").ToList();
        var before = string.Join("\n", lines) + "\n";
        lines[12345] = "changed";
        var after = string.Join("\n", lines) + "\n";
        var clock = Stopwatch.StartNew();
        var diff = UnifiedDiff.Create("/m.yaml", Encoding.ASCII.GetBytes(before), Encoding.ASCII.GetBytes(after));
        clock.Stop();
        Assert.Equal("--- /m.yaml\n+++ /m.yaml\n@@ -12343,7 +12343,7 @@\n line 12342\n line 12343\n line 12344\n-line 12345\n+changed\n line 12346\n line 12347\n line 12348\n", diff);
        // The n-by-m table this replaced needed 400 million cells here; Myers needs a few milliseconds.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void RemovalsComeBeforeAdditionsAndDistantChangesMakeSeparateHunks()
    {
        var before = string.Join("", Enumerable.Range(1, 20).Select(i => $"{i}\n"));
        var after = before.Replace("2\n", "two\n").Replace("18\n", "eighteen\n");
        var diff = UnifiedDiff.Create("/f", Encoding.ASCII.GetBytes(before), Encoding.ASCII.GetBytes(after));
        Assert.Equal(2, Regex.Matches(diff, "^@@", RegexOptions.Multiline).Count);
        Assert.Contains("-2\n+two\n", diff);
        Assert.Contains("-18\n+eighteen\n", diff);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomEditsApplyBackToTheNewFile(int seed)
    {
        var random = new Random(seed);
        var words = new[] { "a", "b", "c", "d", "a\r", "" };
        string Make(int n) => string.Join("", Enumerable.Range(0, n).Select(_ => words[random.Next(words.Length)] + "\n"));
        var before = Make(random.Next(0, 60));
        var after = Make(random.Next(0, 60)) + (random.Next(2) == 0 ? "tail" : "");
        var diff = UnifiedDiff.Create("/f", Encoding.ASCII.GetBytes(before), Encoding.ASCII.GetBytes(after));
        Assert.Equal(after, Apply(before, diff));
    }

    /// <summary>A minimal patch(1) for the diffs UnifiedDiff writes (^M marks a CRLF line, the marker line a missing newline).</summary>
    private static string Apply(string before, string diff)
    {
        if (diff.Length == 0) return before;
        var old = PiCluster.Steps.NodePrep.TextLines.Split(before).Select(l => l.Content + l.Terminator).ToList();
        var result = new List<string>();
        var position = 0;
        char lastOp = ' ';
        foreach (var line in diff.Split('\n').Skip(2))
        {
            var header = Regex.Match(line, @"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$");
            if (header.Success)
            {
                var oldStart = int.Parse(header.Groups[1].Value);
                var from = header.Groups[2].Value == "0" ? oldStart : oldStart - 1;
                while (position < from) result.Add(old[position++]);
                continue;
            }
            if (line == "\\ No newline at end of file")
            {
                if (lastOp != '-') result[^1] = result[^1].TrimEnd('\n');
                continue;
            }
            if (line.Length == 0) continue;
            lastOp = line[0];
            var body = line.Substring(1);
            var text = body.EndsWith("^M", StringComparison.Ordinal) ? body[..^2] + "\r\n" : body + "\n";
            if (lastOp != '+') position++;
            if (lastOp != '-') result.Add(text);
        }
        while (position < old.Count) result.Add(old[position++]);
        return string.Concat(result);
    }
}
