using System.Collections.Generic;
using System.Linq;
using System.Text;
using PiCluster.Steps;
using PiCluster.Steps.NodePrep;
using Xunit;

namespace PiCluster.Tests.Steps.NodePrep;

public class NetworkConfigTests
{
    private static readonly StaticAddress Eth = new("eth0", "192.168.1.201", 24, "192.168.1.1", new[] { "192.168.1.1", "1.1.1.1" });
    private static readonly StaticAddress Wifi = new("wlan0", "192.168.1.202", 24, null, null);

    [Fact]
    public void NetworkManagerPropertiesAndDifferences()
    {
        Assert.Equal(new[] { "ipv4.method=manual", "ipv4.addresses=192.168.1.201/24", "ipv4.gateway=192.168.1.1", "ipv4.dns=192.168.1.1,1.1.1.1" },
            NetworkConfig.NetworkManagerProperties(Eth).Select(p => $"{p.Key}={p.Value}"));
        var current = new Dictionary<string, string>
        {
            ["ipv4.method"] = "manual", ["ipv4.addresses"] = "192.168.1.201/24", ["ipv4.gateway"] = "192.168.1.1", ["ipv4.dns"] = "192.168.1.1, 1.1.1.1",
        };
        Assert.Empty(NetworkConfig.NetworkManagerDifferences(Eth, current));
        current["ipv4.method"] = "auto";
        Assert.Equal("ipv4.method", Assert.Single(NetworkConfig.NetworkManagerDifferences(Eth, current)).Key);
    }

    [Fact]
    public void WifiTurnsPowerSavingOff()
    {
        var current = new Dictionary<string, string>
        {
            ["ipv4.method"] = "manual", ["ipv4.addresses"] = "192.168.1.202/24", ["ipv4.gateway"] = "", ["ipv4.dns"] = "", ["802-11-wireless.powersave"] = "0 (default)",
        };
        Assert.Equal("802-11-wireless.powersave", Assert.Single(NetworkConfig.NetworkManagerDifferences(Wifi, current)).Key);
        current["802-11-wireless.powersave"] = "2 (disable)";
        Assert.Empty(NetworkConfig.NetworkManagerDifferences(Wifi, current));
    }

    [Fact]
    public void DhcpcdBlockIsAppendedThenReplacedInPlace()
    {
        var conf = Encoding.ASCII.GetBytes("hostname\nclientid\n");
        var once = NetworkConfig.DhcpcdConf(conf, Eth);
        Assert.Equal("hostname\nclientid\n# BEGIN PiCluster static address\ninterface eth0\nstatic ip_address=192.168.1.201/24\nstatic routers=192.168.1.1\n" +
                     "static domain_name_servers=192.168.1.1 1.1.1.1\n# END PiCluster static address\n", Encoding.ASCII.GetString(once));
        Assert.Same(once, NetworkConfig.DhcpcdConf(once, Eth));
        var moved = Encoding.ASCII.GetString(NetworkConfig.DhcpcdConf(once, new StaticAddress("eth0", "192.168.1.9", 24, null, null)));
        Assert.Equal("hostname\nclientid\n# BEGIN PiCluster static address\ninterface eth0\nstatic ip_address=192.168.1.9/24\n# END PiCluster static address\n", moved);
    }

    [Fact]
    public void NetworkdFile() => Assert.Equal(
        "# Written by PiCluster (Set-PiNetwork).\n[Match]\nName=eth0\n\n[Network]\nAddress=192.168.1.201/24\nGateway=192.168.1.1\nDNS=192.168.1.1\nDNS=1.1.1.1\n",
        NetworkConfig.NetworkdFile(Eth));

    [Fact]
    public void NetplanFile()
    {
        Assert.Equal("# Written by PiCluster (Set-PiNetwork).\nnetwork:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: false\n      addresses: [192.168.1.201/24]\n" +
                     "      routes:\n        - to: default\n          via: 192.168.1.1\n      nameservers:\n        addresses: [192.168.1.1, 1.1.1.1]\n", NetworkConfig.NetplanFile(Eth));
        Assert.Contains("  wifis:\n    wlan0:\n", NetworkConfig.NetplanFile(Wifi));
        Assert.Equal("/etc/netplan/90-picluster-wlan0.yaml", NetworkConfig.NetplanPath(Wifi));
    }

    [Fact]
    public void KernelNetworkingFiles()
    {
        Assert.Equal("# Written by PiCluster (Set-PiKernelNetworking).\noverlay\nbr_netfilter\n", PiCluster.Steps.NodePrep.KernelNetworkingFiles.ModulesFile);
        Assert.Equal("# Written by PiCluster (Set-PiKernelNetworking).\nnet.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n",
            PiCluster.Steps.NodePrep.KernelNetworkingFiles.SysctlFile);
    }

    [Theory]
    [InlineData("/usr/sbin/iptables-nft", "", IptablesBackend.Nft)]
    [InlineData("/usr/sbin/iptables-legacy", "iptables v1.8.9 (legacy)", IptablesBackend.Legacy)]
    [InlineData("", "iptables v1.8.9 (nf_tables)", IptablesBackend.Nft)]
    [InlineData("", "", IptablesBackend.None)]
    public void ParsesTheIptablesBackend(string alternative, string version, IptablesBackend expected) =>
        Assert.Equal(expected, KernelNetworkingStep.ParseBackend(alternative, version));
}

public class UnifiedDiffTests
{
    [Fact]
    public void ShowsAChangedLineWithContext()
    {
        var before = Encoding.ASCII.GetBytes("a\nb\nc\nd\ne\nf\ng\nh\n");
        var after = Encoding.ASCII.GetBytes("a\nb\nc\nd\nE\nf\ng\nh\n");
        Assert.Equal("--- /etc/x\n+++ /etc/x\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n", UnifiedDiff.Create("/etc/x", before, after));
    }

    [Fact]
    public void NewFileCrlfAndMissingNewlineAreVisible()
    {
        Assert.Equal("--- /dev/null\n+++ /etc/k8s.conf\n@@ -0,0 +1 @@\n+overlay\n", UnifiedDiff.Create("/etc/k8s.conf", null, Encoding.ASCII.GetBytes("overlay\n")));
        Assert.Equal("--- /boot/cmdline.txt\n+++ /boot/cmdline.txt\n@@ -1 +1 @@\n-root=x^M\n+root=x\n", UnifiedDiff.Create("/boot/cmdline.txt", Encoding.ASCII.GetBytes("root=x\r\n"), Encoding.ASCII.GetBytes("root=x\n")));
        Assert.Contains("\\ No newline at end of file", UnifiedDiff.Create("/f", Encoding.ASCII.GetBytes("a"), Encoding.ASCII.GetBytes("a\n")));
        Assert.Equal("", UnifiedDiff.Create("/f", Encoding.ASCII.GetBytes("a"), Encoding.ASCII.GetBytes("a")));
    }
}
