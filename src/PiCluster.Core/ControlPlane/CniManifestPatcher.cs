using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PiCluster.Steps;
using PiCluster.Steps.NodePrep;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PiCluster.ControlPlane;

/// <summary>A pod-network setting in a manifest: where it is and what it says.</summary>
/// <param name="Where">The object and field, e.g. "ConfigMap kube-flannel/kube-flannel-cfg net-conf.json Network".</param>
/// <param name="Cidr">Its value, or null when the manifest leaves it unset (calico's CALICO_IPV4POOL_CIDR commented out).</param>
/// <param name="MustEqualPodSubnet">
/// True for flannel's Network, which must be the cluster's pod subnet; false for calico's IPv4 pool, which must lie within it.
/// </param>
public sealed record CniPoolSetting(string Where, string? Cidr, bool MustEqualPodSubnet);

/// <summary>A manifest and its patched text.</summary>
public sealed class ManifestPatch
{
    internal ManifestPatch(string original, string patched, IReadOnlyList<string> changes, IReadOnlyList<CniPoolSetting> pools)
    {
        Original = original;
        Patched = patched;
        Changes = changes;
        Pools = pools;
    }

    /// <summary>The manifest as it came.</summary>
    public string Original { get; }

    /// <summary>The manifest to apply: the original with only the pod-network values changed.</summary>
    public string Patched { get; }

    /// <summary>One line per value changed, e.g. "... Network: 10.244.0.0/16 -> 10.200.0.0/16"; empty when it already fit.</summary>
    public IReadOnlyList<string> Changes { get; }

    /// <summary>The pod-network settings of the patched manifest.</summary>
    public IReadOnlyList<CniPoolSetting> Pools { get; }

    /// <summary>True when the patched text differs from the original.</summary>
    public bool Changed => !string.Equals(Original, Patched, StringComparison.Ordinal);

    /// <summary>The unified diff from the original to the patched manifest, for -WhatIf ("" when unchanged).</summary>
    public string Diff(string label) =>
        UnifiedDiff.Create(label, TextLines.ByteEncoding.GetBytes(Original), TextLines.ByteEncoding.GetBytes(Patched));
}

/// <summary>The manifest is not the shape the patcher knows (wrong plugin, or upstream changed its layout).</summary>
public sealed class CniManifestException : Exception
{
    /// <summary>With a message that says what was missing.</summary>
    public CniManifestException(string message) : base(message) { }

    /// <summary>With the YAML error that stopped parsing.</summary>
    public CniManifestException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Sets a CNI manifest's pod network to the cluster's pod subnet: flannel's <c>net-conf.json</c> <c>Network</c> in its
/// ConfigMap, calico-node's <c>CALICO_IPV4POOL_CIDR</c> (uncommented, or added), and for canal both. The multi-document
/// YAML is parsed to find the values; only their text is edited, so every other byte of the manifest stays as upstream
/// wrote it and the -WhatIf diff shows just those lines. The result is parsed again and checked.
/// </summary>
public static class CniManifestPatcher
{
    private const string PoolVariable = "CALICO_IPV4POOL_CIDR";

    // "Network": "x" inside net-conf.json, in a block scalar or escaped inside a double-quoted one.
    private static readonly Regex NetworkEntry = new(@"(\\?""Network\\?""\s*:\s*\\?"")([^""\\]*)(\\?"")", RegexOptions.CultureInvariant);
    private static readonly Regex CommentedPoolName = new(@"^[ \t]*#[ \t]*-[ \t]*name:[ \t]*""?CALICO_IPV4POOL_CIDR""?[ \t]*$", RegexOptions.CultureInvariant);
    private static readonly Regex CommentedPoolValue = new(@"^[ \t]*#[ \t]*value:.*$", RegexOptions.CultureInvariant);

    /// <summary>The manifest with its pod network set to <paramref name="podSubnet"/>.</summary>
    /// <exception cref="CniManifestException">The manifest lacks the objects the plugin's release manifest has.</exception>
    public static ManifestPatch Patch(string plugin, string manifest, string podSubnet)
    {
        var located = Locate(plugin, manifest);
        var edits = new List<Edit>();
        var changes = new List<string>();
        foreach (var target in located)
        {
            if (target.Current == podSubnet)
                continue;
            edits.Add(target.MakeEdit(podSubnet));
            changes.Add($"{target.Where}: {target.Current ?? target.UnsetDescription} -> {podSubnet}");
        }
        var patched = Apply(manifest, edits);
        var pools = ReadPools(plugin, patched);
        foreach (var pool in pools.Where(p => p.Cidr != podSubnet))
            throw new CniManifestException($"Patching left {pool.Where} at {pool.Cidr ?? "unset"} instead of {podSubnet}: the manifest's layout is not one PiCluster can edit safely.");
        return new ManifestPatch(manifest, patched, changes, pools);
    }

    /// <summary>The pod-network settings a manifest has as it is, for the CIDR checks.</summary>
    /// <exception cref="CniManifestException">The manifest lacks the objects the plugin's release manifest has.</exception>
    public static IReadOnlyList<CniPoolSetting> ReadPools(string plugin, string manifest) =>
        Locate(plugin, manifest).Select(t => new CniPoolSetting(t.Where, t.Current, t.IsFlannel)).ToList();

    private static List<Target> Locate(string plugin, string manifest)
    {
        var documents = Parse(manifest);
        var lines = new LineIndex(manifest);
        return plugin switch
        {
            "flannel" => new List<Target> { FlannelNetwork(documents, manifest, "kube-flannel-cfg") },
            "calico" => new List<Target> { CalicoPool(documents, lines, manifest, "calico-node") },
            "canal" => new List<Target> { FlannelNetwork(documents, manifest, "canal-config"), CalicoPool(documents, lines, manifest, "canal") },
            _ => throw new ArgumentException($"Unknown network plugin '{plugin}': choose flannel, calico or canal.", nameof(plugin)),
        };
    }

    private static List<YamlMappingNode> Parse(string manifest)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(manifest));
        }
        catch (YamlException e)
        {
            throw new CniManifestException($"The manifest is not valid YAML (line {e.Start.Line}): {e.Message}", e);
        }
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private static Target FlannelNetwork(List<YamlMappingNode> documents, string manifest, string configMap)
    {
        var map = Find(documents, "ConfigMap", configMap)
            ?? throw new CniManifestException($"The manifest has no ConfigMap '{configMap}': it is not the release manifest this plugin expects.");
        var where = $"ConfigMap {Namespace(map)}/{configMap} net-conf.json Network";
        if (Child(map, "data") is not YamlMappingNode data || Child(data, "net-conf.json") is not YamlScalarNode netConf)
            throw new CniManifestException($"ConfigMap '{configMap}' has no data.net-conf.json: flannel would not know the pod network.");
        string? network;
        try
        {
            using var json = JsonDocument.Parse(netConf.Value ?? "");
            network = json.RootElement.TryGetProperty("Network", out var entry) && entry.ValueKind == JsonValueKind.String ? entry.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new CniManifestException($"{where}: net-conf.json is not JSON ({e.Message}).", e);
        }
        var start = (int)netConf.Start.Index;
        var raw = manifest.Substring(start, (int)netConf.End.Index - start);
        var matches = NetworkEntry.Matches(raw);
        if (network is null || matches.Count != 1)
            throw new CniManifestException($"{where}: net-conf.json must have exactly one \"Network\" string; PiCluster sets it to the pod subnet.");
        var value = matches[0].Groups[2];
        return new Target(where, network, "unset", IsFlannel: true,
            cidr => new Edit(start + value.Index, value.Length, cidr));
    }

    private static Target CalicoPool(List<YamlMappingNode> documents, LineIndex lines, string manifest, string daemonSet)
    {
        var ds = Find(documents, "DaemonSet", daemonSet)
            ?? throw new CniManifestException($"The manifest has no DaemonSet '{daemonSet}': it is not the release manifest this plugin expects.");
        var where = $"DaemonSet {Namespace(ds)}/{daemonSet} container calico-node env {PoolVariable}";
        var container = (Child(Child(Child(ds, "spec"), "template"), "spec") is YamlMappingNode podSpec ? Child(podSpec, "containers") as YamlSequenceNode : null)?
            .Children.OfType<YamlMappingNode>().FirstOrDefault(c => Scalar(c, "name") == "calico-node")
            ?? throw new CniManifestException($"DaemonSet '{daemonSet}' has no container 'calico-node'.");
        if (Child(container, "env") is not YamlSequenceNode { Children.Count: > 0 } env)
            throw new CniManifestException($"Container calico-node of DaemonSet '{daemonSet}' has no env list: it is not the release manifest's layout.");
        var items = env.Children.OfType<YamlMappingNode>().ToList();
        var pools = items.Where(i => Scalar(i, "name") == PoolVariable).ToList();
        if (pools.Count > 1)
            throw new CniManifestException($"{where} is set {pools.Count} times: keep one.");
        if (pools.Count == 1)
        {
            if (Child(pools[0], "value") is not YamlScalarNode value)
                throw new CniManifestException($"{where} has no literal value (valueFrom?): PiCluster sets it to the pod subnet and cannot edit a reference.");
            var start = (int)value.Start.Index;
            return new Target(where, value.Value, "unset", IsFlannel: false,
                cidr => new Edit(start, (int)value.End.Index - start, "\"" + cidr + "\""));
        }

        // Upstream ships the variable commented out inside env ("# - name: ..." then "#   value: ..."): uncomment it there.
        var firstItemLine = lines.Line((int)items[0].Start.Line);
        var indent = firstItemLine.Content.Substring(0, firstItemLine.Content.IndexOf('-'));
        var terminator = firstItemLine.Terminator.Length > 0 ? firstItemLine.Terminator : "\n";
        string Lines(string cidr) => $"{indent}- name: {PoolVariable}{terminator}{indent}  value: \"{cidr}\"{terminator}";
        // The sequence node carries no end mark: its text runs to its last scalar, then on through comment lines indented as deep as its items.
        var last = LastLine(env);
        while (last < lines.Count && IsCommentOrBlank(lines.Line(last + 1).Content, indent.Length))
            last++;
        for (var number = (int)items[0].Start.Line; number < last; number++)
        {
            if (!CommentedPoolName.IsMatch(lines.Line(number).Content) || !CommentedPoolValue.IsMatch(lines.Line(number + 1).Content))
                continue;
            var from = lines.Offset(number);
            var length = lines.Offset(number + 2) - from;
            return new Target(where, null, "commented out (calico-node reads kubeadm's podSubnet, else 192.168.0.0/16)", IsFlannel: false,
                cidr => new Edit(from, length, Lines(cidr)));
        }
        var at = lines.Offset((int)items[0].Start.Line);
        return new Target(where, null, "unset (calico-node reads kubeadm's podSubnet, else 192.168.0.0/16)", IsFlannel: false,
            cidr => new Edit(at, 0, Lines(cidr)));
    }

    private static int LastLine(YamlNode node) => node switch
    {
        YamlSequenceNode sequence => sequence.Children.Select(LastLine).DefaultIfEmpty((int)node.Start.Line).Max(),
        YamlMappingNode mapping => mapping.Children.Select(e => Math.Max(LastLine(e.Key), LastLine(e.Value))).DefaultIfEmpty((int)node.Start.Line).Max(),
        _ => (int)node.End.Line,
    };

    private static bool IsCommentOrBlank(string line, int minimumIndent)
    {
        var trimmed = line.TrimStart(' ', '\t');
        return trimmed.Length == 0 || (trimmed[0] == '#' && line.Length - trimmed.Length >= minimumIndent);
    }

    private static string Apply(string text, List<Edit> edits)
    {
        var builder = new StringBuilder(text);
        foreach (var edit in edits.OrderByDescending(e => e.Start))
            builder.Remove(edit.Start, edit.Length).Insert(edit.Start, edit.Replacement);
        return builder.ToString();
    }

    private static YamlMappingNode? Find(List<YamlMappingNode> documents, string kind, string name) =>
        documents.FirstOrDefault(d => Scalar(d, "kind") == kind && Child(d, "metadata") is YamlMappingNode m && Scalar(m, "name") == name);

    private static string Namespace(YamlMappingNode document) =>
        Child(document, "metadata") is YamlMappingNode m ? Scalar(m, "namespace") ?? "default" : "default";

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    private readonly record struct Edit(int Start, int Length, string Replacement);

    private sealed record Target(string Where, string? Current, string UnsetDescription, bool IsFlannel, Func<string, Edit> MakeEdit);

    /// <summary>The manifest's lines (1-based, as YamlDotNet counts them) with their start offsets.</summary>
    private sealed class LineIndex
    {
        private readonly List<TextLines.Line> _lines;
        private readonly List<int> _offsets = new();

        public LineIndex(string text)
        {
            _lines = TextLines.Split(text);
            var offset = 0;
            foreach (var line in _lines)
            {
                _offsets.Add(offset);
                offset += line.Content.Length + line.Terminator.Length;
            }
            _offsets.Add(offset);
        }

        public int Count => _lines.Count;

        public TextLines.Line Line(int number) => number >= 1 && number <= _lines.Count ? _lines[number - 1] : new TextLines.Line("", "");

        public int Offset(int number) => _offsets[Math.Clamp(number - 1, 0, _offsets.Count - 1)];
    }
}
