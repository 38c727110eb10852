using System;
using System.Linq;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace PiCluster.Clusters;

/// <summary>An IP network (address/prefix) plus the strict address parsing the cluster file needs.</summary>
internal sealed class Cidr
{
    private static readonly Regex HostNameSyntax = new(
        @"^(?=.{1,253}\z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\z",
        RegexOptions.CultureInvariant);

    private readonly byte[] _bytes;

    private Cidr(IPAddress address, int prefixLength)
    {
        _bytes = Mask(address.GetAddressBytes(), prefixLength);
        PrefixLength = prefixLength;
        Network = new IPAddress(_bytes);
    }

    /// <summary>The network address (host bits zero).</summary>
    public IPAddress Network { get; }

    /// <summary>The prefix length.</summary>
    public int PrefixLength { get; }

    /// <summary>True for IPv6.</summary>
    public bool IsV6 => Network.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>Bits left for hosts (32 or 128 minus the prefix).</summary>
    public int HostBits => _bytes.Length * 8 - PrefixLength;

    /// <summary>The network that <paramref name="address"/> is in, with the given prefix length.</summary>
    public static Cidr Of(IPAddress address, int prefixLength) => new(address, prefixLength);

    /// <summary>True when the address lies in this network.</summary>
    public bool Contains(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return bytes.Length == _bytes.Length && Mask(bytes, PrefixLength).AsSpan().SequenceEqual(_bytes);
    }

    /// <summary>True when the two networks share an address (one contains the other's start).</summary>
    public bool Overlaps(Cidr other) => Contains(other.Network) || other.Contains(Network);

    /// <inheritdoc />
    public override string ToString() => Network + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses "address/prefix"; <paramref name="problem"/> says what is wrong and what to do.</summary>
    public static bool TryParse(string text, string example, out Cidr? cidr, out string problem)
    {
        cidr = null;
        var slash = text.IndexOf('/');
        if (slash < 0)
        {
            problem = $"'{ValueRules.Show(text)}' is not in CIDR notation: write the network address and prefix length, like {example}.";
            return false;
        }
        if (!TryParseIp(text.Substring(0, slash), out var address))
        {
            problem = $"'{ValueRules.Show(text)}' has a malformed network address: write an IPv4 or IPv6 address before the '/', like {example}.";
            return false;
        }
        var maxPrefix = address!.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefixText = text.Substring(slash + 1);
        if (!Regex.IsMatch(prefixText, "^[0-9]{1,3}\\z") || int.Parse(prefixText, CultureInfo.InvariantCulture) > maxPrefix)
        {
            problem = $"'{ValueRules.Show(text)}' has a malformed prefix length: write a number from 0 to {maxPrefix} after the '/'.";
            return false;
        }
        cidr = new Cidr(address, int.Parse(prefixText, CultureInfo.InvariantCulture));
        if (!cidr.Network.Equals(address))
        {
            problem = $"'{ValueRules.Show(text)}' has host bits set: did you mean {cidr}?";
            cidr = null;
            return false;
        }
        problem = "";
        return true;
    }

    /// <summary>
    /// Strict IP parsing: IPv4 only as four decimal numbers (IPAddress.TryParse would accept "10.1" or "1"),
    /// IPv6 without brackets or a zone.
    /// </summary>
    public static bool TryParseIp(string text, out IPAddress? address)
    {
        address = null;
        if (text.Contains(':'))
        {
            // Hex digits, ':' and '.' only: IPAddress.TryParse would also take a zone, brackets or surrounding white space.
            return text.All(ch => Uri.IsHexDigit(ch) || ch is ':' or '.')
                && IPAddress.TryParse(text, out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
        }
        var parts = text.Split('.');
        if (parts.Length != 4)
            return false;
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            if (!Regex.IsMatch(parts[i], "^[0-9]{1,3}\\z") || int.Parse(parts[i], CultureInfo.InvariantCulture) > 255)
                return false;
            bytes[i] = (byte)int.Parse(parts[i], CultureInfo.InvariantCulture);
        }
        address = new IPAddress(bytes);
        return true;
    }

    /// <summary>True when the text looks like an IP address (digits and dots, or a colon), so it must parse as one.</summary>
    public static bool LooksLikeIp(string text) => text.Contains(':') || Regex.IsMatch(text, @"^[0-9.]+\z");

    /// <summary>True for a DNS host name (RFC 1123 labels, any case).</summary>
    public static bool IsHostName(string text) => HostNameSyntax.IsMatch(text);

    private static byte[] Mask(byte[] bytes, int prefixLength)
    {
        var masked = (byte[])bytes.Clone();
        for (var i = 0; i < masked.Length; i++)
        {
            var keep = Math.Clamp(prefixLength - i * 8, 0, 8);
            masked[i] &= (byte)(0xFF << (8 - keep));
        }
        return masked;
    }
}
