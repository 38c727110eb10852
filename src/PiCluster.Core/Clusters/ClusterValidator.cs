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
    private static readonly Regex ImageRepositorySyntax = new(
        @"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$", RegexOptions.CultureInvariant);
    private static readonly Regex Sha256Syntax = new("^[0-9A-Fa-f]{64}$", RegexOptions.CultureInvariant);

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
        else
            Check(_cluster, "name", ValueRules.ClusterName(_cluster.Name));

        Check(k, "version", ValueRules.KubernetesVersionText(k.Version));
        if (k.ControlPlaneEndpoint.Length > 0)
            Check(k, "controlPlaneEndpoint", ValueRules.ControlPlaneEndpoint(k.ControlPlaneEndpoint));
        CheckCertSans(k);
        CheckImageRepository(k);
        CheckManifestSha256(_cluster.Network);
        // A key path is relative to the cluster file, whose SourcePath is set only after loading.
        var sourced = new ClusterDefinition { SourcePath = _cluster.SourcePath ?? System.IO.Path.GetFullPath(_reader.FileName) };
        foreach (var (field, message) in PiCluster.Steps.Kubernetes.PackageSource.CheckClusterFields(k.PackageRepository, k.RepositoryKey, k.RepositoryKeyFingerprint, sourced.ResolvePath))
            Error(k, field, message);
        if (_cluster.Network.Manifest.Length > 0 && ValueRules.FilePath(_cluster.Network.Manifest) is { } badManifest)
            Error(_cluster.Network, "manifest", badManifest);
        else
            CheckUrl(_cluster.Network, "manifest", _cluster.Network.Manifest, pathAllowed: true);
        CheckChoice(_cluster.Network, "plugin", _cluster.Network.Plugin, Plugins, "network plugin");
        CheckChoice(_cluster.Runtime, "name", _cluster.Runtime.Name, Runtimes, "container runtime");
        CheckSsh(_cluster.Ssh);
        CheckLan();
        var lans = CheckNodes();
        CheckSubnets(lans);
    }

    /// <summary>Reports a value that breaks its rule (see <see cref="ValueRules"/>) at the value's position.</summary>
    private void Check(object owner, string field, string? problem)
    {
        if (problem is not null)
            Error(owner, field, problem);
    }

    /// <summary>kubeadm accepts an IP address, a DNS name or a wildcard DNS name (*.example.org) as a SAN.</summary>
    private void CheckCertSans(KubernetesSettings k)
    {
        for (var i = 0; i < k.CertSans.Count; i++)
        {
            var san = k.CertSans[i];
            var name = san.StartsWith("*.", StringComparison.Ordinal) ? san.Substring(2) : san;
            var valid = Cidr.LooksLikeIp(san) ? Cidr.TryParseIp(san, out _) : Cidr.IsHostName(name);
            if (!valid)
                Error(k, $"certSANs[{i}]", $"certSANs entry '{san}' is neither an IP address nor a DNS name: write an address like 192.168.1.200, a name like k8s.home.lan or a wildcard like *.home.lan (no port, no scheme).");
        }
    }

    /// <summary>A registry host with an optional port and path, as kubeadm prefixes image names with it: no scheme, no tag.</summary>
    private void CheckImageRepository(KubernetesSettings k)
    {
        var repository = k.ImageRepository;
        if (repository.Length == 0)
            return;
        if (repository.Contains("://"))
            Error(k, "imageRepository", $"imageRepository '{repository}' has a URL scheme: write the registry without it, like {repository.Substring(repository.IndexOf("://", StringComparison.Ordinal) + 3).TrimEnd('/')}.");
        else if (!ImageRepositorySyntax.IsMatch(repository))
            Error(k, "imageRepository", $"imageRepository '{repository}' is not a registry path: write a host with an optional port and path, like registry.home.lan:5000/k8s (lower-case path, no tag).");
    }

    private void CheckManifestSha256(NetworkSettings network)
    {
        if (network.ManifestSha256.Length > 0 && !Sha256Syntax.IsMatch(network.ManifestSha256))
            Error(network, "manifestSha256", $"manifestSha256 '{network.ManifestSha256}' is not a SHA-256: write the 64 hexadecimal digits that sha256sum prints for the manifest.");
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
            ? $"Unknown {what} '{ValueRules.Show(value)}'{suffix}: choose {list}."
            : $"Unknown {what} '{ValueRules.Show(value)}'{suffix}: did you mean '{closest}'? Choose {list}.");
    }

    private void CheckSsh(SshSettings ssh)
    {
        if (ssh.User is { } user)
            Check(ssh, "user", ValueRules.SshUser(user));
        if (ssh.IdentityFile is { } identityFile)
            Check(ssh, "identityFile", ValueRules.FilePath(identityFile));
        if (ssh.ConfigFile is { } configFile)
            Check(ssh, "configFile", ValueRules.FilePath(configFile));
        if (ssh.Transport is { } transport) CheckChoice(ssh, "transport", transport, Transports, "SSH transport");
    }

    private void CheckLan()
    {
        if (_cluster.Lan is not { } lan)
            return;
        Check(lan, "interface", ValueRules.InterfaceName(lan.Interface));
        if (lan.Gateway.Length > 0)
            Check(lan, "gateway", ValueRules.Gateway(lan.Gateway));
        for (var i = 0; i < lan.Dns.Count; i++)
            Check(lan, $"dns[{i}]", ValueRules.DnsServer(lan.Dns[i]));
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
            else if (ValueRules.NodeName(node.Name) is { } badName)
                Error(node, "name", badName);
            else if (names.TryGetValue(node.Name, out var first))
                Error(node, "name", $"Node name '{node.Name}' is already used by the node at line {first.Line}: give every node its own name.");
            else
                names[node.Name] = node;

            CheckChoice(node, "role", node.Role, Roles, "role", node.Name.Length == 0 ? "" : $" of node '{node.Name}'");
            CheckSsh(node.Ssh);

            IPAddress? address = null;
            if (node.Address.Length == 0)
                Error(node, "", $"{who} has no address: add 'address: <IP or host name where SSH reaches it>'.");
            else if (ValueRules.Address(node.Address) is { } badAddress)
                Error(node, "address", badAddress);
            else
            {
                Cidr.TryParseIp(node.Address, out address);
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
                if (ValueRules.LanAddress(node.LanAddress) is { } badLanAddress)
                    Error(node, "lanAddress", badLanAddress);
                else
                    Cidr.TryParseIp(node.LanAddress, out lanAddress);
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
    /// 2^16 node subnets; the release manifests PiCluster patches are IPv4 only.
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

        // Install-PiPodNetwork patches an IPv4 pod subnet into the release manifests (flannel's net-conf.json Network,
        // calico's CALICO_IPV4POOL_CIDR); their IPv6 settings are other fields that a custom manifest must set.
        var plugin = _cluster.Network.Plugin;
        if (_cluster.Network.Manifest.Length > 0)
            return;
        if ((plugin == "flannel" || plugin == "canal") && pod.IsV6)
            Error(k, "podSubnet", $"{plugin}'s release manifest sets up an IPv4 network only: use an IPv4 podSubnet, or give network.manifest with a manifest whose net-conf.json sets IPv6Network to {pod}.");
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

    private void Error(object owner, string field, string message)
    {
        Mark mark = _reader.Where(owner, field);
        _reader.Error(mark, message);
    }
}
