using System.IO;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace PiCluster.Tests.Conventions;

public class FormatConventionTests
{
    [Fact]
    public void EveryOutputTypeHasADefaultView()
    {
        var viewed = XDocument.Load(ModulePaths.FormatFile).Descendants("ViewSelectedBy").Elements("TypeName")
            .Select(t => t.Value.Trim()).ToHashSet();
        // A primitive (Test-PiCluster -Quiet's boolean) is formatted by PowerShell itself.
        var missing = ModuleSurface.Cmdlets.SelectMany(c => c.OutputTypes).Distinct()
            .Where(t => !t.IsPrimitive && !viewed.Contains(t.FullName!)).Select(t => t.FullName);
        Assert.Empty(missing);
    }

    [Fact]
    public void TheBuiltFormatFileIsTheSourceOne() =>
        Assert.Equal(File.ReadAllText(Path.Combine(ModulePaths.RepoRoot, "src", "PiCluster", "PiCluster.format.ps1xml")),
            File.ReadAllText(ModulePaths.FormatFile));
}
