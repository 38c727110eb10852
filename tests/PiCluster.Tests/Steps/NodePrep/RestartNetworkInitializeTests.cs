using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;
using static PiCluster.Tests.Steps.NodePrep.FactSession;

namespace PiCluster.Tests.Steps.NodePrep;

public class RestartStepTests
{
    private static NodeFacts Facts(string pending, string backup = "/boot/firmware/cmdline.txt.picluster-20260101T000000Z.bak") =>
        new NodeFacts().Text("boot_id", "old-boot").Text("bootfile", "/boot/firmware/cmdline.txt").Text("backup", backup).Text("pending", pending);

    [Fact]
    public async Task OnlyIfNeededPlansNothingWithoutAReason()
    {
        var session = Create(Node1, new() { ["prep-restart-facts"] = Facts("") });
        Assert.Empty((await new RestartStep(TimeSpan.FromSeconds(5), onlyIfNeeded: true).PlanAsync(Context(session))).Changes);
        Assert.Single((await new RestartStep(TimeSpan.FromSeconds(5)).PlanAsync(Context(session))).Changes);
    }

    [Fact]
    public async Task RebootsWaitsForANewBootIdAndVerifies()
    {
        var reads = 0;
        var session = Create(Node1, new() { ["prep-restart-facts"] = Facts("the cgroup flags in /boot/firmware/cmdline.txt are not active yet") }, command =>
            command.Script == RemoteScripts.Compose("boot-id") ? FakeNodeSession.Ok(++reads < 2 ? "old-boot\n" : "new-boot\n") : null);
        var step = new RestartStep(TimeSpan.FromSeconds(10), onlyIfNeeded: true) { PollInterval = TimeSpan.FromMilliseconds(1) };
        var plan = await step.PlanAsync(Context(session));
        Assert.Equal("reboot (the cgroup flags in /boot/firmware/cmdline.txt are not active yet)", Assert.Single(plan.Changes).Description);
        await step.ApplyAsync(plan, Context(session));
        Assert.Equal(2, reads);
        Assert.Equal(2, session.Reconnects);
        Assert.Contains("systemctl reboot", Applied(session).First().Script);
        Assert.Equal("Restart: verify after boot", Applied(session).Last().Display);
    }

    [Fact]
    public async Task AConnectionLostWhileSchedulingTheRebootIsTheRebootUnderWay()
    {
        // Under load the scheduled reboot can begin before the command's answer is back: ssh then exits 255.
        var reads = 0;
        var session = Create(Node1, new() { ["prep-restart-facts"] = Facts("x") }, command =>
            command.Script.Contains("systemctl reboot", StringComparison.Ordinal) ? throw new NodeException(NodeErrorKind.NodeUnreachable, "ssh failed: (no message)")
            : command.Script == RemoteScripts.Compose("boot-id") ? FakeNodeSession.Ok(++reads < 2 ? "old-boot\n" : "new-boot\n") : null);
        var step = new RestartStep(TimeSpan.FromSeconds(10)) { PollInterval = TimeSpan.FromMilliseconds(1) };
        await step.ApplyAsync(await step.PlanAsync(Context(session)), Context(session));
        Assert.Equal(2, reads);
        Assert.Equal("Restart: verify after boot", Applied(session).Last().Display);
    }

    [Fact]
    public async Task AFailedRebootCommandThatLeavesTheNodeUpStillFailsTheStep()
    {
        var session = Create(Node1, new() { ["prep-restart-facts"] = Facts("x") }, command =>
            command.Script.Contains("systemctl reboot", StringComparison.Ordinal) ? new CommandResult(1, "", "Failed to start transient timer unit")
            : command.Script == RemoteScripts.Compose("boot-id") ? FakeNodeSession.Ok("old-boot\n") : null);
        var step = new RestartStep(TimeSpan.FromSeconds(5)) { PollInterval = TimeSpan.FromMilliseconds(1) };
        var error = await Assert.ThrowsAsync<NodeException>(async () => await step.ApplyAsync(await step.PlanAsync(Context(session)), Context(session)));
        Assert.Contains("transient timer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANodeThatDoesNotComeBackNamesTheBackupAndHowToRestoreIt()
    {
        var session = Create(Node1, new() { ["prep-restart-facts"] = Facts("x") }, command =>
            command.Script == RemoteScripts.Compose("boot-id") ? throw new NodeException(NodeErrorKind.NodeUnreachable, "down") : null);
        var step = new RestartStep(TimeSpan.FromMilliseconds(200)) { PollInterval = TimeSpan.FromMilliseconds(20) };
        var plan = await step.PlanAsync(Context(session));
        var error = await Assert.ThrowsAsync<NodeException>(() => step.ApplyAsync(plan, Context(session)));
        Assert.Equal(NodeErrorKind.Timeout, error.Kind);
        Assert.Contains("/boot/firmware/cmdline.txt.picluster-20260101T000000Z.bak", error.Message);
        Assert.Contains("FAT boot partition", error.Message);
        Assert.Contains("copy cmdline.txt.picluster-20260101T000000Z.bak over cmdline.txt", error.Message);
    }

    [Fact]
    public async Task ProblemsAfterTheBootFailTheStep()
    {
        var session = Create(Node1, new() { ["prep-restart-facts"] = Facts("x") }, command =>
            command.Script == RemoteScripts.Compose("boot-id") ? FakeNodeSession.Ok("new\n")
            : command.Display == "Restart: verify after boot" ? FakeNodeSession.Ok("swap is on again: /var/swap\n") : null);
        var step = new RestartStep(TimeSpan.FromSeconds(5)) { PollInterval = TimeSpan.FromMilliseconds(1) };
        var error = await Assert.ThrowsAsync<NodeException>(async () => await step.ApplyAsync(await step.PlanAsync(Context(session)), Context(session)));
        Assert.Contains("swap is on again", error.Message);
    }
}

public class NetworkStepTests
{
    private static readonly LanSettings Lan = new() { Interface = "eth0", PrefixLength = 24, Gateway = "", Dns = new List<string>() };
    private static readonly PiNode Moving = new("node1", "127.0.0.1", port: 2201, lanAddress: "192.168.50.21");

    private static NodeFacts NmFacts(string address, string sshLocal = "10.0.2.15") => new NodeFacts().Text("iface", "present").Text("addresses", address)
        .Text("ssh_local", sshLocal).Text("manager", "networkmanager").Text("nm_uuid", "1111-2222").Text("nm_name", "Wired connection 1")
        .Text("nm_props", $"ipv4.method=manual\nipv4.addresses={address}\nipv4.gateway=\nipv4.dns=\n802-11-wireless.powersave=");

    [Fact]
    public async Task NoLanSettingsSkips()
    {
        var session = Create(Node1, new());
        var plan = await new NetworkStep().PlanAsync(Context(session));
        Assert.NotNull(plan.SkipReason);
        Assert.Equal(0, session.RoundTrips);
    }

    [Fact]
    public async Task ConvergedNetworkManagerNodeHasNoChanges()
    {
        var session = Create(Node1, new() { ["prep-network-facts"] = NmFacts("192.168.50.11/24") });
        Assert.Empty((await new NetworkStep(Lan).PlanAsync(Context(session))).Changes);
    }

    [Fact]
    public async Task MovingArmsTheRollbackBeforeChangingAndConfirmsAfterTheNodesCheck()
    {
        var session = Create(Moving, new() { ["prep-network-facts"] = NmFacts("192.168.50.11/24") },
            command => command.Display == "Network: wait for the node's check" ? FakeNodeSession.Ok("ok\n") : null);
        var step = new NetworkStep(Lan, TimeSpan.FromSeconds(90));
        var plan = await step.PlanAsync(Context(session, Moving, Node2));
        var change = Assert.Single(plan.Changes);
        Assert.Contains("-ipv4.addresses: 192.168.50.11/24", change.Diff);
        Assert.Contains("+ipv4.addresses: 192.168.50.21/24", change.Diff);

        await step.ApplyAsync(plan, Context(session, Moving, Node2));
        var applied = Applied(session);
        Assert.Equal(3, applied.Count);
        var start = applied[0].Script;
        Assert.True(start.IndexOf("--unit=picluster-net-rollback --on-active=90", StringComparison.Ordinal) < start.IndexOf("--unit=picluster-net-apply", StringComparison.Ordinal));
        var applyScript = DecodedScript(start, "/var/lib/picluster/net-apply.sh");
        AssertBashSyntax(applyScript);
        AssertBashSyntax(DecodedScript(start, "/var/lib/picluster/net-rollback.sh"));
        Assert.Contains("nmcli connection modify '1111-2222' ipv4.addresses '192.168.50.21/24'", applyScript);
        Assert.Contains("ping -c 1 -W 1 -I 'eth0'", applyScript);
        Assert.Contains("'192.168.50.12'", applyScript); // no gateway: another node must answer
        Assert.Contains("nmcli connection modify '1111-2222' ipv4.addresses '192.168.50.11/24'", DecodedScript(start, "/var/lib/picluster/net-rollback.sh"));
        Assert.Contains("systemctl stop picluster-net-rollback.timer", applied[2].Script);
    }

    [Fact]
    public async Task ADroppedPollReconnectsWithoutWaitingForAReboot()
    {
        var polls = 0;
        var session = Create(Moving, new() { ["prep-network-facts"] = NmFacts("192.168.50.11/24") },
            command => command.Display != "Network: wait for the node's check" ? null
                : ++polls == 1 ? throw new NodeException(NodeErrorKind.NodeUnreachable, "node2: the SSH connection was lost")
                : FakeNodeSession.Ok("ok\n"));
        var step = new NetworkStep(Lan, TimeSpan.FromSeconds(90));
        var plan = await step.PlanAsync(Context(session, Moving, Node2));
        await step.ApplyAsync(plan, Context(session, Moving, Node2));
        Assert.Equal(1, session.Reconnects);
        Assert.False(session.LastRequireNewBoot); // the network changed, the node did not reboot
        Assert.Equal(2, polls);
    }

    [Fact]
    public async Task ANodeThatRolledBackFailsTheStep()
    {
        var session = Create(Moving, new() { ["prep-network-facts"] = NmFacts("192.168.50.11/24") },
            command => command.Display == "Network: wait for the node's check" ? FakeNodeSession.Ok("rolled-back: from 192.168.50.21 the node did not reach the gateway 192.168.50.254 within 20 s\n") : null);
        var step = new NetworkStep(Lan);
        var plan = await step.PlanAsync(Context(session));
        var error = await Assert.ThrowsAsync<NodeException>(() => step.ApplyAsync(plan, Context(session)));
        Assert.Contains("did not reach the gateway", error.Message);
        Assert.Contains("previous network configuration was restored", error.Message);
        Assert.DoesNotContain(Applied(session), c => c.Display == "Network: confirm the new address");
    }

    [Fact]
    public async Task RefusesToRemoveTheAddressSshUses()
    {
        var session = Create(Moving, new() { ["prep-network-facts"] = NmFacts("192.168.50.11/24", sshLocal: "192.168.50.11") });
        var error = await Assert.ThrowsAsync<NodeException>(() => new NetworkStep(Lan).PlanAsync(Context(session)));
        Assert.Equal(NodeErrorKind.InvalidNodeState, error.Kind);
    }

    [Fact]
    public async Task DhcpcdNodeGetsTheBlockAndARollbackThatRestoresTheFile()
    {
        var session = Create(Moving, new() { ["prep-network-facts"] = new NodeFacts().Text("iface", "present").Text("addresses", "192.168.50.11/24").Text("ssh_local", "")
            .Text("manager", "dhcpcd").File("dhcpcd_conf", "hostname\n") });
        var step = new NetworkStep(new LanSettings { Interface = "eth0", PrefixLength = 24, Gateway = "192.168.50.1" });
        var plan = await step.PlanAsync(Context(session));
        Assert.Contains("+static routers=192.168.50.1", Assert.Single(plan.Changes).Diff);
        var start = step.StartScript((NetworkStep.Facts)plan.Facts!);
        Assert.Contains("cp -p '/etc/dhcpcd.conf' '/var/lib/picluster/net-saved/etc_dhcpcd.conf'", start);
        Assert.Contains("cp -p '/var/lib/picluster/net-saved/etc_dhcpcd.conf' '/etc/dhcpcd.conf'", DecodedScript(start, "/var/lib/picluster/net-rollback.sh"));
        Assert.Contains("ping -c 1 -W 1 -I 'eth0' \"$target\"", DecodedScript(start, "/var/lib/picluster/net-apply.sh"));
        AssertBashSyntax(DecodedScript(start, "/var/lib/picluster/net-apply.sh"));
        AssertBashSyntax(start);
    }

    internal static string DecodedScript(string start, string path)
    {
        var marker = $"base64 -d >{path} <<'PICLUSTER_B64'\n";
        var from = start.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        var to = start.IndexOf("\nPICLUSTER_B64\n", from, StringComparison.Ordinal);
        return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(start.Substring(from, to - from).Replace("\n", "")));
    }
}

public class InitializeNodeStepTests
{
    private static Dictionary<string, NodeFacts> FreshPi() => new()
    {
        ["prep-hostname-facts"] = new NodeFacts().Text("hostname", "raspberrypi").File("etc_hostname", "raspberrypi\n").File("etc_hosts", NodeFacts.PiHosts),
        ["prep-timesync-facts"] = new NodeFacts().File("dropin", null).Text("installed", "yes").Text("enabled", "enabled").Text("active", "active").Text("ntp", "yes").Text("synchronized", "no"),
        ["prep-cgroup-facts"] = new NodeFacts().Text("bootfile", "/boot/firmware/cmdline.txt").File("content", NodeFacts.PiCmdline),
        ["prep-swap-facts"] = new NodeFacts().Text("swaps", "/var/swap file 102396 0 -2").File("fstab", NodeFacts.PiFstab).Text("units", "dphys-swapfile.service enabled active"),
        ["prep-kernelnet-facts"] = new NodeFacts().File("modules", null).File("sysctl", null).Text("loaded", "").Text("sysctls", "net.ipv4.ip_forward=0").Text("iptables_alternative", "/usr/sbin/iptables-nft"),
        ["prep-restart-facts"] = new NodeFacts().Text("boot_id", "b1").Text("bootfile", "/boot/firmware/cmdline.txt").Text("pending", ""),
    };

    private static NodePreparationOptions Options => new() { NtpServers = new[] { "10.0.2.2" }, FallbackNtpServers = Array.Empty<string>(), SkipTimeSyncWait = true };

    [Fact]
    public async Task PlanListsEveryPartsChangesAndOneReboot()
    {
        var session = Create(Node1, FreshPi());
        var plan = await InitializeNodeStep.Create(Options).PlanAsync(Context(session));
        var parts = plan.Changes.Select(c => c.Description.Split(':')[0]).Distinct().ToArray();
        Assert.Equal(new[] { "Hostname", "TimeSync", "Cgroup", "Swap", "KernelNetworking", "Restart" }, parts);
        Assert.Single(plan.Changes, c => c.Description.StartsWith("Restart:", StringComparison.Ordinal));
        Assert.Equal(6, session.RoundTrips); // one per part (Network is skipped without LAN settings)
    }

    [Fact]
    public async Task WhatIfThroughTheRunnerAppliesNothing()
    {
        var facts = FreshPi();
        var connector = new FakeConnector((node, command) =>
        {
            foreach (var pair in facts) if (command.Display == pair.Key + ".sh") return FakeNodeSession.Ok(pair.Value.ToString());
            return FakeNodeSession.Ok();
        });
        var host = new RecordingRunHost { Answer = (_, _) => false };
        new ClusterRunner(connector, new RunOptions()).Run(new[] { Node1 }, new NodeStep[] { InitializeNodeStep.Create(Options) }, host, CancellationToken.None);
        var asked = Assert.Single(host.ShouldProcessCalls).Action;
        Assert.Contains("cgroup_enable=memory", asked);
        Assert.Contains("dphys-swapfile", asked);
        Assert.DoesNotContain(connector.Sessions["node1"].Commands, c => ScriptWrites.Of(c.Script).Count > 0 || c.Script.Contains("systemctl reboot") || c.Script.Contains("modprobe -a"));
        Assert.Equal(1, connector.Opens["node1"]);
    }

    [Fact]
    public async Task ConvergedNodeIsUnchanged()
    {
        var hosts = System.Text.Encoding.UTF8.GetString(HostsFile.Edit(System.Text.Encoding.UTF8.GetBytes(NodeFacts.PiHosts), "node1", new[] { ("node1", "192.168.50.11") }));
        var timesync = new TimeSyncStep(Options.NtpServers, Options.FallbackNtpServers, TimeSpan.FromSeconds(1), true);
        var session = Create(Node1, new()
        {
            ["prep-hostname-facts"] = new NodeFacts().Text("hostname", "node1").File("etc_hostname", "node1\n").File("etc_hosts", hosts),
            ["prep-timesync-facts"] = new NodeFacts().File("dropin", timesync.DropIn).Text("installed", "yes").Text("enabled", "enabled").Text("active", "active").Text("ntp", "yes").Text("synchronized", "no"),
            ["prep-cgroup-facts"] = new NodeFacts().Text("bootfile", "/boot/firmware/cmdline.txt").File("content", System.Text.Encoding.UTF8.GetString(BootCommandLine.EditCmdlineTxt(System.Text.Encoding.UTF8.GetBytes(NodeFacts.PiCmdline)))),
            ["prep-swap-facts"] = new NodeFacts().Text("swaps", "").File("fstab", NodeFacts.PiFstab).Text("units", "dphys-swapfile.service masked inactive"),
            ["prep-kernelnet-facts"] = new NodeFacts().File("modules", KernelNetworkingFiles.ModulesFile).File("sysctl", KernelNetworkingFiles.SysctlFile).Text("loaded", "overlay\nbr_netfilter").Text("sysctls", "x=1"),
            ["prep-restart-facts"] = new NodeFacts().Text("boot_id", "b1").Text("bootfile", "/boot/firmware/cmdline.txt").Text("pending", ""),
        });
        Assert.Empty((await InitializeNodeStep.Create(Options).PlanAsync(Context(session))).Changes);
    }

    [Fact]
    public async Task AnInterruptedRunThatEditedTheBootFileButDidNotRebootStillReboots()
    {
        var facts = FreshPi();
        facts["prep-restart-facts"] = new NodeFacts().Text("boot_id", "b1").Text("bootfile", "/boot/firmware/cmdline.txt").Text("pending", "the cgroup flags in /boot/firmware/cmdline.txt are not active yet");
        var plan = await InitializeNodeStep.Create(Options).PlanAsync(Context(Create(Node1, facts)));
        Assert.Contains(plan.Changes, c => c.Description == "Restart: reboot (the cgroup flags in /boot/firmware/cmdline.txt are not active yet)");
    }
}
