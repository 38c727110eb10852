using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace PiCluster.ControlPlane;

/// <summary>
/// Writes YAML that PiCluster generates (kubeadm configs, kubeconfig entries) from YamlDotNet nodes through its emitter,
/// so values are data: a string that a YAML reader would take for a number, a boolean or null is double-quoted, and the
/// emitter quotes anything that is not plain-safe. Block style, two-space indent, LF, no line folding (base64 stays one line).
/// </summary>
internal static class YamlText
{
    // YAML 1.1 and 1.2 core-schema forms of null, booleans and numbers: a plain scalar like these would not read back as a string.
    private static readonly Regex NonString = new(
        @"^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF" +
        @"|[-+]?(?:0|[1-9][0-9_]*)|0[0-7_]+|0o[0-7]+|0x[0-9a-fA-F_]+|0b[01_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+" +
        @"|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        RegexOptions.CultureInvariant);

    /// <summary>A string scalar that reads back as that string.</summary>
    public static YamlScalarNode Text(string value) =>
        new(value) { Style = value.Length == 0 || NonString.IsMatch(value) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any };

    /// <summary>An integer scalar (plain).</summary>
    public static YamlScalarNode Number(int value) => new(value.ToString(CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    /// <summary>A mapping from key/value pairs, in the order given.</summary>
    public static YamlMappingNode Map(params (string Key, YamlNode? Value)[] entries)
    {
        var map = new YamlMappingNode();
        foreach (var (key, value) in entries)
        {
            if (value is not null)
                map.Add(new YamlScalarNode(key), value);
        }
        return map;
    }

    /// <summary>A sequence of nodes.</summary>
    public static YamlSequenceNode List(IEnumerable<YamlNode> items) => new(items);

    /// <summary>One or more documents; every document after the first starts with "---".</summary>
    public static string Documents(IEnumerable<YamlNode> documents)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(writer, new EmitterSettings(2, int.MaxValue, false, 1024, newLine: "\n"));
        emitter.Emit(new StreamStart());
        var first = true;
        foreach (var document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, first));
            Emit(emitter, document);
            emitter.Emit(new DocumentEnd(true));
            first = false;
        }
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void Emit(IEmitter emitter, YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode scalar:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, scalar.Value ?? "", scalar.Style, true, true));
                break;
            case YamlSequenceNode sequence:
                var flowSequence = sequence.Children.Count == 0;
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, flowSequence ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in sequence.Children) Emit(emitter, item);
                emitter.Emit(new SequenceEnd());
                break;
            case YamlMappingNode mapping:
                var flowMapping = mapping.Children.Count == 0;
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, flowMapping ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var entry in mapping.Children)
                {
                    Emit(emitter, entry.Key);
                    Emit(emitter, entry.Value);
                }
                emitter.Emit(new MappingEnd());
                break;
        }
    }
}
