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
