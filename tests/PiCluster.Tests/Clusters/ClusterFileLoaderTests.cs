using System;
using System.IO;
using System.Linq;
using PiCluster.Clusters;
using Xunit;

namespace PiCluster.Tests.Clusters;

public class ClusterFileLoaderTests
{
    private static string Valid(string file) => Path.Combine(AppContext.BaseDirectory, "ClusterFiles", "valid", file);

    [Fact]
    public void TheIssueExampleLoadsEveryField()
    {
        var path = Valid("full.yaml");
        var c = ClusterFileLoader.Load(path);

        Assert.Equal(Path.GetFullPath(path), c.SourcePath);
        Assert.Equal("homelab", c.Name);
        Assert.Equal("1.34", c.Kubernetes.Version);
        Assert.Equal("10.244.0.0/16", c.Kubernetes.PodSubnet);
        Assert.Equal("10.96.0.0/12", c.Kubernetes.ServiceSubnet);
        Assert.Equal("", c.Kubernetes.ControlPlaneEndpoint);
        Assert.Equal("", c.Kubernetes.PackageRepository);
        Assert.Equal("", c.Kubernetes.RepositoryKey);
        Assert.Equal("flannel", c.Network.Plugin);
        Assert.Equal("", c.Network.Manifest);
        Assert.Equal("containerd", c.Runtime.Name);
        Assert.Equal("pi", c.Ssh.User);
        Assert.Equal(22, c.Ssh.Port);
        Assert.Equal("~/.ssh/id_ed25519", c.Ssh.IdentityFile);
        Assert.Null(c.Ssh.ConfigFile);
        Assert.NotNull(c.Lan);
        Assert.Equal("eth0", c.Lan!.Interface);
        Assert.Equal(24, c.Lan.PrefixLength);
        Assert.Equal("192.168.1.1", c.Lan.Gateway);
        Assert.Equal(new[] { "192.168.1.1" }, c.Lan.Dns);

        Assert.Equal(2, c.Nodes.Count);
        var (node01, node02) = (c.Nodes[0], c.Nodes[1]);
        Assert.Equal(("node01", "192.168.1.201", "192.168.1.201", "control-plane"), (node01.Name, node01.Address, node01.LanAddress, node01.Role));
        Assert.Equal((26, 5), (node01.Line, node01.Column));
        Assert.Null(node01.Ssh.Port);
        Assert.Equal(("node02", "192.168.1.202", null, "worker"), (node02.Name, node02.Address, node02.LanAddress, node02.Role));
        Assert.Equal((30, 5), (node02.Line, node02.Column));
        Assert.Equal(2222, node02.Ssh.Port);
        Assert.Null(node02.Ssh.User);

        Assert.Equal("https://pkgs.k8s.io/core:/stable:/v1.34/deb/", c.GetPackageRepository());
        Assert.Equal("https://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key", c.GetRepositoryKey());
    }

    [Fact]
    public void AMinimalFileGetsTheDefaults()
    {
        var c = ClusterFileLoader.Load(Valid("minimal.yaml"));

        Assert.Equal("tiny", c.Name);
        Assert.Equal(("1.34", "10.244.0.0/16", "10.96.0.0/12", ""), (c.Kubernetes.Version, c.Kubernetes.PodSubnet, c.Kubernetes.ServiceSubnet, c.Kubernetes.ControlPlaneEndpoint));
        Assert.Equal(("flannel", "", "containerd"), (c.Network.Plugin, c.Network.Manifest, c.Runtime.Name));
        Assert.Equal((null, null, null, null), (c.Ssh.User, c.Ssh.Port, c.Ssh.IdentityFile, c.Ssh.ConfigFile));
        Assert.Null(c.Lan);
        var node = Assert.Single(c.Nodes);
        Assert.Equal(("pi1", "pi1.lan", null, "control-plane"), (node.Name, node.Address, node.LanAddress, node.Role));
    }

    [Fact]
    public void AnHaFileKeepsItsEndpointMirrorAndOverrides()
    {
        var c = ClusterFileLoader.Load(Valid("ha.yaml"));

        Assert.Equal("1.33.4", c.Kubernetes.Version);
        Assert.True(c.GetKubernetesVersion().IsPatch);
        Assert.Equal(("172.20.0.0/16", "172.21.0.0/16", "10.0.0.10:6443"), (c.Kubernetes.PodSubnet, c.Kubernetes.ServiceSubnet, c.Kubernetes.ControlPlaneEndpoint));
        Assert.Equal(("calico", "cri-o"), (c.Network.Plugin, c.Runtime.Name));
        Assert.Equal(("end0", 16, "10.0.0.1"), (c.Lan!.Interface, c.Lan.PrefixLength, c.Lan.Gateway));
        Assert.Equal(new[] { "10.0.0.2", "10.0.0.3" }, c.Lan.Dns);
        Assert.Equal(new[] { "control-plane", "control-plane", "control-plane", "worker" }, c.Nodes.Select(n => n.Role));
        Assert.Equal(("root", "/etc/picluster/cp3_key"), (c.Nodes[2].Ssh.User, c.Nodes[2].Ssh.IdentityFile));

        var folder = Path.GetDirectoryName(Valid("ha.yaml"))!;
        Assert.Equal("https://mirror.example.net/k8s/v1.33/deb/", c.GetPackageRepository());
        Assert.Equal(Path.Combine(folder, "keys", "k8s-release.asc"), c.GetRepositoryKey());
    }

    [Fact]
    public void LabNodesShareLoopbackOnDistinctPorts()
    {
        var c = ClusterFileLoader.Load(Valid("lab.yaml"));

        Assert.Equal(new[] { "node1", "node2", "node3" }, c.Nodes.Select(n => n.Name));
        Assert.All(c.Nodes, n => Assert.Equal("127.0.0.1", n.Address));
        Assert.Equal(new int?[] { 2201, 2202, 2203 }, c.Nodes.Select(n => n.Ssh.Port));
        Assert.Equal(new[] { "192.168.77.11", "192.168.77.12", "192.168.77.13" }, c.Nodes.Select(n => n.LanAddress));
        Assert.Equal("http://10.0.2.2:8931/core:/stable:/v1.34/deb/", c.GetPackageRepository());
        Assert.Equal("http://10.0.2.2:8931/core:/stable:/v1.34/deb/Release.key", c.GetRepositoryKey());
    }

    [Fact]
    public void EveryErrorIsReportedAtOnceInFileOrder()
    {
        const string yaml = """
            kubernetes:
              version: "1.20"
              podSubnet: 10.244.0.0/33
            network: { plugin: cilium }
            runtime: { name: docker }
            nodes:
              - name: Pi1
                address: 300.1.1.1
                role: boss
              - address: 10.0.0.2
                ssh: { port: -1 }
            """;

        var error = Assert.Throws<ClusterFileException>(() => ClusterFileLoader.Parse(yaml, "inline.yaml"));

        Assert.Equal(new[]
        {
            "1:1 Missing required field 'name': add 'name: <cluster name>' at the top level.",
            "2:12 Kubernetes 1.20 is older than the oldest version PiCluster supports: choose 1.28 or later.",
            "3:14 podSubnet '10.244.0.0/33' has a malformed prefix length: write a number from 0 to 32 after the '/'.",
            "4:20 Unknown network plugin 'cilium': choose flannel, calico or canal.",
            "5:18 Unknown container runtime 'docker': choose containerd or cri-o.",
            "7:11 Node name 'Pi1' is not a valid hostname: use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit (did you mean 'pi1'?).",
            "8:14 Address '300.1.1.1' is not a valid IP address or host name: write an address like 192.168.1.201 or a name like node01.lan.",
            "9:11 Unknown role 'boss' of node 'Pi1': choose control-plane or worker.",
            "10:5 Missing required field 'name' in this node: add 'name: <hostname>'.",
            "11:18 'port' must be a whole number from 1 to 65535, not '-1'.",
        }, error.Errors.Select(e => $"{e.Line}:{e.Column} {e.Message}"));
        Assert.All(error.Errors, e => Assert.Equal("inline.yaml", e.File));
        Assert.StartsWith("inline.yaml:1:1: Missing required field 'name'", error.Message);
        Assert.Equal(10, error.Message.Split(Environment.NewLine).Length);
    }

    [Fact]
    public void ParsedTextHasNoSourcePathAndEmptyStringsMeanDefaults()
    {
        var c = ClusterFileLoader.Parse("""
            name: x
            kubernetes: { version: "", podSubnet: "", serviceSubnet: ~ }
            network: { plugin: "" }
            runtime: { name: }
            lan:
            nodes: [{ name: a, address: 10.1.1.1, role: control-plane, lanAddress: "" }]
            """, "mem");

        Assert.Null(c.SourcePath);
        Assert.Equal(("1.34", "10.244.0.0/16", "10.96.0.0/12"), (c.Kubernetes.Version, c.Kubernetes.PodSubnet, c.Kubernetes.ServiceSubnet));
        Assert.Equal(("flannel", "containerd"), (c.Network.Plugin, c.Runtime.Name));
        Assert.Null(c.Lan);
        Assert.Null(c.Nodes[0].LanAddress);
    }

    [Fact]
    public void DamagedFilesFailOnlyWithPositionedClusterFileErrors()
    {
        var original = File.ReadAllText(Valid("full.yaml"));
        const string alphabet = ":-[]{}\"'#&*!|>%@`,?\t \n0123456789./abcxyz~";
        var random = new Random(1234);
        for (var i = 0; i < 3000; i++)
        {
            var text = original;
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                var at = random.Next(text.Length);
                text = random.Next(3) switch
                {
                    0 => text.Remove(at, Math.Min(random.Next(1, 12), text.Length - at)),
                    1 => text.Insert(at, alphabet[random.Next(alphabet.Length)].ToString()),
                    _ => text.Insert(at, text.Substring(random.Next(text.Length / 2), 20)),
                };
            }
            try
            {
                ClusterFileLoader.Parse(text, "damaged.yaml");
            }
            catch (ClusterFileException e)
            {
                Assert.NotEmpty(e.Errors);
                Assert.All(e.Errors, err => Assert.True(err.Line >= 1 && err.Column >= 1 && err.Message.Length > 0, err.ToString()));
            }
        }
    }

    [Fact]
    public void AMissingFileIsAnIoErrorNotAClusterFileError() =>
        Assert.Throws<FileNotFoundException>(() => ClusterFileLoader.Load(Path.Combine(AppContext.BaseDirectory, "no-such-cluster.yaml")));
}
