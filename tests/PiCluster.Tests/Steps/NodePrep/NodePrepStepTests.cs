using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;
using static PiCluster.Tests.Steps.NodePrep.FactSession;

namespace PiCluster.Tests.Steps.NodePrep;

public class HostnameStepTests
{
    private static NodeFacts Fresh => new NodeFacts().Text("hostname", "raspberrypi").File("etc_hostname", "raspberrypi\n").File("etc_hosts", NodeFacts.PiHosts);

    [Fact]
    public async Task FreshPiPlansHostsHostnameAndRunningNameInOneRoundTripAndAppliesThem()
    {
        var session = Create(Node1, new() { ["prep-hostname-facts"] = Fresh });
        var step = new HostnameStep();
        var plan = await step.PlanAsync(Context(session, Node1, Node2));
        Assert.Equal(1, session.RoundTrips);
        Assert.Equal(new[] { "edit /etc/hosts", "edit /etc/hostname", "set the running hostname raspberrypi -> node1" }, plan.Changes.Select(c => c.Description));
        Assert.Contains("+192.168.50.12\tnode2", plan.Changes[0].Diff);
        Assert.Contains("-127.0.1.1\traspberrypi", plan.Changes[0].Diff);

        await step.ApplyAsync(plan, Context(session, Node1, Node2));
        var apply = Assert.Single(Applied(session));
        Assert.True(apply.AsRoot);
        Assert.Equal(new[] { "/etc/hosts", "/etc/hostname" }, ScriptWrites.Of(apply.Script).Select(w => w.Path));
        Assert.Contains("PICLUSTER_HOSTNAME='node1'", apply.Script);
        Assert.Contains("hostnamectl set-hostname \"$PICLUSTER_HOSTNAME\"", apply.Script);
    }

    [Fact]
    public async Task ConvergedNodeHasNoChanges()
    {
        var hosts = System.Text.Encoding.UTF8.GetString(HostsFile.Edit(System.Text.Encoding.UTF8.GetBytes(NodeFacts.PiHosts), "node1",
            new[] { ("node1", "192.168.50.11"), ("node2", "192.168.50.12") }));
        var session = Create(Node1, new() { ["prep-hostname-facts"] = new NodeFacts().Text("hostname", "node1").File("etc_hostname", "node1\n").File("etc_hosts", hosts) });
        Assert.Empty((await new HostnameStep().PlanAsync(Context(session, Node1, Node2))).Changes);
    }
}

public class CgroupStepTests
{
    [Fact]
    public async Task PiBootFileGetsTheFlagsWithADiffAndNeedsAReboot()
    {
        var session = Create(Node1, new() { ["prep-cgroup-facts"] = new NodeFacts().Text("bootfile", "/boot/firmware/cmdline.txt").File("content", NodeFacts.PiCmdline).Text("update_grub", "") });
        var step = new CgroupStep();
        var plan = await step.PlanAsync(Context(session));
        var change = Assert.Single(plan.Changes);
        Assert.True(change.RebootRequired);
        Assert.Contains("+" + NodeFacts.PiCmdline.TrimEnd('\n') + " cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1", change.Diff);
        await step.ApplyAsync(plan, Context(session));
        Assert.Contains(ScriptWrites.Of(Assert.Single(Applied(session)).Script), w => w.Path == "/boot/firmware/cmdline.txt");
    }

    [Fact]
    public async Task ConvergedPiBootFileHasNoChanges()
    {
        var session = Create(Node1, new() { ["prep-cgroup-facts"] = new NodeFacts().Text("bootfile", "/boot/firmware/cmdline.txt")
            .File("content", NodeFacts.PiCmdline.TrimEnd('\n') + " cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\n") });
        Assert.Empty((await new CgroupStep().PlanAsync(Context(session))).Changes);
    }

    [Fact]
    public async Task GrubEditsDefaultsAndRunsUpdateGrubAndAnInterruptedRunStillRegenerates()
    {
        var fresh = Create(Node1, new() { ["prep-cgroup-facts"] = new NodeFacts().Text("bootfile", "/etc/default/grub").File("content", NodeFacts.GrubDefault)
            .Text("update_grub", "/usr/sbin/update-grub").Text("grub_cfg_has_flags", "no") });
        var plan = await new CgroupStep().PlanAsync(Context(fresh));
        Assert.Equal(2, plan.Changes.Count);
        Assert.Contains("+GRUB_CMDLINE_LINUX=\"console=ttyS0 cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\"", plan.Changes[0].Diff);
        await new CgroupStep().ApplyAsync(plan, Context(fresh));
        Assert.Contains("'/usr/sbin/update-grub'", Assert.Single(Applied(fresh)).Script);

        var edited = System.Text.Encoding.UTF8.GetString(GrubDefaults.Edit(System.Text.Encoding.UTF8.GetBytes(NodeFacts.GrubDefault)));
        var interrupted = Create(Node1, new() { ["prep-cgroup-facts"] = new NodeFacts().Text("bootfile", "/etc/default/grub").File("content", edited)
            .Text("update_grub", "/usr/sbin/update-grub").Text("grub_cfg_has_flags", "no") });
        Assert.StartsWith("regenerate /boot/grub/grub.cfg", Assert.Single((await new CgroupStep().PlanAsync(Context(interrupted))).Changes).Description);

        var converged = Create(Node1, new() { ["prep-cgroup-facts"] = new NodeFacts().Text("bootfile", "/etc/default/grub").File("content", edited)
            .Text("update_grub", "/usr/sbin/update-grub").Text("grub_cfg_has_flags", "yes") });
        Assert.Empty((await new CgroupStep().PlanAsync(Context(converged))).Changes);
    }

    [Fact]
    public async Task NoBootFileIsAClearError()
    {
        var session = Create(Node1, new() { ["prep-cgroup-facts"] = new NodeFacts().Text("bootfile", "") });
        var error = await Assert.ThrowsAsync<NodeException>(() => new CgroupStep().PlanAsync(Context(session)));
        Assert.Equal(NodeErrorKind.InvalidNodeState, error.Kind);
        Assert.Contains("/boot/firmware/cmdline.txt", error.Message);
    }
}

public class SwapStepTests
{
    private static NodeFacts FreshPi => new NodeFacts().Text("swaps", "/var/swap                               file\t\t102396\t\t0\t\t-2")
        .File("fstab", NodeFacts.PiFstab).Text("units", "dphys-swapfile.service enabled active").Text("masked_by_picluster", "");

    [Fact]
    public async Task FreshPiMasksDphysSwapfileAndTurnsSwapOff()
    {
        var session = Create(Node1, new() { ["prep-swap-facts"] = FreshPi });
        var step = new SwapStep();
        var plan = await step.PlanAsync(Context(session));
        Assert.Equal(new[] { "stop, disable and mask dphys-swapfile.service", "turn swap off now (swapoff -a; active: /var/swap)" }, plan.Changes.Select(c => c.Description));
        await step.ApplyAsync(plan, Context(session));
        var script = Assert.Single(Applied(session)).Script;
        Assert.Contains("systemctl mask 'dphys-swapfile.service'", script);
        Assert.Contains("swapoff -a", script);
        Assert.DoesNotContain(ScriptWrites.Of(script), w => w.Path == "/etc/fstab");
    }

    [Fact]
    public async Task GrubNodeCommentsOutTheFstabLineAndEnabledUndoesIt()
    {
        var session = Create(Node1, new() { ["prep-swap-facts"] = new NodeFacts().Text("swaps", "/swapfile file 1048572 0 -2").File("fstab", NodeFacts.GrubFstab).Text("units", "") });
        var plan = await new SwapStep().PlanAsync(Context(session));
        Assert.Equal(2, plan.Changes.Count);
        Assert.Contains("+#picluster-swap-off# /swapfile none swap sw 0 0", plan.Changes[0].Diff);

        var off = System.Text.Encoding.UTF8.GetString(Fstab.DisableSwap(System.Text.Encoding.UTF8.GetBytes(NodeFacts.GrubFstab)));
        var converged = Create(Node1, new() { ["prep-swap-facts"] = new NodeFacts().Text("swaps", "").File("fstab", off).Text("units", "") });
        Assert.Empty((await new SwapStep().PlanAsync(Context(converged))).Changes);
        var undo = await new SwapStep(enabled: true).PlanAsync(Context(converged));
        Assert.Equal(new[] { "restore the swap lines PiCluster commented out in /etc/fstab", "turn swap on (swapon -a)" }, undo.Changes.Select(c => c.Description));
    }

    [Fact]
    public async Task ConvergedPiHasNoChangesAndEnabledUnmasksOnlyWhatPiClusterMasked()
    {
        var facts = new NodeFacts().Text("swaps", "").File("fstab", NodeFacts.PiFstab)
            .Text("units", "dphys-swapfile.service masked inactive\nzramswap.service masked inactive").Text("masked_by_picluster", "dphys-swapfile.service");
        var session = Create(Node1, new() { ["prep-swap-facts"] = facts });
        Assert.Empty((await new SwapStep().PlanAsync(Context(session))).Changes);
        var undo = await new SwapStep(enabled: true).PlanAsync(Context(session));
        Assert.Equal(new[] { "unmask, enable and start dphys-swapfile.service", "turn swap on (swapon -a)" }, undo.Changes.Select(c => c.Description));
    }
}

public class KernelNetworkingStepTests
{
    private static NodeFacts Fresh => new NodeFacts().File("modules", null).File("sysctl", null).Text("loaded", "")
        .Text("sysctls", "net.bridge.bridge-nf-call-iptables=missing\nnet.bridge.bridge-nf-call-ip6tables=missing\nnet.ipv4.ip_forward=0")
        .Text("iptables_alternative", "/usr/sbin/iptables-nft").Text("iptables_version", "iptables v1.8.9 (nf_tables)").Text("legacy_available", "yes");

    [Fact]
    public async Task FreshNodeWritesBothFilesLoadsBothModulesWithModprobeDashA()
    {
        var session = Create(Node1, new() { ["prep-kernelnet-facts"] = Fresh });
        var step = new KernelNetworkingStep();
        var plan = await step.PlanAsync(Context(session));
        Assert.Equal(4, plan.Changes.Count);
        Assert.Equal("create /etc/modules-load.d/k8s.conf", plan.Changes[0].Description);
        Assert.Equal(IptablesBackend.Nft, await step.ApplyAsync(plan, Context(session)));
        var script = Assert.Single(Applied(session)).Script;
        Assert.Contains("PICLUSTER_MODULES='overlay br_netfilter'\n", script);
        Assert.Contains("modprobe -a $PICLUSTER_MODULES\n", script);
        Assert.DoesNotContain("modprobe overlay", script);
        Assert.Contains("PICLUSTER_RELOAD_SYSCTLS='yes'\n", script);
        Assert.Contains("PICLUSTER_IPTABLES=''\n", script);
        Assert.Equal(new[] { KernelNetworkingFiles.ModulesPath, KernelNetworkingFiles.SysctlPath }, ScriptWrites.Of(script).Select(w => w.Path));
    }

    [Fact]
    public async Task ConvergedNodeHasNoChangesAndReportsItsBackend()
    {
        var session = Create(Node1, new() { ["prep-kernelnet-facts"] = new NodeFacts().File("modules", KernelNetworkingFiles.ModulesFile).File("sysctl", KernelNetworkingFiles.SysctlFile)
            .Text("loaded", "overlay\nbr_netfilter").Text("sysctls", "a=1\nb=1\nc=1").Text("iptables_alternative", "/usr/sbin/iptables-nft") });
        var plan = await new KernelNetworkingStep().PlanAsync(Context(session));
        Assert.Empty(plan.Changes);
        Assert.Equal(IptablesBackend.Nft, ((KernelNetworkingStep.Facts)plan.Facts!).Backend);
    }

    [Fact]
    public async Task LegacyBackendSwitchesTheAlternatives()
    {
        var session = Create(Node1, new() { ["prep-kernelnet-facts"] = Fresh });
        var step = new KernelNetworkingStep(IptablesBackend.Legacy);
        var plan = await step.PlanAsync(Context(session));
        Assert.Contains(plan.Changes, c => c.Description == "switch the iptables backend Nft -> Legacy (update-alternatives)");
        Assert.Equal(IptablesBackend.Legacy, await step.ApplyAsync(plan, Context(session)));
        var script = Applied(session).Single().Script;
        Assert.Contains("PICLUSTER_IPTABLES='legacy'\n", script);
        Assert.Contains("update-alternatives --set \"$tool\" \"/usr/sbin/$tool-$PICLUSTER_IPTABLES\"", script);
    }
}

public class TimeSyncStepTests
{
    private static TimeSyncStep Step(bool skipWait) => new(new[] { "10.0.2.2" }, new[] { "10.0.2.3" }, TimeSpan.FromSeconds(5), skipWait);

    private static NodeFacts Facts(string? dropIn, string synchronized, string other = "") => new NodeFacts().File("dropin", dropIn).Text("installed", "yes")
        .Text("enabled", "enabled").Text("active", "active").Text("other_daemon", other).Text("ntp", "yes").Text("synchronized", synchronized);

    [Fact]
    public async Task FreshNodeGetsTheDropInAndARestart()
    {
        var session = Create(Node1, new() { ["prep-timesync-facts"] = Facts(null, "no") });
        var plan = await Step(skipWait: true).PlanAsync(Context(session));
        Assert.Equal(new[] { "create /etc/systemd/timesyncd.conf.d/picluster.conf", "enable and (re)start systemd-timesyncd, NTP on (timedatectl set-ntp true)" }, plan.Changes.Select(c => c.Description));
        Assert.Contains("+NTP=10.0.2.2", plan.Changes[0].Diff);
        Assert.Contains("+FallbackNTP=10.0.2.3", plan.Changes[0].Diff);
    }

    [Fact]
    public async Task ConvergedNodeWithSkipWaitIsUnchangedEvenUnsynchronised()
    {
        var session = Create(Node1, new() { ["prep-timesync-facts"] = Facts(Step(true).DropIn, "no") });
        Assert.Empty((await Step(skipWait: true).PlanAsync(Context(session))).Changes);
        Assert.Single((await Step(skipWait: false).PlanAsync(Context(session))).Changes);
    }

    [Fact]
    public async Task WaitingIsBoundedAndTimesOutClearly()
    {
        var session = Create(Node1, new() { ["prep-timesync-facts"] = Facts(null, "no") },
            command => command.Script.Contains("NTPSynchronized --value") && command.Script.Contains("exit 4") ? new CommandResult(4, "", "") : null);
        var step = Step(skipWait: false);
        var plan = await step.PlanAsync(Context(session));
        var error = await Assert.ThrowsAsync<NodeException>(() => step.ApplyAsync(plan, Context(session)));
        Assert.Equal(NodeErrorKind.Timeout, error.Kind);
        Assert.Contains("did not synchronise within 5 s", error.Message);
        Assert.Contains("-SkipWait", error.Message);
        Assert.Contains("PICLUSTER_WAIT_SECONDS='5'", Applied(session).Last().Script);
    }

    [Fact]
    public async Task AnotherTimeDaemonIsRefused()
    {
        var session = Create(Node1, new() { ["prep-timesync-facts"] = Facts(null, "yes", "chrony.service") });
        Assert.Equal(NodeErrorKind.InvalidNodeState, (await Assert.ThrowsAsync<NodeException>(() => Step(true).PlanAsync(Context(session)))).Kind);
    }
}
