using System;
using System.IO;
using System.Linq;
using PiCluster.Clusters;
using PiCluster.ControlPlane;
using Xunit;

namespace PiCluster.Tests.ControlPlane;

public class CidrSafetyTests
{
    private static ClusterDefinition Cluster(string pod = "10.244.0.0/16", string service = "10.96.0.0/12", string plugin = "flannel")
    {
        // Parse a valid file, then set the subnets: the facts checks must stand on their own, even for what the validator would catch.
        var cluster = ClusterFileLoader.Parse($"name: homelab\nnetwork: {{ plugin: {plugin} }}\nnodes:\n  - {{ name: node01, address: 127.0.0.1, lanAddress: 192.168.1.201, role: control-plane, ssh: {{ port: 2201 }} }}\n", "c.yaml");
        cluster.Kubernetes.PodSubnet = pod;
        cluster.Kubernetes.ServiceSubnet = service;
        return cluster;
    }

    // The shape of `ip -j route show` on a Pi with docker and a WireGuard VPN.
    private const string PiRoutes =
        """
        [{"dst":"default","gateway":"192.168.1.1","dev":"eth0","protocol":"dhcp","prefsrc":"192.168.1.201","metric":100,"flags":[]},
         {"dst":"10.8.0.0/24","dev":"wg0","protocol":"kernel","scope":"link","prefsrc":"10.8.0.2","flags":[]},
         {"dst":"172.17.0.0/16","dev":"docker0","protocol":"kernel","scope":"link","prefsrc":"172.17.0.1","flags":["linkdown"]},
         {"dst":"192.168.1.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.168.1.201","metric":100,"flags":[]}]
        """;

    private static NodeNetworkFacts Pi(string name = "node01", string lan = "192.168.1.201", string routes = PiRoutes) =>
        new(name, lan, RouteFact.ParseIpJson(routes));

    [Fact]
    public void TheDefaultSubnetsOnAHomeLanAreSafe() => Assert.Empty(CidrSafety.Check(Cluster(), new[] { Pi() }));

    [Fact]
    public void CalicosDocumentedPoolOnA192168LanIsRefused()
    {
        var problems = CidrSafety.Check(Cluster(pod: "192.168.0.0/16", plugin: "calico"), new[] { Pi() });
        Assert.Equal(2, problems.Count);
        Assert.Contains("kubernetes.podSubnet 192.168.0.0/16 contains the LAN address 192.168.1.201 of node 'node01'", problems[0]);
        Assert.StartsWith("kubernetes.podSubnet 192.168.0.0/16 overlaps 192.168.1.0/24 on eth0, a network node 'node01' already routes to", problems[1]);
    }

    [Fact]
    public void ASubnetOverADockerBridgeOrAVpnIsRefusedOncePerNetwork()
    {
        var problems = CidrSafety.Check(Cluster(pod: "10.0.0.0/12", service: "172.16.0.0/12"), new[] { Pi("node01"), Pi("node02", "192.168.1.202") });
        Assert.Equal(new[]
        {
            "kubernetes.podSubnet 10.0.0.0/12 overlaps 10.8.0.0/24 on wg0, a network nodes 'node01', 'node02' already route to: choose a podSubnet that overlaps none of the nodes' networks (see 'ip route').",
            "kubernetes.serviceSubnet 172.16.0.0/12 overlaps 172.17.0.0/16 on docker0, a network nodes 'node01', 'node02' already route to: choose a serviceSubnet that overlaps none of the nodes' networks (see 'ip route').",
        }, problems);
    }

    [Fact]
    public void PodAndServiceSubnetsMustNotOverlap() =>
        Assert.Contains("overlaps kubernetes.serviceSubnet", Assert.Single(CidrSafety.Check(Cluster(pod: "10.96.0.0/16"), Array.Empty<NodeNetworkFacts>())));

    [Fact]
    public void TheClustersOwnRoutesOnARunningClusterAreNotConflicts()
    {
        // flannel's and calico's routes on a node that already runs the cluster: cni0, flannel.1, calico's blackhole blocks.
        var running = PiRoutes.TrimEnd(']', ' ', '\n') + """
            ,{"dst":"10.244.0.0/24","dev":"cni0","protocol":"kernel","scope":"link","prefsrc":"10.244.0.1","flags":[]},
             {"dst":"10.244.1.0/24","gateway":"10.244.1.0","dev":"flannel.1","flags":["onlink"]},
             {"type":"blackhole","dst":"10.244.2.0/26","protocol":"bird","flags":[]},
             {"dst":"10.244.2.7","dev":"cali1234abcd","scope":"link","flags":[]}]
            """;
        Assert.Empty(CidrSafety.Check(Cluster(), new[] { Pi(routes: running) }));
    }

    [Fact]
    public void ACniPoolThatDoesNotMatchThePodSubnetIsRefused()
    {
        var calico = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ControlPlane", "Manifests", "calico.yaml"));
        var explicitDefault = calico.Replace("            # - name: CALICO_IPV4POOL_CIDR\n            #   value: \"192.168.0.0/16\"\n",
                                             "            - name: CALICO_IPV4POOL_CIDR\n              value: \"192.168.0.0/16\"\n");
        var problem = Assert.Single(CidrSafety.Check(Cluster(plugin: "calico"), new[] { Pi() }, CniManifestPatcher.ReadPools("calico", explicitDefault)));
        Assert.StartsWith("DaemonSet kube-system/calico-node container calico-node env CALICO_IPV4POOL_CIDR is 192.168.0.0/16, which is not within kubernetes.podSubnet 10.244.0.0/16", problem);

        // Commented out, calico-node takes kubeadm's podSubnet; patched, it is the pod subnet; a smaller pool inside it is fine too.
        Assert.Empty(CidrSafety.Check(Cluster(plugin: "calico"), new[] { Pi() }, CniManifestPatcher.ReadPools("calico", calico)));
        Assert.Empty(CidrSafety.Check(Cluster(plugin: "calico"), new[] { Pi() }, CniManifestPatcher.Patch("calico", calico, "10.244.0.0/16").Pools));
        Assert.Empty(CidrSafety.Check(Cluster(plugin: "calico"), new[] { Pi() }, new[] { new CniPoolSetting("pool", "10.244.128.0/17", false) }));

        var flannel = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ControlPlane", "Manifests", "kube-flannel.yml"));
        Assert.Contains("flannel must use the cluster's pod subnet", Assert.Single(CidrSafety.Check(Cluster(pod: "10.200.0.0/16"), new[] { Pi() }, CniManifestPatcher.ReadPools("flannel", flannel))));
    }

    [Fact]
    public void RouteJsonIsReadWithHostRoutesAndTypes()
    {
        var routes = RouteFact.ParseIpJson("""[{"dst":"10.0.0.5","dev":"tun0"},{"type":"unreachable","dst":"fd00::/64"},{"gateway":"x"}]""");
        Assert.Equal(new[] { new RouteFact("10.0.0.5", "tun0"), new RouteFact("fd00::/64", "", "unreachable") }, routes);
        Assert.Empty(RouteFact.ParseIpJson(""));
        Assert.Throws<FormatException>(() => RouteFact.ParseIpJson("default via 192.168.1.1 dev eth0"));
        Assert.Contains("overlaps 10.0.0.5/32 on tun0", Assert.Single(CidrSafety.Check(Cluster(pod: "10.0.0.0/16"), new[] { Pi(routes: "[{\"dst\":\"10.0.0.5\",\"dev\":\"tun0\"}]") })));
    }
}
