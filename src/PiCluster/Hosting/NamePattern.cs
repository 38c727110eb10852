using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace PiCluster.Hosting;

/// <summary>
/// PowerShell-style wildcard matching for -Name (<c>*</c>, <c>?</c>, <c>[a-c]</c>, case-insensitive), as a plain class
/// so it is testable without a PowerShell runtime.
/// </summary>
internal sealed class NamePattern
{
    private readonly Regex _regex;

    public NamePattern(string pattern)
    {
        Pattern = pattern;
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*': regex.Append(".*"); break;
                case '?': regex.Append('.'); break;
                case '`' when i + 1 < pattern.Length: regex.Append(Regex.Escape(pattern[++i].ToString())); break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0) goto default;
                    regex.Append('[').Append(pattern, i + 1, end - i - 1).Append(']');
                    i = end;
                    break;
                default: regex.Append(Regex.Escape(c.ToString())); break;
            }
        }
        _regex = new Regex(regex.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    /// <summary>The pattern as given.</summary>
    public string Pattern { get; }

    /// <summary>The pattern has wildcards (a plain name that matches nothing is an error, a pattern is not).</summary>
    public bool HasWildcards => Pattern.IndexOfAny(new[] { '*', '?', '[' }) >= 0;

    public bool IsMatch(string name) => _regex.IsMatch(name);

    /// <summary>The items whose name matches any pattern (all items when there are none), in their original order.</summary>
    public static List<T> Filter<T>(IEnumerable<T> items, Func<T, string> nameOf, IReadOnlyCollection<string>? patterns, out List<string> unmatchedNames)
    {
        var all = items.ToList();
        unmatchedNames = new List<string>();
        if (patterns is null || patterns.Count == 0) return all;
        var compiled = patterns.Select(p => new NamePattern(p)).ToList();
        foreach (var p in compiled.Where(p => !p.HasWildcards && !all.Any(i => p.IsMatch(nameOf(i)))))
            unmatchedNames.Add(p.Pattern);
        return all.Where(i => compiled.Any(p => p.IsMatch(nameOf(i)))).ToList();
    }
}
