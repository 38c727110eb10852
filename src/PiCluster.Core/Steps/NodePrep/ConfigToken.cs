using System;
using System.Linq;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// The last guard before a value becomes a word in a configuration file (/etc/hosts, dhcpcd.conf, a .network file, a
/// netplan file, a systemd unit): such files cannot quote, so a line break, a blank or a comment sign in a value would
/// add a line, a field or a comment. The validators reject these values earlier; this keeps every path honest.
/// </summary>
public static class ConfigToken
{
    private const string Forbidden = "#\"'`$\\[]{},;=";

    /// <summary>Returns <paramref name="value"/> when it is one plain word; throws otherwise.</summary>
    /// <exception cref="ArgumentException">The value has a blank, a control character or a character these files give a meaning to.</exception>
    public static string Require(string value, string what)
    {
        var bad = value.ToList().FindIndex(c => char.IsWhiteSpace(c) || char.IsControl(c) || Forbidden.IndexOf(c) >= 0);
        if (value.Length == 0 || bad >= 0)
            throw new ArgumentException(
                $"{what} '{new string(value.Select(c => char.IsControl(c) ? '?' : c).ToArray())}' " +
                (value.Length == 0 ? "is empty" : $"contains {(value[bad] is '\n' or '\r' ? "a line break" : char.IsControl(value[bad]) ? "a control character" : char.IsWhiteSpace(value[bad]) ? "a blank" : $"'{value[bad]}'")}") +
                ": it would change the structure of the configuration file it goes into; nothing was written.", what);
        return value;
    }
}
