using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// The configuration each network manager needs for a static address. NetworkManager is driven through nmcli on the
/// connection already active on the interface (so Wi-Fi SSID and secrets stay as they are); the others get a file.
/// </summary>
public static class NetworkConfig
{
    /// <summary>The NetworkManager properties that make the address static, in the order nmcli should set them.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> NetworkManagerProperties(StaticAddress wanted)
    {
        var properties = new List<KeyValuePair<string, string>>
        {
            new("ipv4.method", "manual"),
            new("ipv4.addresses", wanted.Cidr),
            new("ipv4.gateway", wanted.Gateway ?? ""),
            new("ipv4.dns", string.Join(",", wanted.Dns)),
        };
        // 2 = NM_SETTING_WIRELESS_POWERSAVE_DISABLE: power saving drops packets and stalls the API server on a Pi.
        if (wanted.IsWifi) properties.Add(new("802-11-wireless.powersave", "2"));
        return properties;
    }

    /// <summary>The properties whose current value (as <c>nmcli -g</c> prints it) differs from the wanted one.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> NetworkManagerDifferences(StaticAddress wanted, IReadOnlyDictionary<string, string> current) =>
        NetworkManagerProperties(wanted)
            .Where(p => !current.TryGetValue(p.Key, out var value) || !SameNmValue(p.Key, value, p.Value))
            .ToList();

    // nmcli -g prints lists as "a, b" or "a,b" and the power-save enum as "2 (disable)" or "disable".
    private static bool SameNmValue(string key, string current, string wanted)
    {
        if (key == "802-11-wireless.powersave") return current.Trim().StartsWith("2", StringComparison.Ordinal) || current.Trim() == "disable";
        static string[] Items(string v) => v.Split(new[] { ',', ' ' }, StringSplitOptions.RemoveEmptyEntries);
        return Items(current).SequenceEqual(Items(wanted), StringComparer.Ordinal);
    }

    /// <summary>First line of the block PiCluster manages in /etc/dhcpcd.conf.</summary>
    public const string DhcpcdBegin = "# BEGIN PiCluster static address";

    /// <summary>Last line of that block.</summary>
    public const string DhcpcdEnd = "# END PiCluster static address";

    /// <summary>/etc/dhcpcd.conf with the managed block for the interface (replaced in place, or appended).</summary>
    public static byte[] DhcpcdConf(byte[] current, StaticAddress wanted)
    {
        var block = new List<string> { DhcpcdBegin, $"interface {wanted.Interface}", $"static ip_address={wanted.Cidr}" };
        if (wanted.Gateway is not null) block.Add($"static routers={wanted.Gateway}");
        if (wanted.Dns.Count > 0) block.Add($"static domain_name_servers={string.Join(" ", wanted.Dns)}");
        block.Add(DhcpcdEnd);
        return ReplaceBlock(current, DhcpcdBegin, DhcpcdEnd, block);
    }

    /// <summary>Path of the systemd-networkd file PiCluster writes.</summary>
    public static string NetworkdPath(StaticAddress wanted) => $"/etc/systemd/network/10-picluster-{wanted.Interface}.network";

    /// <summary>A systemd-networkd .network file (sorted before the distribution's, so it wins the match).</summary>
    public static string NetworkdFile(StaticAddress wanted)
    {
        var text = new StringBuilder();
        text.Append("# Written by PiCluster (Set-PiNetwork).\n[Match]\nName=").Append(wanted.Interface).Append("\n\n[Network]\n");
        text.Append("Address=").Append(wanted.Cidr).Append('\n');
        if (wanted.Gateway is not null) text.Append("Gateway=").Append(wanted.Gateway).Append('\n');
        foreach (var dns in wanted.Dns) text.Append("DNS=").Append(dns).Append('\n');
        return text.ToString();
    }

    /// <summary>Path of the netplan file PiCluster writes (sorted last, so its settings win the merge).</summary>
    public static string NetplanPath(StaticAddress wanted) => $"/etc/netplan/90-picluster-{wanted.Interface}.yaml";

    /// <summary>
    /// A netplan file. Netplan merges files by key, so for Wi-Fi this only overrides addressing and leaves the access
    /// points defined elsewhere in place.
    /// </summary>
    public static string NetplanFile(StaticAddress wanted)
    {
        var text = new StringBuilder();
        text.Append("# Written by PiCluster (Set-PiNetwork).\nnetwork:\n  version: 2\n");
        text.Append(wanted.IsWifi ? "  wifis:\n" : "  ethernets:\n");
        text.Append("    ").Append(wanted.Interface).Append(":\n      dhcp4: false\n");
        text.Append("      addresses: [").Append(wanted.Cidr).Append("]\n");
        if (wanted.Gateway is not null) text.Append("      routes:\n        - to: default\n          via: ").Append(wanted.Gateway).Append('\n');
        if (wanted.Dns.Count > 0) text.Append("      nameservers:\n        addresses: [").Append(string.Join(", ", wanted.Dns)).Append("]\n");
        return text.ToString();
    }

    /// <summary>Replaces the lines from <paramref name="begin"/> to <paramref name="end"/> with <paramref name="block"/>, or appends it.</summary>
    public static byte[] ReplaceBlock(byte[] current, string begin, string end, IReadOnlyList<string> block)
    {
        var lines = TextLines.Split(TextLines.ByteEncoding.GetString(current));
        var terminator = TextLines.DominantTerminator(lines);
        var start = lines.FindIndex(l => l.Content == begin);
        var stop = start < 0 ? -1 : lines.FindIndex(start, l => l.Content == end);
        if (start >= 0 && stop >= 0)
        {
            lines.RemoveRange(start, stop - start + 1);
            lines.InsertRange(start, block.Select(b => new TextLines.Line(b, terminator)));
        }
        else TextLines.AppendLines(lines, block);
        var edited = TextLines.ByteEncoding.GetBytes(TextLines.Join(lines));
        return edited.AsSpan().SequenceEqual(current) ? current : edited;
    }
}
