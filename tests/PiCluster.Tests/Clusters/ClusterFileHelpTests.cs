using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using PiCluster.Clusters;
using Xunit;

namespace PiCluster.Tests.Clusters;

/// <summary>The about_ topic documents every field, and its examples are valid cluster files.</summary>
public class ClusterFileHelpTests
{
    private static readonly string Help = File.ReadAllText(Path.Combine(RepoRoot(), "en-US", "about_PiCluster_ClusterFile.help.txt"));

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PiCluster.psd1")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void EveryFieldIsDocumented() =>
        Assert.All(ClusterFileReader.AllFieldNames, field => Assert.Matches(@"(^|[\s.])" + Regex.Escape(field) + @"[\s.]", Help));

    [Fact]
    public void TheExamplesLoad()
    {
        var examples = Help.Substring(Help.IndexOf("\nEXAMPLES", StringComparison.Ordinal))
            .Split("\n\n")
            .Select(block => block.Split('\n').Where(l => l.StartsWith("        ", StringComparison.Ordinal)).Select(l => l.Substring(8)).ToList())
            .Where(lines => lines.Count > 0 && lines[0].StartsWith("name:", StringComparison.Ordinal))
            .Select(lines => string.Join("\n", lines))
            .ToList();

        Assert.Equal(3, examples.Count);
        Assert.All(examples, yaml => Assert.NotEmpty(ClusterFileLoader.Parse(yaml, "about_PiCluster_ClusterFile").Nodes));
    }
}
