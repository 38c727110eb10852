using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace PiCluster.Steps.Runtime;

/// <summary>
/// A minimal, line-oriented view of a TOML file that can read and set single keys while leaving every other byte of
/// the file alone (comments, order, indentation, the user's own sections). A full TOML round trip would reformat the
/// user's file; this only touches the lines of the keys it is asked to change.
/// </summary>
internal sealed class TomlLines
{
    private readonly List<string> _lines;
    private readonly bool _trailingNewline;
    private List<Entry> _entries = new();

    /// <summary>A header (<c>[a.b]</c>) or a key/value pair, with the lines it spans and its absolute key path.</summary>
    internal sealed class Entry
    {
        public Entry(bool isHeader, bool isArrayTable, int start, int end, IReadOnlyList<string> path, string value)
        {
            IsHeader = isHeader;
            IsArrayTable = isArrayTable;
            Start = start;
            End = end;
            Path = path;
            Value = value;
        }

        public bool IsHeader { get; }
        public bool IsArrayTable { get; }
        public int Start { get; }
        public int End { get; }
        public IReadOnlyList<string> Path { get; }
        /// <summary>The raw value text of a key (without the trailing comment), empty for headers.</summary>
        public string Value { get; }
    }

    public TomlLines(string text)
    {
        var normalized = text.Replace("\r\n", "\n");
        // Keep the file's own ending; a new (empty) file gets a final newline.
        _trailingNewline = normalized.Length == 0 || normalized.EndsWith("\n", StringComparison.Ordinal);
        if (normalized.EndsWith("\n", StringComparison.Ordinal)) normalized = normalized.Substring(0, normalized.Length - 1);
        _lines = normalized.Length == 0 && text.Length == 0 ? new List<string>() : normalized.Split('\n').ToList();
        Reparse();
    }

    public IReadOnlyList<Entry> Entries => _entries;

    public override string ToString()
    {
        var text = string.Join("\n", _lines);
        return _lines.Count == 0 ? "" : _trailingNewline ? text + "\n" : text;
    }

    /// <summary>The key at this absolute path, or null.</summary>
    public Entry? FindKey(IReadOnlyList<string> path) => _entries.FirstOrDefault(e => !e.IsHeader && SamePath(e.Path, path));

    /// <summary>Whether a table header with this path exists.</summary>
    public bool HasTable(IReadOnlyList<string> path) => _entries.Any(e => e.IsHeader && SamePath(e.Path, path));

    /// <summary>Whether any table header or key lives at or under this path.</summary>
    public bool HasAnythingUnder(IReadOnlyList<string> path) => _entries.Any(e => StartsWith(e.Path, path));

    /// <summary>A key whose path is a proper prefix of <paramref name="path"/> (an inline table that already defines it).</summary>
    public Entry? FindInlineParent(IReadOnlyList<string> path) =>
        _entries.FirstOrDefault(e => !e.IsHeader && e.Path.Count < path.Count && StartsWith(path, e.Path));

    /// <summary>Replaces the value of an existing key, keeping its indentation and key spelling.</summary>
    public void ReplaceValue(Entry entry, string valueLiteral)
    {
        var first = _lines[entry.Start];
        var eq = FindEquals(first);
        var keyPart = first.Substring(0, eq).TrimEnd();
        var comment = entry.Start == entry.End ? TrailingComment(first, eq + 1) : "";
        _lines.RemoveRange(entry.Start, entry.End - entry.Start + 1);
        _lines.Insert(entry.Start, keyPart + " = " + valueLiteral + comment);
        Reparse();
    }

    /// <summary>Sets a key of a table: replaces it, adds it under the table's header, or appends the table.</summary>
    public void SetKey(IReadOnlyList<string> table, string key, string valueLiteral, char quote)
    {
        var path = table.Concat(new[] { key }).ToList();
        var existing = FindKey(path);
        if (existing is not null)
        {
            ReplaceValue(existing, valueLiteral);
            return;
        }
        var header = _entries.FirstOrDefault(e => e.IsHeader && SamePath(e.Path, table));
        if (header is null)
        {
            if (_lines.Count > 0 && _lines[_lines.Count - 1].Trim().Length > 0) _lines.Add("");
            _lines.Add("[" + RenderPath(table, quote) + "]");
            _lines.Add("  " + RenderKey(key, quote) + " = " + valueLiteral);
            Reparse();
            return;
        }
        // After the table's last direct key (or its header), indented like its siblings.
        var index = _entries.IndexOf(header);
        var last = header;
        for (var i = index + 1; i < _entries.Count && !_entries[i].IsHeader; i++) last = _entries[i];
        var indent = last == header ? Indent(_lines[header.Start]) + "  " : Indent(_lines[last.Start]);
        _lines.Insert(last.End + 1, indent + RenderKey(key, quote) + " = " + valueLiteral);
        Reparse();
    }

    /// <summary>Adds a key to the root table, before the first root key (or the first table when there is none).</summary>
    public void InsertRootKey(string key, string valueLiteral)
    {
        var firstRootKey = _entries.FirstOrDefault(e => !e.IsHeader && e.Path.Count >= 1 && IsRoot(e));
        var firstHeader = _entries.FirstOrDefault(e => e.IsHeader);
        var at = firstRootKey?.Start ?? firstHeader?.Start ?? _lines.Count;
        _lines.Insert(at, key + " = " + valueLiteral);
        Reparse();
    }

    private bool IsRoot(Entry entry)
    {
        var index = _entries.IndexOf(entry);
        return !_entries.Take(index).Any(e => e.IsHeader);
    }

    // ---- parsing -------------------------------------------------------------------------------------------------

    private void Reparse()
    {
        var entries = new List<Entry>();
        IReadOnlyList<string> table = Array.Empty<string>();
        var i = 0;
        while (i < _lines.Count)
        {
            var line = _lines[i];
            var trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#') { i++; continue; }
            if (trimmed[0] == '[')
            {
                var isArray = trimmed.StartsWith("[[", StringComparison.Ordinal);
                var pos = isArray ? 2 : 1;
                var path = ParseKeyPath(trimmed, ref pos);
                table = path;
                entries.Add(new Entry(true, isArray, i, i, path, ""));
                i++;
                continue;
            }
            var p = 0;
            var keyPath = ParseKeyPath(trimmed, ref p);
            var eq = FindEquals(line);
            if (eq < 0 || keyPath.Count == 0) { i++; continue; }
            var end = ScanValueEnd(i, eq + 1);
            var value = end == i ? StripComment(line.Substring(eq + 1)).Trim()
                : string.Join("\n", new[] { line.Substring(eq + 1) }.Concat(_lines.Skip(i + 1).Take(end - i))).Trim();
            entries.Add(new Entry(false, false, i, end, table.Concat(keyPath).ToList(), value));
            i = end + 1;
        }
        _entries = entries;
    }

    /// <summary>Parses a dotted key (bare, "basic" or 'literal' parts) starting at pos; stops at '=', ']' or end.</summary>
    private static List<string> ParseKeyPath(string text, ref int pos)
    {
        var parts = new List<string>();
        while (pos < text.Length)
        {
            while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t')) pos++;
            if (pos >= text.Length) break;
            var c = text[pos];
            if (c == '"' || c == '\'')
            {
                var sb = new StringBuilder();
                pos++;
                while (pos < text.Length && text[pos] != c)
                {
                    if (c == '"' && text[pos] == '\\' && pos + 1 < text.Length) { pos++; }
                    sb.Append(text[pos]);
                    pos++;
                }
                pos++;
                parts.Add(sb.ToString());
            }
            else
            {
                var start = pos;
                while (pos < text.Length && (char.IsLetterOrDigit(text[pos]) || text[pos] == '_' || text[pos] == '-')) pos++;
                if (pos == start) break;
                parts.Add(text.Substring(start, pos - start));
            }
            while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t')) pos++;
            if (pos < text.Length && text[pos] == '.') { pos++; continue; }
            break;
        }
        return parts;
    }

    /// <summary>The index of the '=' that ends the key on this line (outside quotes), or -1.</summary>
    private static int FindEquals(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is not null) { if (c == quote) quote = null; continue; }
            if (c == '"' || c == '\'') quote = c;
            else if (c == '=') return i;
            else if (c == '#') return -1;
        }
        return -1;
    }

    /// <summary>The last line of a value that starts at (line, col): arrays and multi-line strings may span lines.</summary>
    private int ScanValueEnd(int line, int col)
    {
        var depth = 0;
        string? str = null; // null, "\"", "'", "\"\"\"", "'''"
        for (var l = line; l < _lines.Count; l++)
        {
            var text = _lines[l];
            for (var i = l == line ? col : 0; i < text.Length; i++)
            {
                var c = text[i];
                if (str is not null)
                {
                    if (str[0] == '"' && c == '\\') { i++; continue; }
                    if (string.CompareOrdinal(text, i, str, 0, str.Length) == 0) { i += str.Length - 1; str = null; }
                    continue;
                }
                if (c == '#') break;
                if (c == '"' || c == '\'')
                {
                    var triple = new string(c, 3);
                    str = string.CompareOrdinal(text, i, triple, 0, 3) == 0 ? triple : c.ToString();
                    i += str.Length - 1;
                }
                else if (c == '[' || c == '{') depth++;
                else if (c == ']' || c == '}') depth--;
            }
            if (str is { Length: 1 }) str = null; // a single-line string cannot continue on the next line
            if (depth <= 0 && str is null) return l;
        }
        return _lines.Count - 1;
    }

    private static string StripComment(string valueText)
    {
        char? quote = null;
        for (var i = 0; i < valueText.Length; i++)
        {
            var c = valueText[i];
            if (quote is not null)
            {
                if (quote == '"' && c == '\\') { i++; continue; }
                if (c == quote) quote = null;
                continue;
            }
            if (c == '"' || c == '\'') quote = c;
            else if (c == '#') return valueText.Substring(0, i);
        }
        return valueText;
    }

    private static string TrailingComment(string line, int from)
    {
        var value = line.Substring(from);
        var stripped = StripComment(value);
        return stripped.Length == value.Length ? "" : " " + value.Substring(stripped.Length).Trim();
    }

    private static string Indent(string line) => line.Substring(0, line.Length - line.TrimStart().Length);

    // ---- values and paths ----------------------------------------------------------------------------------------

    internal static bool SamePath(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == b.Count && StartsWith(a, b);

    internal static bool StartsWith(IReadOnlyList<string> path, IReadOnlyList<string> prefix) =>
        path.Count >= prefix.Count && !prefix.Where((part, i) => !string.Equals(path[i], part, StringComparison.Ordinal)).Any();

    internal static string RenderPath(IEnumerable<string> path, char quote) => string.Join(".", path.Select(p => RenderKey(p, quote)));

    internal static string RenderKey(string key, char quote) =>
        key.Length > 0 && key.All(c => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
            ? key
            : quote + key + quote;

    /// <summary>A TOML string literal in the given quote style (literal strings only when the text allows it).</summary>
    internal static string Quote(string text, char quote) =>
        quote == '\'' && text.IndexOf('\'') < 0 && text.IndexOf('\n') < 0
            ? "'" + text + "'"
            : "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>Reads a one-line string value ("basic" or 'literal'); null when the value is not a string.</summary>
    internal static string? ParseString(string value)
    {
        value = value.Trim();
        if (value.Length < 2) return null;
        if (value[0] == '\'' && value[value.Length - 1] == '\'') return value.Substring(1, value.Length - 2);
        if (value[0] != '"' || value[value.Length - 1] != '"') return null;
        var sb = new StringBuilder();
        for (var i = 1; i < value.Length - 1; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length - 1) i++;
            sb.Append(value[i]);
        }
        return sb.ToString();
    }

    /// <summary>Reads an array of strings (possibly spanning lines, with comments); null when it is not one.</summary>
    internal static List<string>? ParseStringArray(string value)
    {
        value = value.Trim();
        if (!value.StartsWith("[", StringComparison.Ordinal) || !value.EndsWith("]", StringComparison.Ordinal)) return null;
        var items = new List<string>();
        var body = value.Substring(1, value.Length - 2);
        var i = 0;
        while (i < body.Length)
        {
            var c = body[i];
            if (c == '#') { while (i < body.Length && body[i] != '\n') i++; continue; }
            if (c == '"' || c == '\'')
            {
                var start = i;
                i++;
                while (i < body.Length && body[i] != c) { if (c == '"' && body[i] == '\\') i++; i++; }
                var item = ParseString(body.Substring(start, Math.Min(i + 1, body.Length) - start));
                if (item is null) return null;
                items.Add(item);
                i++;
                continue;
            }
            if (char.IsWhiteSpace(c) || c == ',') { i++; continue; }
            return null; // not a plain array of strings
        }
        return items;
    }
}
