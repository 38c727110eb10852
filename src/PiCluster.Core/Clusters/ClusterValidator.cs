using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace PiCluster.Clusters;

/// <summary>
/// The rules a read cluster file must satisfy beyond its shape: addresses, subnets, names, roles and choices.
/// Every rule reports through the reader, at the position of the value to change, and checking goes on.
/// </summary>
internal sealed class ClusterValidator
{
    /// <summary>The pod subnet hard-coded in the net-conf.json of flannel's and canal's release manifests.</summary>
    public const string FlannelReleaseSubnet = "10.244.0.0/16";

    private static readonly string[] Plugins = { "flannel", "calico", "canal" };
    private static readonly string[] Runtimes = { "containerd", "cri-o" };
    private static readonly string[] Transports = { "openssh", "sshnet" };
    private static readonly string[] Roles = { "control-plane", "worker" };
    private static readonly Regex Label = new("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant);
    private static readonly Regex InterfaceName = new(@"^[A-Za-z0-9_.:-]{1,15}$", RegexOptions.CultureInvariant);
    private static readonly Regex IPv4WithPort = new(@"^[0-9.]+:([0-9]+)$", RegexOptions.CultureInvariant);

    private readonly ClusterDefinition _cluster;
    private readonly ClusterFileReader _reader;

    private ClusterValidator(ClusterDefinition cluster, ClusterFileReader reader)
    {
        _cluster = cluster;
        _reader = reader;
    }

    public static void Validate(ClusterDefinition cluster, ClusterFileReader reader) => new ClusterValidator(cluster, reader).Run();

    private void Run()
    {
        var k = _cluster.Kubernetes;
        if (_cluster.Name.Length == 0)
            Error(_cluster, "", "Missing required field 'name': add 'name: <cluster name>' at the top level.");
        else if (!Label.IsMatch(_cluster.Name))
            Error(_cluster, "name", $"Cluster name '{_cluster.Name}' is invalid: use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit.");

        if (!KubernetesVersion.TryParse(k.Version, out var version, out var problem))
            Error(k, "version", problem);
        else if (version!.Minor < KubernetesVersion.MinimumMinor)
            Error(k, "version", $"Kubernetes {version} is older than the oldest version PiCluster supports: choose 1.{KubernetesVersion.MinimumMinor} or later.");

        CheckEndpoint(k.ControlPlaneEndpoint);
        CheckUrl(k, "packageRepository", k.PackageRepository, pathAllowed: false);
        CheckUrl(k, "repositoryKey", k.RepositoryKey, pathAllowed: true);
        CheckUrl(_cluster.Network, "manifest", _cluster.Network.Manifest, pathAllowed: true);
        CheckChoice(_cluster.Network, "plugin", _cluster.Network.Plugin, Plugins, "network plugin");
        CheckChoice(_cluster.Runtime, "name", _cluster.Runtime.Name, Runtimes, "container runtime");
        CheckSsh(_cluster.Ssh);
        CheckLan();
        var lans = CheckNodes();
        CheckSubnets(lans);
    }

    private void CheckEndpoint(string endpoint)
    {
        if (endpoint.Length == 0)
            return;
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
        var hostValid = bracket > 0 ? host.Contains(':') && Cidr.TryParseIp(host, out _) : Cidr.LooksLikeIp(host) ? Cidr.TryParseIp(host, out _) : Cidr.IsHostName(host);
        var portValid = port.Length == 0 || (Regex.IsMatch(port, "^[0-9]{1,5}$") && int.Parse(port, CultureInfo.InvariantCulture) is >= 1 and <= 65535);
        if (!hostValid || !portValid)
            Error(_cluster.Kubernetes, "controlPlaneEndpoint", $"controlPlaneEndpoint '{endpoint}' is invalid: write an address or host name with an optional port 1-65535, like 192.168.1.200:6443, k8s.home.lan or [fd00::10]:6443.");
    }

    private void CheckUrl(object owner, string field, string value, bool pathAllowed)
    {
        if (value.Length == 0 || (pathAllowed && !value.Contains("://")))
            return;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != "https" && uri.Scheme != "http" && uri.Scheme != "file"))
            Error(owner, field, pathAllowed
                ? $"{field} '{value}' is neither a local path nor an http(s) or file URL: give a path or a URL like https://example.org/file."
                : $"{field} '{value}' is not an http(s) or file URL: give the repository's URL, like https://pkgs.k8s.io/core:/stable:/v1.34/deb/.");
    }

    private void CheckChoice(object owner, string field, string value, string[] choices, string what, string suffix = "")
    {
        if (choices.Contains(value))
            return;
        var closest = ClusterFileReader.Suggest(value, choices);
        var list = string.Join(", ", choices.Take(choices.Length - 1)) + " or " + choices[choices.Length - 1];
        Error(owner, field, closest is null
            ? $"Unknown {what} '{value}'{suffix}: choose {list}."
            : $"Unknown {what} '{value}'{suffix}: did you mean '{closest}'? Choose {list}.");
    }

    private void CheckSsh(SshSettings ssh)
    {
        if (ssh.User is { } user && (user.StartsWith("-", StringComparison.Ordinal) || user.IndexOfAny(new[] { ' ', '\t', '@', ':' }) >= 0))
            Error(ssh, "user", $"SSH user '{user}' is invalid: give a login name without spaces, '@' or ':' that does not start with '-'.");
        if (ssh.Transport is { } transport) CheckChoice(ssh, "transport", transport, Transports, "SSH transport");
    }

    private void CheckLan()
    {
        if (_cluster.Lan is not { } lan)
            return;
        if (!InterfaceName.IsMatch(lan.Interface) || lan.Interface is "." or "..")
            Error(lan, "interface", $"Interface name '{lan.Interface}' is invalid: give the Linux name of the LAN interface, like eth0 or wlan0 (at most 15 characters, no spaces or '/').");
        if (lan.Gateway.Length > 0 && !Cidr.TryParseIp(lan.Gateway, out _))
            Error(lan, "gateway", $"Gateway '{lan.Gateway}' is not a valid IP address: write the router's address, like 192.168.1.1.");
        for (var i = 0; i < lan.Dns.Count; i++)
        {
            if (!Cidr.TryParseIp(lan.Dns[i], out _))
                Error(lan, $"dns[{i}]", $"DNS server '{lan.Dns[i]}' is not a valid IP address: write an address, like 192.168.1.1.");
        }
    }

    /// <summary>Checks every node and the relations between them; returns each node's LAN network (the address alone without a lan section).</summary>
    private List<(NodeDefinition Node, IPAddress Address, Cidr Network)> CheckNodes()
    {
        var nodes = _cluster.Nodes;
        var lans = new List<(NodeDefinition, IPAddress, Cidr)>();
        if (nodes.Count == 0 && !_reader.NodesMalformed)
        {
            Error(_cluster, "nodes", "The cluster has no nodes: add 'nodes:' with at least one entry (name, address, role).");
            return lans;
        }
        var names = new Dictionary<string, NodeDefinition>();
        var endpoints = new Dictionary<string, NodeDefinition>(StringComparer.OrdinalIgnoreCase);
        var lanAddresses = new Dictionary<IPAddress, NodeDefinition>();
        var prefixTooLong = false;
        foreach (var node in nodes)
        {
            var who = node.Name.Length == 0 ? "This node" : $"Node '{node.Name}'";
            if (node.Name.Length == 0)
                Error(node, "", "Missing required field 'name' in this node: add 'name: <hostname>'.");
            else if (!Label.IsMatch(node.Name))
                Error(node, "name", $"Node name '{node.Name}' is not a valid hostname: use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit{NameHint(node.Name)}");
            else if (names.TryGetValue(node.Name, out var first))
                Error(node, "name", $"Node name '{node.Name}' is already used by the node at line {first.Line}: give every node its own name.");
            else
                names[node.Name] = node;

            CheckChoice(node, "role", node.Role, Roles, "role", node.Name.Length == 0 ? "" : $" of node '{node.Name}'");
            CheckSsh(node.Ssh);

            IPAddress? address = null;
            if (node.Address.Length == 0)
                Error(node, "", $"{who} has no address: add 'address: <IP or host name where SSH reaches it>'.");
            else if (IPv4WithPort.Match(node.Address) is { Success: true } withPort)
                Error(node, "address", $"Address '{node.Address}' includes a port: write the address alone and set the port with 'ssh: {{ port: {withPort.Groups[1].Value} }}'.");
            else if (Cidr.LooksLikeIp(node.Address) ? !Cidr.TryParseIp(node.Address, out address) : !Cidr.IsHostName(node.Address))
                Error(node, "address", $"Address '{node.Address}' is not a valid IP address or host name: write an address like 192.168.1.201 or a name like node01.lan.");
            else
            {
                var port = node.Ssh.Port ?? _cluster.Ssh.Port ?? 22;
                var endpoint = (address?.ToString() ?? node.Address) + ":" + port.ToString(CultureInfo.InvariantCulture);
                if (endpoints.TryGetValue(endpoint, out var same))
                    Error(node, "address", $"{who} has the same SSH address and port ({endpoint}) as node '{same.Name}' at line {same.Line}: give each node its own address or ssh port.");
                else
                    endpoints[endpoint] = node;
            }

            var lanField = node.LanAddress is null ? "address" : "lanAddress";
            IPAddress? lanAddress = null;
            if (node.LanAddress is not null)
            {
                if (!Cidr.TryParseIp(node.LanAddress, out lanAddress))
                    Error(node, "lanAddress", $"lanAddress '{node.LanAddress}' is not a valid IP address: write the node's static address on the LAN, like 192.168.1.201.");
                else if (IPAddress.IsLoopback(lanAddress!))
                {
                    Error(node, "lanAddress", $"lanAddress '{node.LanAddress}' is a loopback address: write the node's address on the LAN.");
                    lanAddress = null;
                }
            }
            else if (address is not null && !IPAddress.IsLoopback(address))
            {
                lanAddress = address; // a loopback SSH address (a port forward, as in the lab) says nothing about the LAN
            }

            if (lanAddress is null)
            {
                if (_cluster.Lan is not null && node.LanAddress is null && node.Address.Length > 0)
                    Error(node, "address", $"{who} needs a lanAddress for the static addressing in 'lan': its address '{node.Address}' is not a LAN IP address; add 'lanAddress: <IP>'.");
                continue;
            }
            if (lanAddresses.TryGetValue(lanAddress, out var sameLan))
                Error(node, lanField, $"{who} has the same LAN address {lanAddress} as node '{sameLan.Name}' at line {sameLan.Line}: give each node its own lanAddress.");
            else
                lanAddresses[lanAddress] = node;

            var fullLength = lanAddress.GetAddressBytes().Length * 8;
            var prefix = _cluster.Lan?.PrefixLength ?? fullLength;
            if (prefix > fullLength)
            {
                if (!prefixTooLong)
                    Error(_cluster.Lan!, "prefixLength", $"lan.prefixLength {prefix} is too long for the IPv4 LAN address {lanAddress}: use 1 to 32.");
                prefixTooLong = true;
                prefix = fullLength;
            }
            lans.Add((node, lanAddress, Cidr.Of(lanAddress, prefix)));
        }

        var controlPlanes = nodes.Where(n => n.Role == "control-plane").ToList();
        if (controlPlanes.Count == 0 && !_reader.NodesMalformed && nodes.Count > 0 && nodes.All(n => Roles.Contains(n.Role)))
            Error(_cluster, "nodes", "No node has role 'control-plane': set 'role: control-plane' on the node that runs the Kubernetes control plane.");
        else if (controlPlanes.Count > 1 && _cluster.Kubernetes.ControlPlaneEndpoint.Length == 0)
            Error(controlPlanes[1], "role", $"Node '{controlPlanes[1].Name}' is a second control plane but kubernetes.controlPlaneEndpoint is empty: set it to a host:port or VIP that reaches every control plane, or make this node a worker.");

        CheckGateway(lans);
        return lans;
    }

    private void CheckGateway(List<(NodeDefinition Node, IPAddress Address, Cidr Network)> lans)
    {
        if (_cluster.Lan is not { Gateway.Length: > 0 } lan || !Cidr.TryParseIp(lan.Gateway, out var gateway) || lans.Count == 0)
            return;
        var onGatewayNet = lans.Where(l => l.Network.Contains(gateway!)).ToList();
        if (onGatewayNet.Count == 0)
        {
            var subnets = string.Join(", ", lans.Select(l => l.Network.ToString()).Distinct());
            Error(lan, "gateway", $"Gateway {gateway} is outside the nodes' LAN subnet {subnets}: give a gateway on that subnet or correct lan.prefixLength.");
            return;
        }
        foreach (var (node, address, _) in lans.Where(l => !l.Network.Contains(gateway!)))
            Error(node, node.LanAddress is null ? "address" : "lanAddress", $"Node '{node.Name}' LAN address {address} is not on the subnet {onGatewayNet[0].Network} of gateway {gateway}: give it a lanAddress on that subnet or correct lan.prefixLength.");
    }

    private void CheckSubnets(List<(NodeDefinition Node, IPAddress Address, Cidr Network)> lans)
    {
        var k = _cluster.Kubernetes;
        var pod = Subnet(k.PodSubnet, "podSubnet", FlannelReleaseSubnet);
        var service = Subnet(k.ServiceSubnet, "serviceSubnet", "10.96.0.0/12");
        if (pod is not null)
            CheckPodSubnet(pod);
        if (service is not null && service.HostBits > 20)
            Error(k, "serviceSubnet", $"serviceSubnet '{k.ServiceSubnet}' is too large: kubeadm allows at most 20 host bits, so use a /{(service.IsV6 ? 108 : 12)} or smaller.");
        if (pod is not null && service is not null)
        {
            // Point at the subnet the file wrote: a defaulted one has no position.
            var field = _reader.Has(k, "serviceSubnet") || !_reader.Has(k, "podSubnet") ? "serviceSubnet" : "podSubnet";
            var serviceText = field == "serviceSubnet" ? $"serviceSubnet '{k.ServiceSubnet}'" : $"The default serviceSubnet '{k.ServiceSubnet}'";
            if (pod.IsV6 != service.IsV6)
                Error(k, field, $"{serviceText} is {(service.IsV6 ? "IPv6" : "IPv4")} but podSubnet is {(pod.IsV6 ? "IPv6" : "IPv4")}: use one address family for both.");
            else if (pod.Overlaps(service))
                Error(k, field, $"{serviceText} overlaps podSubnet '{k.PodSubnet}': choose subnets that do not overlap.");
        }
        foreach (var (field, subnet) in new[] { ("podSubnet", pod), ("serviceSubnet", service) })
        {
            if (subnet is null)
                continue;
            var written = _reader.Has(k, field);
            foreach (var (node, _, network) in lans.Where(l => l.Network.Overlaps(subnet)).GroupBy(l => l.Network.ToString()).Select(g => g.First()))
            {
                var lan = _cluster.Lan is null ? $"the LAN address {network.Network}" : $"the LAN subnet {network}";
                var what = written ? $"{field} '{subnet}'" : $"The default {field} '{subnet}'";
                if (written)
                    Error(k, field, $"{what} overlaps {lan} of node '{node.Name}': choose a {field} outside the LAN.");
                else
                    Error(node, node.LanAddress is null ? "address" : "lanAddress", $"{what} overlaps {lan} of node '{node.Name}': set kubernetes.{field} to a subnet outside the LAN.");
            }
        }
    }

    /// <summary>
    /// kube-controller-manager gives each node a /24 (IPv4) or /64 (IPv6) of the pod subnet and splits it into at most
    /// 2^16 node subnets; flannel and canal release manifests hard-code 10.244.0.0/16; calico's is IPv4 only.
    /// </summary>
    private void CheckPodSubnet(Cidr pod)
    {
        var k = _cluster.Kubernetes;
        var nodeMask = pod.IsV6 ? 64 : 24;
        if (pod.PrefixLength > nodeMask)
            Error(k, "podSubnet", $"podSubnet '{pod}' is too small: Kubernetes gives each node a /{nodeMask} of it, so use a /{nodeMask} or larger.");
        else if (nodeMask - pod.PrefixLength > 16)
            Error(k, "podSubnet", $"podSubnet '{pod}' is too large: Kubernetes splits it into at most 65536 node subnets of /{nodeMask}, so use a /{nodeMask - 16} or smaller.");
        else if (nodeMask - pod.PrefixLength < 16 && 1 << (nodeMask - pod.PrefixLength) < _cluster.Nodes.Count)
            Error(k, "podSubnet", $"podSubnet '{pod}' has room for {1 << (nodeMask - pod.PrefixLength)} node(s) (a /{nodeMask} each) but the file lists {_cluster.Nodes.Count}: use a larger subnet, like a /16.");

        var plugin = _cluster.Network.Plugin;
        if (_cluster.Network.Manifest.Length > 0)
            return;
        if ((plugin == "flannel" || plugin == "canal") && pod.ToString() != FlannelReleaseSubnet)
            Error(k, "podSubnet", $"{plugin}'s release manifest is fixed to the pod subnet {FlannelReleaseSubnet}: set podSubnet to {FlannelReleaseSubnet}, or give network.manifest with a manifest whose net-conf.json uses {pod}.");
        else if (plugin == "calico" && pod.IsV6)
            Error(k, "podSubnet", $"calico's release manifest sets up IPv4 pools only: use an IPv4 podSubnet, or give network.manifest with one configured for {pod}.");
    }

    private Cidr? Subnet(string text, string field, string example)
    {
        if (Cidr.TryParse(text, example, out var cidr, out var problem))
            return cidr;
        Error(_cluster.Kubernetes, field, $"{field} {problem}");
        return null;
    }

    /// <summary>A hostname made from a bad name, offered when it is simple to derive.</summary>
    private static string NameHint(string name)
    {
        var fixedName = Regex.Replace(name.ToLowerInvariant(), "[^a-z0-9-]+", "-").Trim('-');
        return Label.IsMatch(fixedName) ? $" (did you mean '{fixedName}'?)." : ".";
    }

    private void Error(object owner, string field, string message)
    {
        Mark mark = _reader.Where(owner, field);
        _reader.Error(mark, message);
    }
}
