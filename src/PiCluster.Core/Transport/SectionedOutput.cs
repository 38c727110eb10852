using System;
using System.Collections.Generic;
using System.Text;

namespace PiCluster.Transport;

/// <summary>
/// Parses the output of fact-gathering scripts, which batch many reads into one round trip. A script prints
/// <c>@@ name</c> on a line of its own before each section; everything up to the next marker is that section's value
/// (without the final newline). File contents whose bytes matter (CRLF, missing newline) are printed base64-encoded
/// and read with <see cref="GetBytes"/>. Scripts print a section for a missing file as <c>@@ name !missing</c>.
/// </summary>
public sealed class SectionedOutput
{
    private const string Marker = "@@ ";
    private readonly Dictionary<string, string?> _sections = new(StringComparer.Ordinal);

    private SectionedOutput() { }

    /// <summary>Parses script output.</summary>
    public static SectionedOutput Parse(string output)
    {
        var result = new SectionedOutput();
        string? current = null;
        var value = new StringBuilder();
        void Flush()
        {
            if (current is null) return;
            var text = value.ToString();
            if (text.EndsWith("\n", StringComparison.Ordinal)) text = text.Substring(0, text.Length - 1);
            if (!result._sections.ContainsKey(current)) result._sections[current] = text;
        }
        foreach (var line in output.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.StartsWith(Marker, StringComparison.Ordinal))
            {
                Flush();
                var header = line.Substring(Marker.Length).Trim();
                var missing = header.EndsWith(" !missing", StringComparison.Ordinal);
                current = missing ? header.Substring(0, header.Length - " !missing".Length) : header;
                value.Clear();
                if (missing) { result._sections[current] = null; current = null; }
                continue;
            }
            if (current is not null) value.Append(line).Append('\n');
        }
        Flush();
        return result;
    }

    /// <summary>Whether the script printed the section (missing files count as present, with a null value).</summary>
    public bool Has(string name) => _sections.ContainsKey(name);

    /// <summary>The section's text, or null when absent or marked missing.</summary>
    public string? Get(string name) => _sections.TryGetValue(name, out var v) ? v : null;

    /// <summary>The section's text trimmed, or <paramref name="fallback"/>.</summary>
    public string GetOr(string name, string fallback) => Get(name)?.Trim() ?? fallback;

    /// <summary>A base64 section decoded to bytes, or null when absent or missing.</summary>
    public byte[]? GetBytes(string name)
    {
        var text = Get(name);
        return text is null ? null : Convert.FromBase64String(text.Replace("\n", "").Trim());
    }
}
