using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Steps.Kubernetes;
using PiCluster.Steps.NodePrep;
using PiCluster.Steps.Runtime;
using PiCluster.Tests.Fakes;
using Xunit;
using static PiCluster.Tests.Lab.LabRuns;

namespace PiCluster.Tests.Lab;

/// <summary>
/// Node preparation (issue 4) on real lab nodes: Pi flavour (node1-3) and GRUB flavour (node4). Initialize-PiNode on three
/// fresh nodes, with the runtime and packages, in a deploy: DeployLabTests; the state they leave: ControlPlaneLabTests.
/// </summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class NodePrepLabTests(LabFixture lab)
{
    // The lab serves NTP on the host's loopback, which the nodes reach as 10.0.2.2.

    // Right after a reboot the clock may not be synchronised yet: convergence checks then do not wait for it.
    private static NodeStep[] EveryStep(bool skipTimeSyncWait = false) =>
    [
        new HostnameStep(),
        new TimeSyncStep(LabNtp, [], TimeSpan.FromSeconds(90), skipTimeSyncWait),
        new CgroupStep(),
        new SwapStep(),
        new KernelNetworkingStep(),
    ];

    private static void AssertAll(RecordingRunHost host, IReadOnlyList<PiNode> nodes, int steps, StepStatus status)
    {
        var description = Describe(host);
        Assert.True(host.Failures.Count == 0, description);
        Assert.Equal(nodes.Count * steps, host.Results.Count());
        Assert.All(host.Results, r => Assert.True(r.Status == status, description));
        if (status == StepStatus.Unchanged) Assert.All(host.Results, r => Assert.Empty(r.Changes));
    }

    [Fact]
    public async Task Every_step_changes_a_fresh_pi_and_grub_node_once_and_then_nothing_with_one_connection_per_node()
    {
        await lab.ResetAsync("node1", LabFixture.GrubNode);
        var nodes = Nodes(lab, "node1", LabFixture.GrubNode);
        // A fresh Pi node boots as Raspberry Pi OS does: no memory controller until the flags are on the command line.
        Assert.DoesNotContain("memory", (await lab.SshOkAsync("node1", "cat /sys/fs/cgroup/cgroup.controllers")).Split(' '));

        var (first, firstConnector) = Run(nodes, EveryStep());
        AssertAll(first, nodes, 5, StepStatus.Changed);
        Assert.All(nodes, n => Assert.Equal(1, firstConnector.Opens[n.Name]));
        Assert.All(first.Results.Where(r => r.Step == "Cgroup"), r => Assert.True(r.RebootRequired));
        var grubCgroup = first.Results.Single(r => r.Node.Name == LabFixture.GrubNode && r.Step == "Cgroup");
        Assert.Contains(grubCgroup.Changes, c => c.Description.StartsWith("regenerate /boot/grub/grub.cfg", StringComparison.Ordinal));

        var (second, secondConnector) = Run(nodes, EveryStep());
        AssertAll(second, nodes, 5, StepStatus.Unchanged);
        Assert.All(nodes, n => Assert.Equal(1, secondConnector.Opens[n.Name]));

        // The state is real: names, hosts, swap, modules, sysctls, clock, and a byte-exact backup of the boot file.
        Assert.Equal("node1", await lab.SshOkAsync("node1", "hostname"));
        Assert.Equal(LabFixture.GrubNode, await lab.SshOkAsync(LabFixture.GrubNode, "hostname"));
        foreach (var node in nodes)
        {
            var state = await lab.SshOkAsync(node.Name, "tail -n +2 /proc/swaps | wc -l; lsmod | grep -cE '^(overlay|br_netfilter) '; " +
                                             "/usr/sbin/sysctl -n net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward; " +
                                             "timedatectl show -p NTPSynchronized --value; getent hosts node2 | awk '{print $1}'");
            Assert.Equal(["0", "2", "1", "1", "1", "yes", lab.LanAddress("node2")], state.Split('\n'));
        }
        var backup = await lab.SshOkAsync("node1", "cd /boot/firmware && ls cmdline.txt.picluster-*.bak | head -1");
        Assert.Equal(await lab.SshOkAsync("node1", "sed 's/ cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1$//' /boot/firmware/cmdline.txt | sha256sum"),
                     await lab.SshOkAsync("node1", $"sha256sum < /boot/firmware/{backup}"));
        Assert.Equal("1", await lab.SshOkAsync("node1", "wc -l < /boot/firmware/cmdline.txt"));

        // Restart-PiNode: both flavours come back with the flags active and everything still in place; then nothing is pending.
        var (restart, _) = Run(nodes, [new RestartStep(TimeSpan.FromMinutes(6))]);
        AssertAll(restart, nodes, 1, StepStatus.Changed);
        foreach (var node in nodes)
        {
            Assert.Contains("cgroup_enable=memory", await lab.SshOkAsync(node.Name, "cat /proc/cmdline"));
            Assert.Contains("memory", await lab.SshOkAsync(node.Name, "cat /sys/fs/cgroup/cgroup.controllers"));
        }
        var (again, _) = Run(nodes, [new RestartStep(TimeSpan.FromMinutes(6), onlyIfNeeded: true), .. EveryStep(skipTimeSyncWait: true)]);
        AssertAll(again, nodes, 6, StepStatus.Unchanged);
    }

    [Fact]
    public async Task Time_sync_waits_a_bounded_time_and_says_so_when_no_server_answers()
    {
        await lab.ResetAsync("node2");
        var nodes = Nodes(lab, "node2");
        // An address on the lab LAN where nothing answers.
        var (host, _) = Run(nodes, [new TimeSyncStep(["192.168.77.250"], [], TimeSpan.FromSeconds(15))]);
        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.Timeout, failure.Kind);
        Assert.Contains("did not synchronise within 15 s", failure.Message);
    }

    [Fact]
    public async Task WhatIf_on_fresh_nodes_lists_every_change_and_leaves_them_byte_for_byte_unchanged()
    {
        await lab.ResetAsync("node3", LabFixture.GrubNode);
        var nodes = Nodes(lab, "node3", LabFixture.GrubNode);
        const string Hashes = "sudo bash -c 'for f in /etc/hosts /etc/hostname /boot/firmware/cmdline.txt /etc/default/grub /boot/grub/grub.cfg /etc/fstab " +
                              "/etc/modules-load.d/k8s.conf /etc/sysctl.d/k8s.conf /etc/systemd/timesyncd.conf.d/picluster.conf /etc/NetworkManager/system-connections/*; " +
                              "do if [[ -e $f ]]; then sha256sum \"$f\"; else echo \"absent $f\"; fi; done; ls /boot/firmware /etc/default /etc/systemd/system; " +
                              "hostname; tail -n +2 /proc/swaps | wc -l; lsmod | grep -c br_netfilter; systemctl is-enabled dphys-swapfile 2>&1'";
        var before = await Task.WhenAll(nodes.Select(n => lab.SshAsync(n.Name, Hashes)));

        var (host, _) = Run(nodes, [InitializeNodeStep.Create(new NodePreparationOptions { NtpServers = LabNtp })], whatIf: true);

        var after = await Task.WhenAll(nodes.Select(n => lab.SshAsync(n.Name, Hashes)));
        Assert.Equal(before.Select(b => b.Out), after.Select(a => a.Out));
        Assert.Empty(host.Failures);
        Assert.Empty(host.Results);
        Assert.Equal(2, host.ShouldProcessCalls.Count);
        foreach (var (node, action) in host.ShouldProcessCalls)
        {
            Assert.Contains("Hostname: edit /etc/hosts", action);
            Assert.Contains("TimeSync: create /etc/systemd/timesyncd.conf.d/picluster.conf", action);
            Assert.Contains("+NTP=10.0.2.2", action);
            Assert.Contains("cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1", action);
            Assert.Contains("KernelNetworking: create /etc/modules-load.d/k8s.conf", action);
            Assert.Contains("Swap: turn swap off now", action);
            Assert.Contains("Restart: reboot once", action);
            if (node.Name == LabFixture.GrubNode) Assert.Contains("+#picluster-swap-off# /swapfile", action);
            else Assert.Contains("Swap: stop, disable and mask dphys-swapfile.service", action);
        }
    }

    [Fact]
    public async Task Cutting_the_connection_in_the_middle_of_initialize_leaves_no_half_written_file_and_a_rerun_converges()
    {
        await lab.ResetAsync("node2");
        var nodes = Nodes(lab, "node2");
        var options = new NodePreparationOptions { NtpServers = LabNtp, FallbackNtpServers = [], NoReboot = true };

        // Cut the connection while the Swap part is being applied (after Hostname, TimeSync and Cgroup wrote their files).
        var cut = 0;
        var (first, _) = Run(nodes, [InitializeNodeStep.Create(options)], beforeCommand: (node, command) =>
        {
            if (command.Display?.StartsWith("Swap:", StringComparison.Ordinal) != true || cut++ > 0) return;
            _ = Task.Run(async () => { await Task.Delay(300); KillSshMaster(node); });
        });
        Assert.Equal(1, cut);
        Assert.Single(first.Failures);

        var leftovers = await lab.SshOkAsync("node2", "sudo find /etc /boot -name '.*.picluster-tmp.*' | wc -l; wc -l < /boot/firmware/cmdline.txt; sudo bash -n /etc/default/grub 2>/dev/null; echo ok");
        Assert.Equal(["0", "1", "ok"], leftovers.Split('\n'));

        var (rerun, _) = Run(nodes, [InitializeNodeStep.Create(Preparation())]);
        Assert.True(rerun.Failures.Count == 0, Describe(rerun));
        var (third, _) = Run(nodes, [InitializeNodeStep.Create(Preparation(skipTimeSyncWait: true))]);
        AssertAll(third, nodes, 1, StepStatus.Unchanged);
        Assert.Contains("cgroup_memory=1", await lab.SshOkAsync("node2", "cat /proc/cmdline"));
        Assert.Equal("0", await lab.SshOkAsync("node2", "tail -n +2 /proc/swaps | wc -l"));
    }

    [Fact]
    public async Task Set_network_moves_a_node_to_a_new_address_and_rolls_back_a_wrong_one()
    {
        await lab.ResetAsync("node1", "node2");
        var node1 = Nodes(lab, "node1").Single();
        var moved = WithLanAddress(node1, "192.168.77.31");

        var (move, _) = Run([moved], [new NetworkStep(rollbackAfter: TimeSpan.FromSeconds(60))]);
        AssertAll(move, [moved], 1, StepStatus.Changed);
        // Reachable at the new address from another node; the rollback was cancelled and stays cancelled.
        await lab.SshOkAsync("node2", "ping -c 1 -W 5 192.168.77.31 >/dev/null");
        Assert.Equal("inactive", (await lab.SshAsync("node1", "systemctl is-active picluster-net-rollback.timer")).Out.Trim());
        var (again, _) = Run([moved], [new NetworkStep()]);
        AssertAll(again, [moved], 1, StepStatus.Unchanged);

        // A wrong address (another subnet: no other node answers there) is rolled back by the node itself.
        var wrong = WithLanAddress(node1, "10.99.0.5");
        var (bad, _) = Run([wrong], [new NetworkStep(rollbackAfter: TimeSpan.FromSeconds(60))]);
        var failure = Assert.Single(bad.Failures);
        Assert.Contains("restored", failure.Message);
        await lab.SshOkAsync("node2", "ping -c 1 -W 5 192.168.77.31 >/dev/null");

        // A gateway that does not answer is rolled back too.
        var gateway = new LanSettings { Interface = "eth0", PrefixLength = 24, Gateway = "192.168.77.254" };
        var (badGateway, _) = Run([WithLanAddress(node1, "192.168.77.41")], [new NetworkStep(gateway, TimeSpan.FromSeconds(60))]);
        Assert.Contains("gateway 192.168.77.254", Assert.Single(badGateway.Failures).Message);
        await lab.SshOkAsync("node2", "ping -c 1 -W 5 192.168.77.31 >/dev/null");
        Assert.Equal("192.168.77.31/24", await lab.SshOkAsync("node1", "ip -o -4 addr show dev eth0 | awk '{print $4}'"));
    }
}
