using System.IO;
using System.Linq;
using Xunit;

namespace PiCluster.Tests.Conventions;

/// <summary>The README stays true: it lists every cmdlet, and CI runs the test command it shows.</summary>
public class ReadmeConventionTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(ModulePaths.RepoRoot, "README.md"));

    [Fact]
    public void TheCmdletTableListsEveryCmdlet()
    {
        var missing = ModuleSurface.Cmdlets.Select(c => c.Name).Where(n => !Readme.Contains($"| `{n}` |"));
        Assert.Empty(missing);
    }

    [Fact]
    public void TheClusterFileExampleLoads()
    {
        var example = System.Text.RegularExpressions.Regex.Match(Readme, "## A cluster file\\s*```yaml\\n(?<yaml>.*?)```",
            System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.True(example.Success, "README has a yaml example under '## A cluster file'");
        var cluster = PiCluster.Clusters.ClusterFileLoader.Parse(example.Groups["yaml"].Value, "README.md");
        Assert.Equal(2, cluster.Nodes.Count);
    }

    [Fact]
    public void CiRunsTheReadmesTestCommands()
    {
        const string all = "dotnet test PiCluster.sln";
        const string unitOnly = "--filter \"Category!=Lab\"";
        Assert.Contains(all, Readme);
        Assert.Contains(all + " " + unitOnly, Readme);
        var ci = File.ReadAllText(Path.Combine(ModulePaths.RepoRoot, ".ci", "run"));
        Assert.Contains("dotnet test PiCluster.sln", ci);
        Assert.Contains("Category!=Lab", ci);
    }
}
