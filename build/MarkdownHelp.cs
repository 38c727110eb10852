// Converts the platyPS-style markdown in en-US/docs/*.md into the MAML file PowerShell's Get-Help reads
// (en-US/PiCluster.dll-Help.xml). PlatyPS is not available on the build machines, and a generated file cannot drift
// from its source. Compiled by MSBuild's RoslynCodeTaskFactory (build/Help.targets); keep it dependency-free.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Build.Framework;

public sealed class MarkdownToMaml : Microsoft.Build.Utilities.Task
{
    [Required] public ITaskItem[] Sources { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Output { get; set; } = "";

    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public override bool Execute()
    {
        var commands = new List<XElement>();
        foreach (var source in Sources.OrderBy(s => s.ItemSpec, StringComparer.Ordinal))
        {
            try { commands.Add(Convert(File.ReadAllText(source.ItemSpec))); }
            catch (FormatException e) { Log.LogError(null, null, null, source.ItemSpec, 0, 0, 0, 0, e.Message); }
        }
        if (Log.HasLoggedErrors) return false;
        var doc = new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), commands));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(Output))!);
        File.WriteAllText(Output, doc.Declaration + Environment.NewLine + doc.ToString());
        return true;
    }

    private sealed class Section
    {
        public string Title = "";
        public List<string> Lines = new();
        public List<Section> Children = new();
    }

    private static XElement Convert(string markdown)
    {
        var lines = Regex.Replace(markdown, "^---\n.*?\n---\n", "", RegexOptions.Singleline).Replace("\r\n", "\n").Split('\n');
        // Headings inside ``` blocks are not headings.
        Section? h1 = null, h2 = null, h3 = null;
        var inCode = false;
        foreach (var line in lines)
        {
            if (line.StartsWith("```", StringComparison.Ordinal)) inCode = !inCode;
            if (!inCode && line.StartsWith("# ", StringComparison.Ordinal)) { h1 = new Section { Title = line.Substring(2).Trim() }; h2 = h3 = null; continue; }
            if (!inCode && line.StartsWith("## ", StringComparison.Ordinal) && h1 is not null) { h2 = new Section { Title = line.Substring(3).Trim() }; h1.Children.Add(h2); h3 = null; continue; }
            if (!inCode && line.StartsWith("### ", StringComparison.Ordinal) && h2 is not null) { h3 = new Section { Title = line.Substring(4).Trim() }; h2.Children.Add(h3); continue; }
            (h3 ?? h2 ?? h1)?.Lines.Add(line);
        }
        if (h1 is null) throw new FormatException("No '# Verb-Noun' title.");
        var name = h1.Title;
        var dash = name.IndexOf('-');
        if (dash <= 0) throw new FormatException($"Title '{name}' is not Verb-Noun.");
        Section Get(string title) => h1.Children.FirstOrDefault(c => c.Title == title)
            ?? throw new FormatException($"{name}: missing section '## {title}'.");

        var synopsis = Text(Get("SYNOPSIS").Lines);
        if (synopsis.Length == 0) throw new FormatException($"{name}: empty SYNOPSIS.");
        var setNames = Get("SYNTAX").Children.Select(c => c.Title.Replace("(Default)", "").Trim()).ToList();
        var parameters = Get("PARAMETERS").Children.Where(c => c.Title.StartsWith("-", StringComparison.Ordinal))
            .Select(c => Parameter.Parse(name, c)).ToList();

        return new XElement(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml), new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XElement(Command + "details",
                new XElement(Command + "name", name),
                new XElement(Command + "verb", name.Substring(0, dash)),
                new XElement(Command + "noun", name.Substring(dash + 1)),
                Paras(Maml + "description", synopsis)),
            Paras(Maml + "description", Text(Get("DESCRIPTION").Lines)),
            new XElement(Command + "syntax", (setNames.Count == 0 ? new List<string> { "" } : setNames).Select(set =>
                new XElement(Command + "syntaxItem", new XElement(Maml + "name", name),
                    parameters.Where(p => p.InSet(set)).OrderBy(p => p.SortKey).Select(p => p.ToXml(inSyntax: true))))),
            new XElement(Command + "parameters", parameters.Select(p => p.ToXml(inSyntax: false))),
            new XElement(Command + "inputTypes", TypeEntries(Get("INPUTS"), "inputType")),
            new XElement(Command + "returnValues", TypeEntries(Get("OUTPUTS"), "returnValue")),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert",
                ParaList(Text(h1.Children.FirstOrDefault(c => c.Title == "NOTES")?.Lines ?? new List<string>())))),
            new XElement(Command + "examples", Get("EXAMPLES").Children.Select(Example)),
            new XElement(Command + "relatedLinks", Links(h1.Children.FirstOrDefault(c => c.Title == "RELATED LINKS"))));
    }

    private sealed class Parameter
    {
        public string Name = "", Description = "", Type = "", Position = "Named", Default = "None", Pipeline = "False", Aliases = "";
        public bool Required, Globbing;
        public List<string> Sets = new();
        public int SortKey => int.TryParse(Position, out var p) ? p : int.MaxValue;
        public bool InSet(string set) => Sets.Contains("(All)") || set.Length == 0 || Sets.Contains(set);

        public static Parameter Parse(string command, Section section)
        {
            var p = new Parameter { Name = section.Title.Substring(1).Trim() };
            var text = new List<string>();
            var yaml = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var inYaml = false;
            foreach (var line in section.Lines)
            {
                if (line.StartsWith("```", StringComparison.Ordinal)) { inYaml = !inYaml; continue; }
                if (!inYaml) { text.Add(line); continue; }
                var colon = line.IndexOf(':');
                if (colon > 0) yaml[line.Substring(0, colon).Trim()] = line.Substring(colon + 1).Trim();
            }
            string Field(string key) => yaml.TryGetValue(key, out var v) ? v
                : throw new FormatException($"{command} -{p.Name}: the yaml block has no '{key}:'.");
            p.Description = Text(text);
            if (p.Description.Length == 0) throw new FormatException($"{command} -{p.Name}: no description.");
            p.Type = Field("Type");
            p.Sets = Field("Parameter Sets").Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
            p.Aliases = Field("Aliases");
            p.Required = Field("Required").StartsWith("True", StringComparison.OrdinalIgnoreCase);
            p.Position = Field("Position");
            p.Default = Field("Default value");
            p.Pipeline = Field("Accept pipeline input");
            p.Globbing = Field("Accept wildcard characters").StartsWith("True", StringComparison.OrdinalIgnoreCase);
            return p;
        }

        public XElement ToXml(bool inSyntax)
        {
            var isSwitch = Type == "SwitchParameter";
            return new XElement(Command + "parameter",
                new XAttribute("required", Required ? "true" : "false"), new XAttribute("variableLength", "true"),
                new XAttribute("globbing", Globbing ? "true" : "false"), new XAttribute("pipelineInput", Pipeline),
                new XAttribute("position", Position.ToLowerInvariant()),
                new XAttribute("aliases", Aliases.Length == 0 ? "none" : Aliases),
                new XElement(Maml + "name", Name),
                Paras(Maml + "description", Description),
                isSwitch && inSyntax ? null : new XElement(Command + "parameterValue",
                    new XAttribute("required", isSwitch ? "false" : "true"), new XAttribute("variableLength", "false"), Type),
                new XElement(Dev + "type", new XElement(Maml + "name", Type), new XElement(Maml + "uri")),
                new XElement(Dev + "defaultValue", Default));
        }
    }

    private static IEnumerable<XElement> TypeEntries(Section section, string element) =>
        section.Children.Select(c => new XElement(Command + element,
            new XElement(Dev + "type", new XElement(Maml + "name", c.Title)), Paras(Maml + "description", Text(c.Lines))));

    private static XElement Example(Section example)
    {
        var code = new List<string>();
        var remarks = new List<string>();
        var inCode = false;
        foreach (var line in example.Lines)
        {
            if (line.StartsWith("```", StringComparison.Ordinal)) { inCode = !inCode; continue; }
            (inCode ? code : remarks).Add(line);
        }
        return new XElement(Command + "example",
            new XElement(Maml + "title", $"-------------------------- {example.Title} --------------------------"),
            new XElement(Dev + "code", string.Join("\n", code).Trim()),
            new XElement(Dev + "remarks", ParaList(Text(remarks))));
    }

    private static IEnumerable<XElement> Links(Section? section) =>
        section is null ? Enumerable.Empty<XElement>() : section.Lines
            .Select(l => Regex.Match(l, @"\[(?<text>[^\]]*)\]\((?<uri>[^)]*)\)")).Where(m => m.Success)
            .Select(m => new XElement(Maml + "navigationLink",
                new XElement(Maml + "linkText", m.Groups["text"].Value), new XElement(Maml + "uri", m.Groups["uri"].Value)));

    /// <summary>Markdown paragraphs joined into plain text; blank lines separate paragraphs.</summary>
    private static string Text(IEnumerable<string> lines) => string.Join("\n", lines).Trim();

    private static IEnumerable<XElement> ParaList(string text) =>
        Regex.Split(text, @"\n\s*\n").Where(p => p.Trim().Length > 0)
            .Select(p => new XElement(Maml + "para", Regex.Replace(p.Trim(), @"\s*\n\s*", " ")));

    private static XElement Paras(XName name, string text) => new(name, ParaList(text));
}
