using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace PiCluster.Tests.Conventions;

/// <summary>Every cmdlet and parameter is documented, in the markdown (the source) and in the MAML Get-Help reads.</summary>
public class HelpConventionTests
{
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";

    public static TheoryData<string> CmdletNames => CmdletConventionTests.CmdletNames;

    private static ModuleSurface.Cmdlet Get(string name) => ModuleSurface.Cmdlets.Single(c => c.Name == name);

    private static XElement MamlCommand(string name)
    {
        Assert.True(File.Exists(ModulePaths.MamlFile), "dotnet build generates en-US/PiCluster.dll-Help.xml");
        var command = XDocument.Load(ModulePaths.MamlFile).Descendants(Command + "command")
            .SingleOrDefault(c => c.Element(Command + "details")?.Element(Command + "name")?.Value == name);
        Assert.True(command is not null, $"{name} is missing from the MAML help; write en-US/docs/{name}.md and build.");
        return command!;
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void MarkdownDocumentsEveryParameter(string name)
    {
        var file = Path.Combine(ModulePaths.DocsDir, name + ".md");
        Assert.True(File.Exists(file), $"Write en-US/docs/{name}.md (copy a sibling).");
        var text = File.ReadAllText(file);
        Assert.Matches(new Regex(@"^# " + Regex.Escape(name) + @"\s*$", RegexOptions.Multiline), text);
        var documented = Regex.Matches(text, @"^### -(\w+)\s*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value)
            .OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(Get(name).DocumentedParameterNames, documented);
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void MarkdownPositionsAreTheRealOnes(string name)
    {
        var text = File.ReadAllText(Path.Combine(ModulePaths.DocsDir, name + ".md"));
        foreach (var parameter in Get(name).Parameters)
        {
            var section = Regex.Match(text, @"^### -" + parameter.Name + @"\s*$(?<body>.*?)^Position:\s*(?<position>\S+)",
                RegexOptions.Multiline | RegexOptions.Singleline);
            Assert.True(section.Success, $"{name}.md: -{parameter.Name} has no 'Position:' line");
            Assert.True(ModuleSurface.Cmdlet.PositionOf(parameter) == section.Groups["position"].Value,
                $"{name}.md says -{parameter.Name} is at Position {section.Groups["position"].Value}, the cmdlet says {ModuleSurface.Cmdlet.PositionOf(parameter)}.");
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void MamlHasSynopsisDescriptionExampleAndEveryParameter(string name)
    {
        var command = MamlCommand(name);
        Assert.False(string.IsNullOrWhiteSpace(command.Element(Command + "details")!.Element(Maml + "description")?.Value), "synopsis");
        Assert.False(string.IsNullOrWhiteSpace(command.Element(Maml + "description")?.Value), "description");
        Assert.NotEmpty(command.Descendants(Command + "example"));
        var parameters = command.Element(Command + "parameters")!.Elements(Command + "parameter").ToList();
        Assert.Equal(Get(name).DocumentedParameterNames,
            parameters.Select(p => p.Element(Maml + "name")!.Value).OrderBy(n => n, StringComparer.Ordinal));
        Assert.All(parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Element(Maml + "description")?.Value),
            $"-{p.Element(Maml + "name")!.Value} has no description"));
    }

    [Fact]
    public void NoDocsForCmdletsThatDoNotExist()
    {
        var cmdlets = ModuleSurface.Cmdlets.Select(c => c.Name).ToHashSet();
        var stale = Directory.GetFiles(ModulePaths.DocsDir, "*.md").Select(Path.GetFileNameWithoutExtension)
            .Where(n => !cmdlets.Contains(n!));
        Assert.Empty(stale);
    }

    [Fact]
    public void TheAboutTopicExists() =>
        Assert.True(File.Exists(Path.Combine(ModulePaths.HelpDir, "about_PiCluster.help.txt")));
}
