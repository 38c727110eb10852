using System.Collections.Generic;
using System.Text;

namespace PiCluster.Transport;

/// <summary>Builds bash text safely: quoting, and variable assignments put in front of a script.</summary>
public static class ShellText
{
    /// <summary>The value single-quoted for bash, so it is taken literally.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    /// <summary>
    /// The script with <c>NAME='value'</c> lines in front of it. Only for values that are not secret: the script text
    /// shows in -Verbose and may show in logs. Secrets go in <see cref="RemoteCommand.Input"/>.
    /// </summary>
    public static string WithVariables(string script, IEnumerable<KeyValuePair<string, string>> variables)
    {
        var text = new StringBuilder();
        foreach (var pair in variables) text.Append(pair.Key).Append('=').Append(Quote(pair.Value)).Append('\n');
        return text.Append(script).ToString();
    }
}
