using System;
using System.Collections.Generic;
using System.Linq;

namespace PiCluster.Steps.NodePrep;

/// <summary>The static IPv4 configuration wanted on a node's LAN interface.</summary>
public sealed class StaticAddress
{
    /// <summary>Creates the configuration.</summary>
    public StaticAddress(string interfaceName, string address, int prefixLength, string? gateway, IEnumerable<string>? dns)
    {
        Interface = interfaceName;
        Address = address;
        PrefixLength = prefixLength;
        Gateway = string.IsNullOrWhiteSpace(gateway) ? null : gateway;
        Dns = (dns ?? Array.Empty<string>()).Where(d => !string.IsNullOrWhiteSpace(d)).ToList();
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
