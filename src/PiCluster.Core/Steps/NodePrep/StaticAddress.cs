using System;
using System.Collections.Generic;
using System.Linq;

namespace PiCluster.Steps.NodePrep;

/// <summary>The static IPv4 configuration wanted on a node's LAN interface.</summary>
public sealed class StaticAddress
{
    /// <summary>Creates the configuration.</summary>
    /// <exception cref="ArgumentException">A part is not one plain word (see <see cref="ConfigToken"/>).</exception>
    public StaticAddress(string interfaceName, string address, int prefixLength, string? gateway, IEnumerable<string>? dns)
    {
        // Every part ends up as a word in a configuration file or an nmcli argument: one plain word each.
        Interface = ConfigToken.Require(interfaceName, "The LAN interface");
        Address = address.Length == 0 ? address : ConfigToken.Require(address, "The LAN address");
        PrefixLength = prefixLength;
        Gateway = string.IsNullOrEmpty(gateway) ? null : ConfigToken.Require(gateway!, "The gateway");
        Dns = (dns ?? Array.Empty<string>()).Where(d => !string.IsNullOrEmpty(d)).Select(d => ConfigToken.Require(d, "The DNS server")).ToList();
    }

    /// <summary>eth0, wlan0...</summary>
    public string Interface { get; }

    /// <summary>The IPv4 address.</summary>
    public string Address { get; }

    /// <summary>The prefix length (24 for 255.255.255.0).</summary>
    public int PrefixLength { get; }

    /// <summary>The default gateway, or null for none.</summary>
    public string? Gateway { get; }

    /// <summary>DNS servers, possibly none.</summary>
    public IReadOnlyList<string> Dns { get; }

    /// <summary>address/prefix.</summary>
    public string Cidr => $"{Address}/{PrefixLength}";

    /// <summary>Whether the interface is a Wi-Fi interface (power saving is turned off there).</summary>
    public bool IsWifi => Interface.StartsWith("wl", StringComparison.Ordinal);
}
