using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Hosting;
using Xunit;

namespace PiCluster.Tests.Clusters;

/// <summary>Every rule of <see cref="ValueRules"/>, and that the model, the parameters and the pipeline all use it.</summary>
public class ValueRulesTests
{
    [Theory]
    [InlineData("node01")]
    [InlineData("a")]
    [InlineData("0pi-9")]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk")] // 63
    public void GoodNodeNames(string name) => Assert.Null(ValueRules.NodeName(name));

    [Theory]
    [InlineData("")]
    [InlineData("Node01")]
    [InlineData("node_01")]
    [InlineData("-node")]
    [InlineData("node-")]
    [InlineData("node.lan")]
    [InlineData("node01\ndeb [trusted=yes] http://evil/ /")]
    [InlineData("node01\n")]
    [InlineData("$(reboot)")]
    [InlineData("`id`")]
    [InlineData("n'; rm -rf /")]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl")] // 64
    public void BadNodeNames(string name) => Assert.StartsWith("Node name '", ValueRules.NodeName(name));

    [Theory]
    [InlineData("192.168.1.201")]
    [InlineData("127.0.0.1")]
    [InlineData("fd00::1")]
    [InlineData("::1")]
    [InlineData("node01.lan")]
    [InlineData("Pi-1.Example.COM")]
    public void GoodAddresses(string address) => Assert.Null(ValueRules.Address(address));

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("-oProxyCommand=id", "starts with '-'")]
    [InlineData("-oProxyCommand=touch /tmp/x", "contains a space")]
    [InlineData("ssh://pi@host:22", "is a URL")]
    [InlineData("http://host", "is a URL")]
    [InlineData("pi@host", "includes a user")]
    [InlineData("host:22", "includes a port")]
    [InlineData("192.168.1.5:2222", "includes a port")]
    [InlineData("[fd00::1]:22", "includes a port")]
    [InlineData("[fd00::1]", "is not a valid IP address or host name")]
    [InlineData("host\n", "contains a space")]
    [InlineData("192.168.1.1\n", "contains a space")]
    [InlineData("host\r", "contains a space")]
    [InlineData("host\0", "contains a space")]
    [InlineData("host\tx", "contains a space")]
    [InlineData("192.168.1", "is not a valid")]
    [InlineData("192.168.1.300", "is not a valid")]
    [InlineData("fd00::1::2", "is not a valid")]
    [InlineData("pi_one.lan", "is not a valid")]
    [InlineData("$(id).lan", "is not a valid")]
    [InlineData("fd00::1%eth0", "is not a valid")]
    public void BadAddresses(string address, string why) => Assert.Contains(why, ValueRules.Address(address));

    [Theory]
    [InlineData("pi", null)]
    [InlineData("ubuntu_2", null)]
    [InlineData("first.last", null)]
    [InlineData("-oProxyCommand=sh", "invalid")]
    [InlineData(".hidden", "invalid")]
    [InlineData("pi@host", "invalid")]
    [InlineData("pi user", "invalid")]
    [InlineData("pi$(id)", "invalid")]
    [InlineData("pi'", "invalid")]
    [InlineData("pi\n", "invalid")]
    [InlineData("pi\r\n", "invalid")]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdefg", "invalid")] // 33
    public void SshUsers(string user, string? why) => AssertRule(ValueRules.SshUser(user), why);

    [Theory]
    [InlineData("eth0", null)]
    [InlineData("wlan0", null)]
    [InlineData("end0", null)]
    [InlineData("br-lan.10", null)]
    [InlineData("abcdefghijklmno", null)] // 15
    [InlineData("abcdefghijklmnop", "invalid")] // 16
    [InlineData("", "invalid")]
    [InlineData(".", "invalid")]
    [InlineData("..", "invalid")]
    [InlineData("-force", "invalid")]
    [InlineData("eth0:1", "invalid")]
    [InlineData("../etc", "invalid")]
    [InlineData("eth 0", "invalid")]
    [InlineData("eth0'", "invalid")]
    [InlineData("eth0\n", "invalid")]
    [InlineData("eth0\nx", "invalid")]
    public void Interfaces(string name, string? why) => AssertRule(ValueRules.InterfaceName(name), why);

    [Theory]
    [InlineData("192.168.1.1", null)]
    [InlineData("fd00::1", null)]
    [InlineData("router.lan", "not a valid IP address")]
    [InlineData("192.168.1.1'; reboot", "not a valid IP address")]
    [InlineData("192.168.1.1\nstatic x", "not a valid IP address")]
    [InlineData("", "not a valid IP address")]
    [InlineData("192.168.1.1\n", "not a valid IP address")]
    [InlineData("fd00::1\n", "not a valid IP address")]
    [InlineData(" 192.168.1.1", "not a valid IP address")]
    [InlineData("fd00::1%eth0", "not a valid IP address")]
    public void GatewaysAndDnsServersAreIpAddresses(string value, string? why)
    {
        AssertRule(ValueRules.Gateway(value), why);
        AssertRule(ValueRules.DnsServer(value), why);
    }

    [Theory]
    [InlineData("0.debian.pool.ntp.org", null)]
    [InlineData("192.168.1.1", null)]
    [InlineData("fd00::1", null)]
    [InlineData("time", null)]
    [InlineData("pool.ntp.org; reboot", "not a valid IP address or host name")]
    [InlineData("$(id)", "not a valid IP address or host name")]
    [InlineData("a\nNTP=b", "not a valid IP address or host name")]
    [InlineData("pool.ntp.org\n", "not a valid IP address or host name")]
    [InlineData("-x", "not a valid IP address or host name")]
    [InlineData("", "not a valid IP address or host name")]
    public void NtpServers(string server, string? why) => AssertRule(ValueRules.NtpServer(server), why);

    [Theory]
    [InlineData("1.34", null)]
    [InlineData("1.28.0", null)]
    [InlineData("1.27", "older than the oldest")]
    [InlineData("v1.34", "without the 'v'")]
    [InlineData("1.34; curl x|sh", "Malformed")]
    [InlineData("1.34\nPin: *", "Malformed Kubernetes version '1.34\\nPin: *'")]
    [InlineData("1.34\n", "Malformed")]
    public void KubernetesVersions(string version, string? why) => AssertRule(ValueRules.KubernetesVersionText(version), why);

    [Theory]
    [InlineData("192.168.1.201", null)]
    [InlineData("fd00::5", null)]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("node.lan", "not a valid IP address")]
    [InlineData("192.168.1.5\n", "not a valid IP address")]
    [InlineData("192.168.1.5\n6.6.6.6 evil", "not a valid IP address")]
    public void LanAddresses(string address, string? why) => AssertRule(ValueRules.LanAddress(address), why);

    [Theory]
    [InlineData(1, null)]
    [InlineData(65535, null)]
    [InlineData(0, "out of range")]
    [InlineData(65536, "out of range")]
    [InlineData(-22, "out of range")]
    public void Ports(int port, string? why) => AssertRule(ValueRules.Port(port), why);

    [Theory]
    [InlineData("~/.ssh/id_ed25519", null)]
    [InlineData("/path with spaces/key", null)]
    [InlineData("", "empty")]
    [InlineData("key\n-oProxyCommand=sh", "control character")]
    [InlineData("key\0", "control character")]
    public void FilePaths(string path, string? why) => AssertRule(ValueRules.FilePath(path), why);

    [Theory]
    [InlineData("10.0.0.10:6443", null)]
    [InlineData("k8s.home.lan", null)]
    [InlineData("[fd00::10]:6443", null)]
    [InlineData("fd00::10", null)]
    [InlineData("k8s.lan:99999", "invalid")]
    [InlineData("k8s.lan:6443\n- evil", "invalid")]
    [InlineData("-k8s:6443", "invalid")]
    public void ControlPlaneEndpoints(string endpoint, string? why) => AssertRule(ValueRules.ControlPlaneEndpoint(endpoint), why);

    [Theory]
    [InlineData("10.244.0.0/16", null)]
    [InlineData("10.244.0.0/16 --v=9", "malformed prefix length")]
    [InlineData("10.244.1.0/16", "host bits")]
    [InlineData("10.244.0.0", "not in CIDR notation")]
    [InlineData("10.244.0.0/16\n", "malformed prefix length")]
    public void Subnets(string subnet, string? why) => AssertRule(ValueRules.Subnet(subnet, "podSubnet", "10.244.0.0/16"), why);

    [Fact]
    public void MessagesShowControlCharactersEscapedAndLongValuesCut()
    {
        Assert.Equal("a\\nb\\r\\t\\u0000\\u001b", ValueRules.Show("a\nb\r\t\0\u001b"));
        Assert.Equal(new string('x', 100) + "...", ValueRules.Show(new string('x', 5000)));
        Assert.DoesNotContain("\n", ValueRules.NodeName("a\nb"));
    }

    [Fact]
    public void PiNodeRefusesWhatTheRulesForbidAndNamesTheArgument()
    {
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => new PiNode("Bad_Name", "127.0.0.1")).ParamName);
        Assert.Equal("address", Assert.Throws<ArgumentException>(() => new PiNode("n1", "-oProxyCommand=sh")).ParamName);
        Assert.Equal("user", Assert.Throws<ArgumentException>(() => new PiNode("n1", "h", user: "-F/x")).ParamName);
        Assert.Equal("port", Assert.Throws<ArgumentException>(() => new PiNode("n1", "h", port: 0)).ParamName);
        Assert.Equal("identityFile", Assert.Throws<ArgumentException>(() => new PiNode("n1", "h", identityFile: "k\n")).ParamName);
        Assert.Equal("configFile", Assert.Throws<ArgumentException>(() => new PiNode("n1", "h", configFile: "c\0")).ParamName);
        Assert.Equal("lanAddress", Assert.Throws<ArgumentException>(() => new PiNode("n1", "h", lanAddress: "127.0.0.1")).ParamName);
        Assert.Equal("role", Assert.Throws<ArgumentException>(() => new PiNode("n1", "h", (NodeRole)42)).ParamName);
        Assert.Equal("node01.lan", new PiNode("n1", "node01.lan", user: "pi", port: 22, lanAddress: "192.168.1.5").Address);
        // What a lab node looks like after Import-Clixml: its LanAddress is the default, its loopback Address.
        Assert.Equal("127.0.0.1", new PiNode("n1", "127.0.0.1", port: 2201, lanAddress: "127.0.0.1").LanAddress);
    }

    [Theory]
    [InlineData(PiValue.NodeName, "Node_1", "Node name")]
    [InlineData(PiValue.Address, "ssh://h", "Address")]
    [InlineData(PiValue.LanAddress, "::1", "lanAddress")]
    [InlineData(PiValue.SshUser, "-x", "SSH user")]
    [InlineData(PiValue.FilePath, "a\nb", "Path")]
    [InlineData(PiValue.Interface, "-x", "Interface name")]
    [InlineData(PiValue.Gateway, "x", "Gateway")]
    [InlineData(PiValue.DnsServer, "x", "DNS server")]
    [InlineData(PiValue.NtpServer, "$(x)", "NTP server")]
    [InlineData(PiValue.KubernetesVersion, "2.0", "Malformed Kubernetes version")]
    public void EveryParameterKindUsesItsRule(PiValue kind, string bad, string start)
    {
        Assert.StartsWith(start, ValidatePiValueAttribute.Check(kind, bad));
    }

    [Fact]
    public void EveryPiValueHasARule() =>
        Assert.All(Enum.GetValues<PiValue>(), kind => Assert.NotNull(ValidatePiValueAttribute.Check(kind, "\n")));

    [Theory]
    [InlineData("Name", "Bad_Name", "Node name")]
    [InlineData("Address", "ssh://pi@h:22", "is a URL")]
    [InlineData("Role", "Boss", "not a node role")]
    [InlineData("Role", "7", "not a node role")]
    [InlineData("Port", "22 -oProxyCommand=sh", "not a number")]
    [InlineData("Port", "70000", "out of range")]
    [InlineData("User", "-F/x", "SSH user")]
    [InlineData("LanAddress", "1.2.3.4\nx", "lanAddress")]
    public void APipedObjectIsCheckedByTheSameRules(string property, string value, string why)
    {
        var bag = new System.Collections.Generic.Dictionary<string, object?> { ["Name"] = "node01", ["Address"] = "127.0.0.1", [property] = value };
        var e = Assert.Throws<ArgumentException>(() => NodeArgument.Extract(new object[] { bag }, v => v, (o, name) => ((System.Collections.Generic.Dictionary<string, object?>)o).GetValueOrDefault(name)));
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void APipedObjectMayNameTheRoleAsTheFileDoes()
    {
        var bag = new System.Collections.Generic.Dictionary<string, object?> { ["Name"] = "node01", ["Address"] = "127.0.0.1", ["Role"] = "control-plane", ["Port"] = "2201" };
        var node = Assert.Single(NodeArgument.Extract(new object[] { bag }, v => v, (o, name) => ((System.Collections.Generic.Dictionary<string, object?>)o).GetValueOrDefault(name)));
        Assert.Equal((NodeRole.ControlPlane, (int?)2201), (node.Role, node.Port));
    }

    private static void AssertRule(string? problem, string? why)
    {
        if (why is null)
            Assert.Null(problem);
        else
            Assert.Contains(why, problem);
    }
}

/// <summary>The caps of the loader, in process: every hostile shape fails at once with a positioned error.</summary>
public class ClusterFileLimitsTests
{
    private const string Node = "  - { name: node01, address: 127.0.0.1, role: control-plane }\n";

    private static ClusterFileError Refused(string yaml) =>
        Assert.Throws<ClusterFileException>(() => ClusterFileLoader.Parse(yaml, "c.yaml")).Errors[0];

    private static ClusterFileError Refused(byte[] bytes) =>
        Assert.Throws<ClusterFileException>(() => ClusterFileLoader.Parse(bytes, "c.yaml")).Errors[0];

    [Fact]
    public void FiftyThousandOpenBracketsFailAtTheDepthCapWithoutOverflowingTheStack()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var error = Refused(new string('[', 50_000));
        Assert.Equal((1, ClusterFileLimits.MaxDepth + 1), (error.Line, error.Column));
        Assert.Contains("nested more than 64 levels", error.Message);
        Assert.True(watch.ElapsedMilliseconds < 1000, $"{watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void SixtyFourLevelsAreAllowed() => // the top-level mapping and 63 lists: refused for the unknown field only
        Assert.DoesNotContain("nested", Refused("name: x\nnodes: [" + Node.Trim().Substring(2) + "]\nextra: " + new string('[', 63) + new string(']', 63)).Message);

    [Fact]
    public void AnAliasBombFailsAtTheFirstAnchor()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + string.Concat("bcdefghij".Select((c, i) => $"{c}: &{c} [{string.Join(",", Enumerable.Repeat("*" + "abcdefghij"[i], 9))}]\n"));
        var error = Refused(bomb);
        Assert.Equal((1, 4), (error.Line, error.Column));
        Assert.StartsWith("An anchor (&a) is not allowed", error.Message);
        Assert.True(watch.ElapsedMilliseconds < 1000, $"{watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void AnAliasIsRefusedWhereItIs() => Assert.Equal((2, 7), (Refused("nodes: []\nname: *x\n").Line, Refused("nodes: []\nname: *x\n").Column));

    [Fact]
    public void MoreThanOneMebibyteIsRefusedBeforeParsing()
    {
        Assert.StartsWith($"The file is {ClusterFileLimits.MaxBytes + 1} bytes", Refused(new string('#', ClusterFileLimits.MaxBytes + 1)).Message);
        Assert.StartsWith($"The file is {ClusterFileLimits.MaxBytes + 1} bytes", Refused(new byte[ClusterFileLimits.MaxBytes + 1]).Message);
    }

    [Fact]
    public void MoreThanAThousandNodesAreRefused()
    {
        var yaml = "name: x\nnodes:\n" + string.Concat(Enumerable.Range(0, 1001).Select(i => $"  - {{ name: n{i}, address: 10.0.{i / 250}.{i % 250 + 1} }}\n"));
        var error = Refused(yaml);
        Assert.Equal(3 + 1000, error.Line);
        Assert.StartsWith("'nodes' lists 1001 nodes", error.Message);
    }

    [Fact]
    public void AtMostFiftyErrorsAreListedAndTheRestCounted()
    {
        var yaml = "name: x\nnodes:\n" + string.Concat(Enumerable.Range(0, 60).Select(i => $"  - {{ name: Bad_{i}, address: 10.0.0.{i + 1}, role: control-plane }}\n"));
        var e = Assert.Throws<ClusterFileException>(() => ClusterFileLoader.Parse(yaml, "c.yaml"));
        Assert.Equal(ClusterFileLimits.MaxErrors, e.Errors.Count);
        Assert.True(e.MoreErrors >= 10);
        Assert.EndsWith($"... and {e.MoreErrors} more error(s).", e.Message);
    }

    [Fact]
    public void Utf16IsRefused()
    {
        var text = "name: x\nnodes:\n" + Node;
        Assert.Contains("UTF-16", Refused(new byte[] { 0xFF, 0xFE }.Concat(Encoding.Unicode.GetBytes(text)).ToArray()).Message);
        Assert.Contains("UTF-16", Refused(new byte[] { 0xFE, 0xFF }.Concat(Encoding.BigEndianUnicode.GetBytes(text)).ToArray()).Message);
        var noBom = Refused(Encoding.Unicode.GetBytes(text));
        Assert.Equal((1, 2), (noBom.Line, noBom.Column));
        Assert.StartsWith("The file contains a NUL character", noBom.Message);
    }

    [Fact]
    public void InvalidUtf8IsRefusedWhereItIs()
    {
        var error = Refused(Encoding.UTF8.GetBytes("name: x\nnodes: []\n# é\n").Concat(new byte[] { 0xC3, 0x28 }).ToArray());
        Assert.Equal((4, 1), (error.Line, error.Column));
        Assert.StartsWith("The file is not valid UTF-8", error.Message);
    }

    [Fact]
    public void AUtf8ByteOrderMarkIsFine() =>
        Assert.Equal("x", ClusterFileLoader.Parse(new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("name: x\nnodes:\n" + Node)).ToArray(), "c.yaml").Name);

    [Fact]
    public void TabCompletionOfAHostileFileIsEmptyAndFast()
    {
        var path = Path.Combine(Path.GetTempPath(), $"picluster-deep-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, new string('[', 50_000));
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Assert.Empty(ClusterFileNodes.CompleteNames(path, ""));
            Assert.True(watch.ElapsedMilliseconds < 1000, $"{watch.ElapsedMilliseconds} ms");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
