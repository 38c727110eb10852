using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace PiCluster.Clusters;

/// <summary>
/// Turns the YAML tree into a <see cref="ClusterDefinition"/>: known fields, scalar types and shapes. It remembers where
/// every value was, so that <see cref="ClusterValidator"/> can point at it. Field tables instead of a deserializer, because
/// a deserializer stops at the first problem and forgets positions.
/// </summary>
internal sealed class ClusterFileReader
{
    private delegate void FieldReader<in T>(ClusterFileReader reader, T target, YamlNode value, string field);

    private static readonly Dictionary<string, FieldReader<KubernetesSettings>> KubernetesFields = new()
    {
        ["version"] = (r, k, v, f) => k.Version = r.Text(v, f) ?? k.Version,
        ["podSubnet"] = (r, k, v, f) => k.PodSubnet = r.Text(v, f) ?? k.PodSubnet,
        ["serviceSubnet"] = (r, k, v, f) => k.ServiceSubnet = r.Text(v, f) ?? k.ServiceSubnet,
        ["controlPlaneEndpoint"] = (r, k, v, f) => k.ControlPlaneEndpoint = r.Text(v, f) ?? "",
        ["certSANs"] = (r, k, v, f) => k.CertSans = r.TextList(v, f, k),
        ["imageRepository"] = (r, k, v, f) => k.ImageRepository = r.Text(v, f) ?? "",
        ["packageRepository"] = (r, k, v, f) => k.PackageRepository = r.Text(v, f) ?? "",
        ["repositoryKey"] = (r, k, v, f) => k.RepositoryKey = r.Text(v, f) ?? "",
        ["repositoryKeyFingerprint"] = (r, k, v, f) => k.RepositoryKeyFingerprint = r.Text(v, f) ?? "",
    };

    private static readonly Dictionary<string, FieldReader<NetworkSettings>> NetworkFields = new()
    {
        ["plugin"] = (r, n, v, f) => n.Plugin = r.Text(v, f) ?? n.Plugin,
        ["manifest"] = (r, n, v, f) => n.Manifest = r.Text(v, f) ?? "",
        ["manifestSha256"] = (r, n, v, f) => n.ManifestSha256 = r.Text(v, f) ?? "",
    };

    private static readonly Dictionary<string, FieldReader<RuntimeSettings>> RuntimeFields = new()
    {
        ["name"] = (r, n, v, f) => n.Name = r.Text(v, f) ?? n.Name,
    };

    private static readonly Dictionary<string, FieldReader<SshSettings>> SshFields = new()
    {
        ["user"] = (r, s, v, f) => s.User = r.Text(v, f),
        ["port"] = (r, s, v, f) => s.Port = r.Number(v, f, ValueRules.MinPort, ValueRules.MaxPort),
        ["identityFile"] = (r, s, v, f) => s.IdentityFile = r.Text(v, f),
        ["configFile"] = (r, s, v, f) => s.ConfigFile = r.Text(v, f),
        ["transport"] = (r, s, v, f) => s.Transport = r.Text(v, f),
    };

    private static readonly Dictionary<string, FieldReader<LanSettings>> LanFields = new()
    {
        ["interface"] = (r, l, v, f) => l.Interface = r.Text(v, f) ?? l.Interface,
        ["prefixLength"] = (r, l, v, f) => l.PrefixLength = r.Number(v, f, 1, 128) ?? l.PrefixLength,
        ["gateway"] = (r, l, v, f) => l.Gateway = r.Text(v, f) ?? "",
        ["dns"] = (r, l, v, f) => l.Dns = r.TextList(v, f, l),
    };

    private static readonly Dictionary<string, FieldReader<NodeDefinition>> NodeFields = new()
    {
        ["name"] = (r, n, v, f) => n.Name = r.Text(v, f) ?? "",
        ["address"] = (r, n, v, f) => n.Address = r.Text(v, f) ?? "",
        ["lanAddress"] = (r, n, v, f) => n.LanAddress = r.Text(v, f),
        ["role"] = (r, n, v, f) => n.Role = r.Text(v, f) ?? n.Role,
        ["ssh"] = (r, n, v, _) => r.Map(v, "a node's 'ssh'", n.Ssh, SshFields),
    };

    // Last: static fields initialise in order, and this table refers to the others.
    private static readonly Dictionary<string, FieldReader<ClusterDefinition>> RootFields = new()
    {
        ["name"] = (r, c, v, f) => c.Name = r.Text(v, f) ?? "",
        ["kubernetes"] = (r, c, v, _) => r.Map(v, "'kubernetes'", c.Kubernetes, KubernetesFields),
        ["network"] = (r, c, v, _) => r.Map(v, "'network'", c.Network, NetworkFields),
        ["runtime"] = (r, c, v, _) => r.Map(v, "'runtime'", c.Runtime, RuntimeFields),
        ["ssh"] = (r, c, v, _) => r.Map(v, "'ssh'", c.Ssh, SshFields),
        ["lan"] = (r, c, v, _) =>
        {
            if (!IsNull(v))
                r.Map(v, "'lan'", c.Lan = new LanSettings(), LanFields);
        },
        ["nodes"] = (r, c, v, f) => r.Nodes(c, v, f),
    };

    /// <summary>Every field name the format knows, for documentation checks.</summary>
    internal static IEnumerable<string> AllFieldNames => RootFields.Keys.Concat(KubernetesFields.Keys).Concat(NetworkFields.Keys)
        .Concat(RuntimeFields.Keys).Concat(SshFields.Keys).Concat(LanFields.Keys).Concat(NodeFields.Keys).Distinct();

    private readonly List<ClusterFileError> _errors;
    private readonly string _file;

    /// <summary>The file name errors report (the path as given to the loader).</summary>
    public string FileName => _file;

    private ClusterFileReader(string file, List<ClusterFileError> errors)
    {
        _file = file;
        _errors = errors;
    }

    /// <summary>True when 'nodes' or one of its entries had the wrong shape (already reported).</summary>
    public bool NodesMalformed { get; private set; }

    /// <summary>Where each value was: owner object → field name ("" for the owner's own mapping) → mark.</summary>
    public Dictionary<object, Dictionary<string, Mark>> Positions { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Reads the YAML text. Returns null when the YAML itself is unusable (syntax error, no document, not a mapping);
    /// every problem goes to <paramref name="errors"/>.
    /// </summary>
    public static (ClusterDefinition? Cluster, ClusterFileReader Reader) Read(string yaml, string file, List<ClusterFileError> errors)
    {
        var reader = new ClusterFileReader(file, errors);
        // YamlDotNet's object model recurses per nesting level and expands aliases, so a hostile file could overflow the
        // stack or run for minutes: its events are checked first, with the parser alone, which does neither.
        var scan = reader.ScanEvents(yaml);
        if (!scan.SafeToLoad)
            return (null, reader);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            reader.SyntaxError(yaml, e);
            return (null, reader);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            reader.UnclosedFlowError(scan.OpenFlow, scan.Last);
            return (null, reader);
        }
        if (stream.Documents.Count == 0)
        {
            reader.Error(Mark.Empty, "The file has no content: write a cluster definition (see Get-Help about_PiCluster_ClusterFile).");
            return (null, reader);
        }
        if (stream.Documents.Count > 1)
            reader.Error(stream.Documents[1].RootNode.Start, "The file holds more than one YAML document: keep one cluster definition per file and remove the '---' separator.");
        var root = stream.Documents[0].RootNode;
        if (root is not YamlMappingNode)
        {
            reader.Error(root.Start, "The file must be a mapping of fields (name, kubernetes, network, runtime, ssh, lan, nodes), not a single value or list.");
            return (null, reader);
        }
        var cluster = new ClusterDefinition();
        reader.Map(root, "", cluster, RootFields);
        return (cluster, reader);
    }

    /// <summary>True when the file gave the field (rather than leaving it to its default).</summary>
    public bool Has(object owner, string field) => Positions.TryGetValue(owner, out var fields) && fields.ContainsKey(field);

    /// <summary>Where a field's value was; falls back to the owner's mapping, then to the start of the file.</summary>
    public Mark Where(object owner, string field = "") =>
        Positions.TryGetValue(owner, out var fields) && (fields.TryGetValue(field, out var mark) || fields.TryGetValue("", out mark))
            ? mark
            : Mark.Empty;

    /// <summary>
    /// Reads the YAML events with the parser alone (flat, no object model), up to the end or to a syntax error: refuses
    /// anchors, aliases and nesting deeper than <see cref="ClusterFileLimits.MaxDepth"/>. The innermost unclosed '[' or
    /// '{' and the last content event read say where a syntax error is.
    /// </summary>
    private (bool SafeToLoad, ParsingEvent? OpenFlow, ParsingEvent? Last) ScanEvents(string yaml)
    {
        var open = new Stack<ParsingEvent>();
        ParsingEvent? last = null;
        ParsingEvent? OpenFlow() => open.FirstOrDefault(e => e is SequenceStart { Style: SequenceStyle.Flow } or MappingStart { Style: MappingStyle.Flow });
        var parser = new Parser(new StringReader(yaml));
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                if (current is AnchorAlias alias)
                {
                    Error(alias.Start, $"An alias (*{ValueRules.Show(alias.Value.Value)}) is not allowed in a cluster file: write the value out instead of referring to an anchor.");
                    return (false, null, null);
                }
                if (current is NodeEvent { Anchor.IsEmpty: false } anchored)
                {
                    Error(anchored.Start, $"An anchor (&{ValueRules.Show(anchored.Anchor.Value)}) is not allowed in a cluster file: remove it and write every value out.");
                    return (false, null, null);
                }
                if (current is not (SequenceEnd or MappingEnd or DocumentEnd or StreamEnd))
                    last = current;
                if (current is SequenceStart or MappingStart)
                {
                    open.Push(current);
                    if (open.Count > ClusterFileLimits.MaxDepth)
                    {
                        Error(current.Start, $"The YAML is nested more than {ClusterFileLimits.MaxDepth} levels deep here: a cluster file needs a few levels; check the brackets and indentation.");
                        return (false, null, null);
                    }
                }
                else if (current is SequenceEnd or MappingEnd && open.Count > 0)
                {
                    open.Pop();
                }
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException or ArgumentException)
        {
            // A syntax error: loading stops at the same place (or earlier, as on a keyless entry) and says it best.
            // Up to here nothing was too deep and nothing had an anchor, so loading is safe.
        }
        return (true, OpenFlow(), last);
    }

    private void UnclosedFlowError(ParsingEvent? open, ParsingEvent? last) =>
        Error(open?.Start ?? last?.Start ?? Mark.Empty, open is SequenceStart
            ? "YAML syntax error: the list opened with '[' here is not closed: add the matching ']'."
            : open is MappingStart
                ? "YAML syntax error: the mapping opened with '{' here is not closed: add the matching '}'."
                : "YAML syntax error near here: check the indentation, colons and quotes on this line.");

    private void SyntaxError(string yaml, YamlException e)
    {
        var duplicate = Regex.Match(e.Message, "^Duplicate key (.*)$");
        if (duplicate.Success)
        {
            Error(e.Start, $"Field '{duplicate.Groups[1].Value}' is given twice in this mapping: keep one of them.");
            return;
        }
        // The scanner reports a tab at the start of the enclosing mapping; point at the tab itself.
        var lines = yaml.Split('\n');
        var tabLine = Array.FindIndex(lines, l => l.Substring(0, l.Length - l.TrimStart(' ', '\t').Length).Contains('\t'));
        if (e.Message.Contains("tab") && tabLine >= 0)
        {
            Error(new Mark(0, tabLine + 1, lines[tabLine].IndexOf('\t') + 1), "A tab is used for indentation: YAML indents with spaces only; replace the tab with spaces.");
            return;
        }
        var message = e.Message.TrimEnd();
        Error(e.Start, $"YAML syntax error: {message}{(message.EndsWith(".", StringComparison.Ordinal) ? "" : ".")} Fix the indentation, quoting or brackets here.");
    }

    public void Error(Mark mark, string message) =>
        // Escaped as a whole too: a message may quote a node's name or another value that broke its rule.
        _errors.Add(new ClusterFileError(_file, Math.Max(1, (int)mark.Line), Math.Max(1, (int)mark.Column), ValueRules.Escape(message)));

    private void Remember(object owner, string field, Mark mark)
    {
        if (!Positions.TryGetValue(owner, out var fields))
            Positions[owner] = fields = new Dictionary<string, Mark>();
        fields[field] = mark;
    }

    private void Map<T>(YamlNode node, string section, T target, Dictionary<string, FieldReader<T>> fields) where T : class
    {
        Remember(target, "", node.Start);
        if (IsNull(node))
            return;
        if (node is not YamlMappingNode mapping)
        {
            Error(node.Start, $"{Capitalize(section)} must be a mapping of fields (name: value), not {Describe(node)}.");
            return;
        }
        foreach (var entry in mapping.Children)
        {
            var key = (entry.Key as YamlScalarNode)?.Value ?? "";
            if (fields.TryGetValue(key, out var read))
            {
                Remember(target, key, entry.Value.Start);
                read(this, target, entry.Value, key);
            }
            else
            {
                var closest = Suggest(key, fields.Keys);
                Error(entry.Key.Start, closest is null
                    ? $"Unknown field '{ValueRules.Show(key)}' {Where(section)}: remove it; known fields are {string.Join(", ", fields.Keys)}."
                    : $"Unknown field '{ValueRules.Show(key)}' {Where(section)}: did you mean '{closest}'?");
            }
        }
    }

    private void Nodes(ClusterDefinition cluster, YamlNode value, string field)
    {
        if (IsNull(value))
            return;
        if (value is not YamlSequenceNode list)
        {
            Error(value.Start, $"'{field}' must be a list of nodes, each starting with '- name: ...', not {Describe(value)}.");
            NodesMalformed = true;
            return;
        }
        if (list.Children.Count > ClusterFileLimits.MaxNodes)
        {
            Error(list.Children[ClusterFileLimits.MaxNodes].Start,
                $"'{field}' lists {list.Children.Count} nodes: a cluster file may list at most {ClusterFileLimits.MaxNodes}; split the cluster into several files.");
            NodesMalformed = true;
            return;
        }
        foreach (var item in list.Children)
        {
            if (item is not YamlMappingNode)
            {
                Error(item.Start, $"Each entry of 'nodes' must be a mapping with at least name and address, not {Describe(item)}.");
                NodesMalformed = true;
                continue;
            }
            var node = new NodeDefinition { Line = (int)item.Start.Line, Column = (int)item.Start.Column };
            Map(item, "a node", node, NodeFields);
            cluster.Nodes.Add(node);
        }
    }

    /// <summary>A scalar's text; null for a missing value (null, ~ or empty), which means "default".</summary>
    private string? Text(YamlNode value, string field)
    {
        if (value is not YamlScalarNode scalar)
        {
            Error(value.Start, $"'{field}' must be a single value, not {Describe(value)}.");
            return null;
        }
        return IsNull(scalar) || scalar.Value!.Length == 0 ? null : scalar.Value;
    }

    private int? Number(YamlNode value, string field, int min, int max)
    {
        var text = Text(value, field);
        if (text is null)
            return null;
        if (Regex.IsMatch(text, "^[0-9]{1,9}\\z"))
        {
            var number = int.Parse(text, CultureInfo.InvariantCulture);
            if (number >= min && number <= max)
                return number;
        }
        Error(value.Start, $"'{field}' must be a whole number from {min} to {max}, not '{ValueRules.Show(text)}'.");
        return null;
    }

    private List<string> TextList(YamlNode value, string field, object owner)
    {
        var items = new List<string>();
        if (IsNull(value))
            return items;
        if (value is not YamlSequenceNode list)
        {
            Error(value.Start, $"'{field}' must be a list, like [{ValueRules.Show((value as YamlScalarNode)?.Value ?? "...")}], not {Describe(value)}.");
            return items;
        }
        foreach (var item in list.Children)
        {
            var text = Text(item, field + " entry");
            if (text is null)
                continue;
            Remember(owner, $"{field}[{items.Count}]", item.Start);
            items.Add(text);
        }
        return items;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: "" or "~" or "null" or "Null" or "NULL" };

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"the value '{ValueRules.Show(s.Value ?? "")}'",
        _ => "this",
    };

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text.Substring(1);

    private static string Where(string section) => section.Length == 0 ? "at the top level" : "in " + section;

    /// <summary>The known name closest to <paramref name="name"/>, if it is close enough to be a typo.</summary>
    internal static string? Suggest(string name, IEnumerable<string> known) => known
        .Select(k => (Name: k, Distance: Distance(name.ToLowerInvariant(), k.ToLowerInvariant())))
        .Where(k => k.Distance <= Math.Max(2, k.Name.Length / 3))
        .OrderBy(k => k.Distance)
        .Select(k => k.Name)
        .FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}
