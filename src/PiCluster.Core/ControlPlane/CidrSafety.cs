using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using PiCluster.Clusters;

namespace PiCluster.ControlPlane;

/// <summary>One route of a node's main routing table, as <c>ip -j route show</c> reports it.</summary>
/// <param name="Destination">The destination network ("192.168.1.0/24"), or a host address ("10.8.0.1").</param>
/// <param name="Device">The interface ("eth0", "wlan0", "docker0"), or "" for routes without one (blackhole).</param>
/// <param name="Type">"unicast" (what <c>ip</c> leaves unsaid), or blackhole, unreachable, prohibit, ...</param>
public sealed record RouteFact(string Destination, string Device, string Type = "unicast")
{
    /// <summary>
    /// Reads <c>ip -j route show</c> (and <c>ip -j -6 route show</c>) output: a JSON array of objects with "dst", "dev",
    /// and "type" for routes that are not unicast. Entries without a usable destination are skipped.
    /// </summary>
    /// <exception cref="FormatException">The text is not such a JSON array.</exception>
    public static IReadOnlyList<RouteFact> ParseIpJson(string json)
    {
        var routes = new List<RouteFact>();
        try
        {
            using var document = JsonDocument.Parse(json.Trim().Length == 0 ? "[]" : json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new FormatException("ip -j route did not print a JSON array.");
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("dst", out var dst) || dst.ValueKind != JsonValueKind.String)
                    continue;
                routes.Add(new RouteFact(dst.GetString()!, Text(entry, "dev"), Text(entry, "type") is { Length: > 0 } type ? type : "unicast"));
            }
        }
        catch (JsonException e)
        {
            throw new FormatException("ip -j route did not print JSON: " + e.Message, e);
        }
        return routes;
    }

    private static string Text(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}

/// <summary>What a node reported about its networks, for <see cref="CidrSafety"/>.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="LanAddress">Its static LAN address.</param>
/// <param name="Routes">Its main routing table: connected networks, VPNs, docker0 and the like.</param>
public sealed record NodeNetworkFacts(string Node, string LanAddress, IReadOnlyList<RouteFact> Routes);

/// <summary>
/// The checks that refuse a cluster before kubeadm init or a CNI apply changes anything: the pod and service subnets
/// must not overlap each other, a node's LAN address or a network the node already routes to (traffic to those would
/// be captured by kube-proxy or the CNI), and the CNI's own pool must match the pod subnet.
/// </summary>
public static class CidrSafety
{
    // Interfaces the CNI or kube-proxy create: their routes lie inside the pod or service subnet on a running cluster by design.
    private static readonly Regex ClusterDevice = new(
        @"^(?:cni0|flannel\..+|flannel-v6\..+|cali.+|tunl0|vxlan\.calico|vxlan-v6\.calico|kube-ipvs0|kube-bridge|cilium_.+|weave)$", RegexOptions.CultureInvariant);

    /// <summary>Every problem found, each saying what overlaps what and what to change; empty when the subnets are safe.</summary>
    /// <param name="cluster">The cluster file (pod and service subnets, plugin).</param>
    /// <param name="nodes">What each node reported.</param>
    /// <param name="pools">The CNI manifest's pool settings (<see cref="CniManifestPatcher.ReadPools"/> or a patch's <see cref="ManifestPatch.Pools"/>); none to skip that check.</param>
    public static IReadOnlyList<string> Check(ClusterDefinition cluster, IEnumerable<NodeNetworkFacts> nodes, IEnumerable<CniPoolSetting>? pools = null)
    {
        var problems = new List<string>();
        var k = cluster.Kubernetes;
        var subnets = new List<(string Field, Cidr Cidr)>();
        foreach (var (field, text) in new[] { ("podSubnet", k.PodSubnet), ("serviceSubnet", k.ServiceSubnet) })
        {
            if (Cidr.TryParse(text, "10.244.0.0/16", out var cidr, out var problem))
                subnets.Add((field, cidr!));
            else
                problems.Add($"kubernetes.{field} {problem}");
        }
        if (subnets.Count == 2 && subnets[0].Cidr.Overlaps(subnets[1].Cidr))
            problems.Add($"kubernetes.podSubnet {subnets[0].Cidr} overlaps kubernetes.serviceSubnet {subnets[1].Cidr}: choose subnets that do not overlap.");

        var overlaps = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (Cidr.TryParseIp(node.LanAddress, out var lan))
            {
                foreach (var (field, subnet) in subnets.Where(s => s.Cidr.Contains(lan!)))
                    problems.Add($"kubernetes.{field} {subnet} contains the LAN address {lan} of node '{node.Node}': choose a {field} outside the LAN (for a 192.168.x LAN, e.g. 10.244.0.0/16 for pods and 10.96.0.0/12 for services).");
            }
            foreach (var route in node.Routes)
            {
                if (route.Type != "unicast" || ClusterDevice.IsMatch(route.Device) || !TryParseDestination(route.Destination, out var destination) || destination!.PrefixLength == 0)
                    continue;
                foreach (var (field, subnet) in subnets.Where(s => s.Cidr.Overlaps(destination)))
                {
                    var key = $"kubernetes.{field} {subnet} overlaps {destination}{(route.Device.Length > 0 ? " on " + route.Device : "")}";
                    if (!overlaps.TryGetValue(key, out var names))
                        overlaps[key] = names = new List<string>();
                    if (!names.Contains(node.Node))
                        names.Add(node.Node);
                }
            }
        }
        foreach (var (what, names) in overlaps)
        {
            var field = what.Substring("kubernetes.".Length, what.IndexOf(' ') - "kubernetes.".Length);
            problems.Add($"{what}, a network node{(names.Count > 1 ? "s" : "")} {string.Join(", ", names.Select(n => $"'{n}'"))} already route{(names.Count > 1 ? "" : "s")} to: choose a {field} that overlaps none of the nodes' networks (see 'ip route').");
        }

        var pod = subnets.FirstOrDefault(s => s.Field == "podSubnet").Cidr;
        foreach (var pool in pools ?? Enumerable.Empty<CniPoolSetting>())
        {
            if (pod is null || pool.Cidr is null)
                continue; // unset: calico-node takes the pod subnet from kubeadm's configuration
            if (!Cidr.TryParse(pool.Cidr, "10.244.0.0/16", out var cidr, out var problem))
                problems.Add($"{pool.Where} {problem}");
            else if (pool.MustEqualPodSubnet && cidr!.ToString() != pod.ToString())
                problems.Add($"{pool.Where} is {cidr} but kubernetes.podSubnet is {pod}: flannel must use the cluster's pod subnet; let PiCluster patch the manifest, or set podSubnet to {cidr} if that is free.");
            else if (!pool.MustEqualPodSubnet && !(pod.Contains(cidr!.Network) && cidr.PrefixLength >= pod.PrefixLength))
                problems.Add($"{pool.Where} is {cidr}, which is not within kubernetes.podSubnet {pod}: calico would give pods addresses the cluster does not route; let PiCluster patch the manifest to {pod}.");
        }
        return problems;
    }

    private static bool TryParseDestination(string text, out Cidr? destination)
    {
        destination = null;
        if (text.Contains('/'))
            return Cidr.TryParse(text, "", out destination, out _);
        if (!Cidr.TryParseIp(text, out var address))
            return false;
        destination = Cidr.Of(address!, address!.GetAddressBytes().Length * 8);
        return true;
    }
}
