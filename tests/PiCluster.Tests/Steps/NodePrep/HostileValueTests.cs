using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;
using PiCluster.Transport;
using Xunit;
using static PiCluster.Tests.Steps.NodePrep.FactSession;

namespace PiCluster.Tests.Steps.NodePrep;

/// <summary>
/// Issue 10.1, the quoting half: a hostile value (a quote, $(...), backticks, a newline) reaches a remote script only as
/// data, and never becomes a line or a field of a configuration file.
/// </summary>
public class HostileValueTests
{
    public static TheoryData<string> Hostile() => new()
    {
        "it's",
        "x'; touch /tmp/picluster-pwned; '",
        "$(touch /tmp/picluster-pwned)",
        "`touch /tmp/picluster-pwned`",
        "a\nb",
        "a\nstatic routers=6.6.6.6",
        "\"double\" \\back\\ $HOME ${IFS}",
        "'",
        "",
    };

    /// <summary>ShellText.Quote: bash gets exactly the value back, whatever it holds, and runs nothing from it.</summary>
    [Theory]
    [MemberData(nameof(Hostile))]
    public void AQuotedValue_ArrivesIntactAsData(string value)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        process.StandardInput.Write("set -eu\nprintf '%s' " + ShellText.Quote(value) + "\n" +
                                    RemoteScripts.ComposeGenerated("printf '|%s' \"$V\"\n", new Dictionary<string, string> { ["V"] = value }));
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(value + "|" + value, output);
        Assert.False(System.IO.File.Exists("/tmp/picluster-pwned"));
    }

    [Theory]
    [InlineData("192.168.50.1'; reboot; '")]
    [InlineData("192.168.50.1\nstatic routers=6.6.6.6")]
    [InlineData("$(reboot)")]
    [InlineData("`reboot`")]
    public async Task AHostileGateway_StopsTheNetworkStep_BeforeAnyRoundTrip(string gateway)
    {
        var session = Create(Node1, new());
        var error = await Assert.ThrowsAsync<NodeException>(() => new NetworkStep(new LanSettings { Interface = "eth0", PrefixLength = 24, Gateway = gateway }).PlanAsync(Context(session)));
        Assert.Equal(NodeErrorKind.InvalidNodeState, error.Kind);
        Assert.Contains("The gateway", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Empty(session.Commands);
    }

    [Theory]
    [InlineData("eth0\nstatic routers=6.6.6.6")]
    [InlineData("eth0'")]
    [InlineData("eth 0")]
    public void HostileLanValues_NeverReachADhcpcdOrNetworkdFile(string iface)
    {
        Assert.Throws<ArgumentException>(() => new StaticAddress(iface, "192.168.50.11", 24, null, null));
        Assert.Throws<ArgumentException>(() => new StaticAddress("eth0", "192.168.50.11", 24, null, new[] { "1.1.1.1\nstatic domain_name_servers=6.6.6.6" }));
    }

    [Fact]
    public void TheNetworkApplyScript_QuotesEveryFailMessage()
    {
        // Values the rules allow, but that the old text put between bare single quotes.
        var step = new NetworkStep(new LanSettings { Interface = "eth0", PrefixLength = 24, Gateway = "192.168.50.1" });
        var wanted = step.WantedFor(Node1)!;
        var facts = new NetworkStep.Facts(wanted, "dhcpcd", new[] { new FileEdit("/etc/dhcpcd.conf", "x\n"u8.ToArray(), NetworkConfig.DhcpcdConf("x\n"u8.ToArray(), wanted)) },
            Array.Empty<KeyValuePair<string, string>>(), new Dictionary<string, string>(), "", true, false, Array.Empty<string>());
        var apply = RestartNetworkInitializeTests_Decoded(step.StartScript(facts));
        AssertBashSyntax(apply);
        foreach (var line in apply.Split('\n').Where(l => l.Contains("fail ", StringComparison.Ordinal) && !l.TrimStart().StartsWith("fail()", StringComparison.Ordinal)))
            Assert.Matches(@"fail '[^']*'$", line.Trim());
        Assert.Contains("fail '192.168.50.11/24 did not come up on eth0 within 20 s'", apply);
        Assert.Contains("fail 'from 192.168.50.11 the node did not reach the gateway 192.168.50.1 within 20 s'", apply);
    }

    private static string RestartNetworkInitializeTests_Decoded(string start)
    {
        const string Path = "/var/lib/picluster/net-apply.sh";
        var marker = $"base64 -d >{Path} <<'PICLUSTER_B64'\n";
        var from = start.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        var to = start.IndexOf("\nPICLUSTER_B64\n", from, StringComparison.Ordinal);
        return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(start.Substring(from, to - from).Replace("\n", "")));
    }

    [Theory]
    [InlineData("node3\n6.6.6.6 pkgs.k8s.io")]
    [InlineData("node3 pkgs.k8s.io")]
    [InlineData("node3#")]
    public void AHostileNodeName_NeverAddsALineToEtcHosts(string name)
    {
        Assert.Throws<ArgumentException>(() => HostsFile.Edit("127.0.0.1\tlocalhost\n"u8.ToArray(), "node1", new[] { ("node1", "192.168.50.11"), (name, "192.168.50.13") }));
        Assert.Throws<ArgumentException>(() => HostsFile.Edit("127.0.0.1\tlocalhost\n"u8.ToArray(), "node1", new[] { ("node2", "192.168.50.12\n6.6.6.6 evil") }));
    }

    [Fact]
    public void AHostileNodeName_CannotEvenBecomeANode()
    {
        // The value rules stop it first (PiNode's constructor); HostsFile.Edit above is the second line of defence.
        var error = Assert.Throws<ArgumentException>(() => new PiNode("node3\n6.6.6.6 pkgs.k8s.io", "127.0.0.1", lanAddress: "192.168.50.13"));
        Assert.Contains("not a valid hostname", error.Message);
    }

    [Fact]
    public void TheCgroupVerifyMessage_AndTheSwapUnmask_AreQuoted()
    {
        var unit = "x'$(touch /tmp/picluster-pwned)`id`.swap";
        Assert.DoesNotContain("sed -i", System.IO.File.ReadAllText(FindSource("SwapStep.cs")));
        // The boot file reaches the cgroup check as a quoted variable, expanded only inside double quotes.
        var cgroup = RemoteScripts.Compose("prep-cgroup-apply", new Dictionary<string, string> { ["PICLUSTER_BOOTFILE"] = unit, ["PICLUSTER_UPDATE_GRUB"] = "" });
        Assert.Contains("PICLUSTER_BOOTFILE=" + ShellText.Quote(unit) + "\n", cgroup);
        Assert.Contains("echo \"$PICLUSTER_BOOTFILE is not as written\" >&2", cgroup);
        AssertBashSyntax(cgroup);
        AssertBashSyntax("grep -vxF -e " + ShellText.Quote(unit) + " /dev/null || true\n");
    }

    private static string FindSource(string file)
    {
        var dir = new System.IO.DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "PiCluster.sln"))) dir = dir.Parent;
        return System.IO.Path.Combine(dir!.FullName, "src", "PiCluster.Core", "Steps", "NodePrep", file);
    }
}
