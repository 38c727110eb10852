using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace PiCluster.Clusters;

/// <summary>
/// The grammar of every value that reaches a node, ssh or a file on a node, whichever way it came in: the cluster file
/// (<see cref="ClusterValidator"/>), a cmdlet parameter (the module's ValidatePiValue attribute) or an object bound from
/// the pipeline (<see cref="Engine.PiNode"/>'s constructor). Each method returns what is wrong and what to do, or null
/// for a good value, so that every entry point reports a bad value in the same words.
/// </summary>
public static class ValueRules
{
    /// <summary>The lowest and highest TCP port.</summary>
    public const int MinPort = 1, MaxPort = 65535;

    private static readonly Regex Label = new("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\z", RegexOptions.CultureInvariant);

    // Letters, digits, '.', '_' and '-' only (no ':', '/' or spaces, as Linux's dev_valid_name), and no leading '-' so the
    // name can never be read as an option of ip or nmcli.
    private static readonly Regex InterfaceSyntax = new(@"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}\z", RegexOptions.CultureInvariant);

    // The portable login names of POSIX plus '.', at most 32 characters as useradd allows; never an ssh option.
    private static readonly Regex UserSyntax = new(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\z", RegexOptions.CultureInvariant);

    private static readonly Regex HostWithPort = new(@"^(?:\[[^\]]*\]|[^:\[\]]+):([0-9]*)\z", RegexOptions.CultureInvariant);

    private const string HostHint = "write an address like 192.168.1.201 or a name like node01.lan";

    /// <summary>A cluster name: an RFC 1123 label in lower case.</summary>
    public static string? ClusterName(string name) => Label.IsMatch(name) ? null
        : $"Cluster name '{Show(name)}' is invalid: use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit.";

    /// <summary>A node name, which becomes its hostname: an RFC 1123 label in lower case.</summary>
    public static string? NodeName(string name) => Label.IsMatch(name) ? null
        : $"Node name '{Show(name)}' is not a valid hostname: use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit{NameHint(name)}";

    /// <summary>
    /// Where ssh reaches a node: an IP address or a DNS name, nothing else. ssh would read a leading '-' as an option, a
    /// scheme as an ssh:// URI and '@' as a user, so each gets its own message.
    /// </summary>
    public static string? Address(string address)
    {
        var shown = Show(address);
        if (address.Length == 0)
            return $"The address is empty: {HostHint}.";
        if (HasSpaceOrControl(address))
            return $"Address '{shown}' contains a space or a control character (line break, tab, NUL): {HostHint}.";
        if (address.StartsWith("-", StringComparison.Ordinal))
            return $"Address '{shown}' starts with '-', which ssh would read as an option: {HostHint}.";
        if (address.Contains("://"))
            return $"Address '{shown}' is a URL: write the host alone and give the user and port separately (ssh.user and ssh.port in a cluster file, -User and -Port on New-PiNode).";
        if (address.Contains('@'))
            return $"Address '{shown}' includes a user: write the host alone and give the user separately (ssh.user in a cluster file, -User on New-PiNode).";
        if ((address.StartsWith("[", StringComparison.Ordinal) || !address.Contains("::")) && HostWithPort.Match(address) is { Success: true } withPort)
            return $"Address '{shown}' includes a port: write the address alone and set the port with 'ssh: {{ port: {withPort.Groups[1].Value} }}' (-Port on New-PiNode).";
        return IsHost(address) ? null : $"Address '{shown}' is not a valid IP address or host name: {HostHint}.";
    }

    /// <summary>A node's static address on the LAN: an IP address that is not loopback.</summary>
    public static string? LanAddress(string address)
    {
        if (!Cidr.TryParseIp(address, out var ip))
            return $"lanAddress '{Show(address)}' is not a valid IP address: write the node's static address on the LAN, like 192.168.1.201.";
        return IPAddress.IsLoopback(ip!) ? $"lanAddress '{Show(address)}' is a loopback address: write the node's address on the LAN." : null;
    }

    /// <summary>An SSH login name: letters, digits, '_', '.' and '-', at most 32, never starting like an option.</summary>
    public static string? SshUser(string user) => UserSyntax.IsMatch(user) ? null
        : $"SSH user '{Show(user)}' is invalid: give a login name of letters, digits, '_', '.' and '-' (at most 32, not starting with '-' or '.').";

    /// <summary>A TCP port.</summary>
    public static string? Port(int port) => port is >= MinPort and <= MaxPort ? null
        : $"Port {port.ToString(CultureInfo.InvariantCulture)} is out of range: give a port from {MinPort} to {MaxPort}.";

    /// <summary>A local file (key, ssh_config): any path, but on one line.</summary>
    public static string? FilePath(string path) => path.Length > 0 && !path.Any(char.IsControl) ? null
        : path.Length == 0 ? "The path is empty: give a file." : $"Path '{Show(path)}' contains a control character (line break, tab, NUL): write the path on one line.";

    /// <summary>A Linux network interface name.</summary>
    public static string? InterfaceName(string name) => InterfaceSyntax.IsMatch(name) && name is not ("." or "..") ? null
        : $"Interface name '{Show(name)}' is invalid: give the Linux name of the LAN interface, like eth0 or wlan0 (at most 15 letters, digits, '.', '_' or '-', not starting with '-').";

    /// <summary>A default gateway: an IP address.</summary>
    public static string? Gateway(string gateway) => Cidr.TryParseIp(gateway, out _) ? null
        : $"Gateway '{Show(gateway)}' is not a valid IP address: write the router's address, like 192.168.1.1.";

    /// <summary>A DNS server: an IP address (a name would need a resolver to find the resolver).</summary>
    public static string? DnsServer(string server) => Cidr.TryParseIp(server, out _) ? null
        : $"DNS server '{Show(server)}' is not a valid IP address: write an address, like 192.168.1.1.";

    /// <summary>An NTP server: an IP address or a DNS name.</summary>
    public static string? NtpServer(string server) => IsHost(server) ? null
        : $"NTP server '{Show(server)}' is not a valid IP address or host name: write a server like 0.debian.pool.ntp.org or 192.168.1.1.";

    /// <summary>A Kubernetes version PiCluster can install: "1.N" or "1.N.P", 1.<see cref="KubernetesVersion.MinimumMinor"/> or later.</summary>
    public static string? KubernetesVersionText(string version)
    {
        if (!KubernetesVersion.TryParse(version, out var parsed, out var problem))
            return problem;
        return parsed!.Minor < KubernetesVersion.MinimumMinor
            ? $"Kubernetes {parsed} is older than the oldest version PiCluster supports: choose 1.{KubernetesVersion.MinimumMinor} or later."
            : null;
    }

    /// <summary>A network in CIDR notation with no host bits set; <paramref name="field"/> starts the message.</summary>
    public static string? Subnet(string text, string field, string example) =>
        Cidr.TryParse(text, example, out _, out var problem) ? null : $"{field} {problem}";

    /// <summary>The API server endpoint: a host or address with an optional port, IPv6 in brackets when a port follows.</summary>
    public static string? ControlPlaneEndpoint(string endpoint)
    {
        string host = endpoint, port = "";
        var bracket = endpoint.StartsWith("[", StringComparison.Ordinal) ? endpoint.IndexOf(']') : -1;
        if (bracket > 0)
        {
            host = endpoint.Substring(1, bracket - 1);
            port = endpoint.Substring(bracket + 1);
            port = port.StartsWith(":", StringComparison.Ordinal) ? port.Substring(1) : port.Length == 0 ? "" : "x";
        }
        else if (endpoint.Count(ch => ch == ':') == 1)
        {
            host = endpoint.Substring(0, endpoint.IndexOf(':'));
            port = endpoint.Substring(endpoint.IndexOf(':') + 1);
        }
        var hostValid = bracket > 0 ? host.Contains(':') && Cidr.TryParseIp(host, out _) : IsHost(host);
        var portValid = port.Length == 0 || (Regex.IsMatch(port, "^[0-9]{1,5}\\z") && Port(int.Parse(port, CultureInfo.InvariantCulture)) is null);
        return hostValid && portValid ? null
            : $"controlPlaneEndpoint '{Show(endpoint)}' is invalid: write an address or host name with an optional port 1-65535, like 192.168.1.200:6443, k8s.home.lan or [fd00::10]:6443.";
    }

    /// <summary>
    /// A value as a message may quote it: control characters written as escapes (\n, \u0000), so that a hostile value
    /// cannot add lines to an error or a log, and at most 100 characters.
    /// </summary>
    public static string Show(string value) =>
        value.Length > 100 ? Escape(value.Substring(0, 100)) + "..." : Escape(value);

    /// <summary>The text with control characters (and lone surrogates) written as escapes, so it stays on one line.</summary>
    public static string Escape(string text)
    {
        if (!text.Any(ch => char.IsControl(ch) || char.IsSurrogate(ch)))
            return text;
        var escaped = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (char.IsHighSurrogate(ch) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                escaped.Append(ch).Append(text[++i]); // a well-formed pair is a character like any other
                continue;
            }
            escaped.Append(ch switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(ch) || char.IsSurrogate(ch) => "\\u" + ((int)ch).ToString("x4", CultureInfo.InvariantCulture),
                _ => ch.ToString(),
            });
        }
        return escaped.ToString();
    }

    /// <summary>True for an IP address (strict: four decimal parts for IPv4, IPv6 without brackets) or a DNS name.</summary>
    internal static bool IsHost(string text) => Cidr.LooksLikeIp(text) ? Cidr.TryParseIp(text, out _) : Cidr.IsHostName(text);

    private static bool HasSpaceOrControl(string text) => text.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch));

    /// <summary>A hostname made from a bad name, offered when it is simple to derive.</summary>
    private static string NameHint(string name)
    {
        var fixedName = Regex.Replace(name.ToLowerInvariant(), "[^a-z0-9-]+", "-").Trim('-');
        return fixedName.Length > 0 && Label.IsMatch(fixedName) ? $" (did you mean '{fixedName}'?)." : ".";
    }
}
