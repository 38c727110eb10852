using System;
using System.IO;
using System.Linq;
using PiCluster.Clusters;
using PiCluster.ControlPlane;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace PiCluster.Tests.ControlPlane;

public class KubeadmConfigurationTests
{
    private static ClusterDefinition Cluster(string kubernetes = "", string runtime = "containerd") => ClusterFileLoader.Parse(
        "name: homelab\n" +
        "kubernetes:\n  version: \"1.34\"\n" + kubernetes +
        $"runtime:\n  name: {runtime}\n" +
        "nodes:\n" +
        "  - { name: node01, address: 127.0.0.1, lanAddress: 192.168.1.201, role: control-plane, ssh: { port: 2201 } }\n" +
        "  - { name: node02, address: 192.168.1.202 }\n",
        "cluster.yaml");

    private static readonly ControlPlaneFacts Facts = new("v1.34.2", "192.168.1.201", "node01", CriSockets.Containerd);

    [Fact]
    public void TheWholeConfigurationForAPlainCluster()
    {
        var cluster = Cluster();
        var yaml = KubeadmConfiguration.Generate(cluster, cluster.Nodes[0], Facts);
        Assert.Equal(
            """
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: InitConfiguration
            localAPIEndpoint:
              advertiseAddress: 192.168.1.201
              bindPort: 6443
            bootstrapTokens:
            - description: PiCluster bootstrap token, deleted when its run ends
              ttl: 15m0s
              usages:
              - signing
              - authentication
              groups:
              - system:bootstrappers:kubeadm:default-node-token
            nodeRegistration:
              name: node01
              criSocket: unix:///run/containerd/containerd.sock
              kubeletExtraArgs:
              - name: node-ip
                value: 192.168.1.201
            timeouts:
              controlPlaneComponentHealthCheck: 10m0s
              kubeletHealthCheck: 10m0s
              kubernetesAPICall: 3m0s
              etcdAPICall: 4m0s
            ---
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            clusterName: homelab
            kubernetesVersion: v1.34.2
            networking:
              podSubnet: 10.244.0.0/16
              serviceSubnet: 10.96.0.0/12
            apiServer:
              certSANs:
              - 192.168.1.201
              - node01
            ---
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            cgroupDriver: systemd

            """.Replace("\r\n", "\n"), yaml);
    }

    [Fact]
    public void EndpointSansMirrorAndCriOAreCarried()
    {
        var cluster = Cluster(
            "  controlPlaneEndpoint: k8s.home.lan:6443\n  certSANs: [127.0.0.1, K8S.home.lan, \"*.home.lan\", 192.168.1.201]\n  imageRepository: registry.home.lan:5000/k8s\n",
            runtime: "cri-o");
        var facts = Facts with { CriSocket = CriSockets.ForRuntime(cluster.Runtime.Name), KubeadmVersion = "1.34.2\n" };
        var documents = Load(KubeadmConfiguration.Generate(cluster, cluster.Nodes[0], facts));

        var init = documents[0];
        Assert.Equal("unix:///var/run/crio/crio.sock", Value(init, "nodeRegistration", "criSocket"));
        var config = documents[1];
        Assert.Equal("k8s.home.lan:6443", Value(config, "controlPlaneEndpoint"));
        Assert.Equal("registry.home.lan:5000/k8s", Value(config, "imageRepository"));
        Assert.Equal("v1.34.2", Value(config, "kubernetesVersion"));
        var sans = ((YamlSequenceNode)((YamlMappingNode)config["apiServer"])["certSANs"]).Children.Select(n => ((YamlScalarNode)n).Value).ToList();
        Assert.Equal(new[] { "192.168.1.201", "node01", "k8s.home.lan", "127.0.0.1", "*.home.lan" }, sans);
    }

    [Fact]
    public void KubeletExtraArgsAreV1beta4NameValuePairs()
    {
        var cluster = Cluster();
        var init = Load(KubeadmConfiguration.Generate(cluster, cluster.Nodes[0], Facts))[0];
        var args = (YamlSequenceNode)((YamlMappingNode)init["nodeRegistration"])["kubeletExtraArgs"];
        var arg = Assert.IsType<YamlMappingNode>(Assert.Single(args.Children));
        Assert.Equal(("node-ip", "192.168.1.201"), (Value(arg, "name"), Value(arg, "value")));
    }

    [Fact]
    public void StringsThatLookLikeNumbersOrBooleansAreQuoted()
    {
        // A node name of digits is a valid hostname; unquoted, kubeadm would read an integer and refuse the file.
        var cluster = ClusterFileLoader.Parse("name: \"1234\"\nnodes:\n  - { name: \"0755\", address: 10.0.0.5, role: control-plane }\n", "c.yaml");
        var yaml = KubeadmConfiguration.Generate(cluster, cluster.Nodes[0], Facts with { LanAddress = "10.0.0.5", Hostname = "0755" });
        Assert.Contains("  name: \"0755\"\n", yaml);
        Assert.Contains("clusterName: \"1234\"\n", yaml);
        Assert.Contains("bindPort: 6443\n", yaml);
        var scalar = (YamlScalarNode)((YamlMappingNode)Load(yaml)[1])["clusterName"];
        Assert.Equal(YamlDotNet.Core.ScalarStyle.DoubleQuoted, scalar.Style);
    }

    [Fact]
    public void TheSameInputsGiveTheSameBytes()
    {
        var a = KubeadmConfiguration.Generate(Cluster(), Cluster().Nodes[0], Facts);
        var b = KubeadmConfiguration.Generate(Cluster(), Cluster().Nodes[0], Facts);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData("1.34", "v1.33.5", "has kubeadm 1.33.5 but kubernetes.version is 1.34")]
    [InlineData("1.34.1", "v1.34.2", "has kubeadm 1.34.2 but kubernetes.version is 1.34.1")]
    [InlineData("1.34", "1.34", "not a patch version")]
    [InlineData("1.34", "kubeadm version: &version.Info{}", "not a patch version")]
    public void AKubeadmThatDoesNotMatchTheFileIsRefused(string wanted, string installed, string expected)
    {
        var cluster = ClusterFileLoader.Parse($"name: c\nkubernetes: {{ version: \"{wanted}\" }}\nnodes:\n  - {{ name: cp, address: 10.0.0.5, role: control-plane }}\n", "c.yaml");
        var facts = Facts with { KubeadmVersion = installed, LanAddress = "10.0.0.5", Hostname = "cp" };
        Assert.Contains(expected, Assert.Single(KubeadmConfiguration.Check(cluster, cluster.Nodes[0], facts)));
        Assert.Throws<ArgumentException>(() => KubeadmConfiguration.Generate(cluster, cluster.Nodes[0], facts));
    }

    [Theory]
    [InlineData("k8s.lan:6443", "k8s.lan")]
    [InlineData("k8s.lan", "k8s.lan")]
    [InlineData("[fd00::10]:6443", "fd00::10")]
    [InlineData("10.0.0.10:6443", "10.0.0.10")]
    [InlineData("", "")]
    public void EndpointHost(string endpoint, string host) => Assert.Equal(host, KubeadmConfiguration.EndpointHost(endpoint));

    [Fact]
    public void ARunningClusterWithAnotherPodSubnetOrVersionIsReported()
    {
        var desired = KubeadmConfiguration.Generate(Cluster(), Cluster().Nodes[0], Facts);
        // The shape kubeadm stores in kube-system/kubeadm-config (data.ClusterConfiguration).
        var running = "apiServer: {}\napiVersion: kubeadm.k8s.io/v1beta4\ncaCertificateValidityPeriod: 87600h0m0s\nclusterName: homelab\n" +
                      "controlPlaneEndpoint: \"\"\nkind: ClusterConfiguration\nkubernetesVersion: v1.34.1\nnetworking:\n  dnsDomain: cluster.local\n" +
                      "  podSubnet: 10.200.0.0/16\n  serviceSubnet: 10.96.0.0/12\n";
        var differences = KubeadmConfiguration.DifferencesFromRunning(running, desired);
        Assert.Equal(new[]
        {
            new SettingDifference("kubernetesVersion", "v1.34.1", "v1.34.2"),
            new SettingDifference("networking.podSubnet", "10.200.0.0/16", "10.244.0.0/16"),
        }, differences);
        Assert.Empty(KubeadmConfiguration.DifferencesFromRunning(running.Replace("v1.34.1", "v1.34.2").Replace("10.200.", "10.244."), desired));
    }

    private static YamlMappingNode[] Load(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToArray();
    }

    private static string? Value(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path) current = ((YamlMappingNode)current)[key];
        return ((YamlScalarNode)current).Value;
    }
}
