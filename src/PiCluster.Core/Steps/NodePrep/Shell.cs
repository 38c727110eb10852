using System.Collections.Generic;
using System.Linq;

namespace PiCluster.Steps.NodePrep;

/// <summary>Quoting for values PiCluster puts into the bash scripts it generates.</summary>
public static class Shell
{
    /// <summary>The value as one single-quoted bash word.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    /// <summary>The values as single-quoted words separated by spaces.</summary>
    public static string Quote(IEnumerable<string> values) => string.Join(" ", values.Select(Quote));
}
