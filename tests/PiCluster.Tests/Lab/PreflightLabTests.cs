using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Checks;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Lab;

/// <summary>Test-PiNode's logic (PreflightRunner over the real transport) against the lab's VMs.</summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class PreflightLabTests(LabFixture lab)
{
    private static readonly RunOptions Options = new() { Connect = new ConnectOptions { ConnectTimeout = TimeSpan.FromSeconds(20) } };

    [Fact]
    public async Task Fresh_pi_nodes_fail_swap_memory_cgroup_and_hostname_uniqueness_and_pass_machine_id()
    {
        // Fresh clones: the same hostname, swap on, and (as Raspberry Pi OS boots) cgroup_disable=memory from the firmware.
        await lab.ResetAsync("node1", "node2", "node3");

        var nodes = new[] { lab.Node("node1", NodeRole.ControlPlane), lab.Node("node2"), lab.Node("node3") };
        var connector = new CountingConnector();
        var host = new RecordingRunHost();
        new PreflightRunner(connector, Options).Run(nodes, host, CancellationToken.None);

        Assert.Empty(host.Failures);
        Assert.Empty(host.WrongThreadCalls);
        var results = host.Output<CheckResult>().ToList();
        foreach (var node in nodes)
        {
            var mine = results.Where(r => r.Node == node).ToDictionary(r => r.Check);
            Assert.Equal(14, mine.Count);
            Assert.False(mine[CheckNames.Swap].Passed, mine[CheckNames.Swap].ToString());
            Assert.False(mine[CheckNames.MemoryCgroup].Passed);
            Assert.Contains("cgroup_disable=memory", mine[CheckNames.MemoryCgroup].Detail);
            Assert.False(mine[CheckNames.HostnameUnique].Passed);
            Assert.Contains("raspberrypi", mine[CheckNames.HostnameUnique].Detail);
            Assert.True(mine[CheckNames.MachineIdUnique].Passed);
            Assert.True(mine[CheckNames.Architecture].Passed);
            Assert.Contains("amd64", mine[CheckNames.Architecture].Detail); // the lab's VMs are amd64: reported, not assumed away
            Assert.True(mine[CheckNames.Sudo].Passed);
            Assert.True(mine[CheckNames.KernelModules].Passed, mine[CheckNames.KernelModules].Detail);
            Assert.Contains("/boot/firmware/cmdline.txt", mine[CheckNames.BootCommandLine].Detail);
            // The whole state of a node: one connection, one round trip.
            Assert.Equal((1, 1), (connector.Sessions[node.Name].Connections, connector.Sessions[node.Name].RoundTrips));
        }
    }

    [Fact]
    public async Task The_grub_node_fails_the_loopback_resolver_check()
    {
        await lab.ResetAsync(LabFixture.GrubNode);
        var host = new RecordingRunHost();
        new PreflightRunner(new OpenSshConnector(), Options).Run(new[] { lab.Node(LabFixture.GrubNode) }, host, CancellationToken.None);
        Assert.Empty(host.Failures);
        var resolver = host.Output<CheckResult>().Single(r => r.Check == CheckNames.Resolver);
        Assert.False(resolver.Passed);
        Assert.Contains("127.0.0.53", resolver.Detail);
        Assert.Contains("/run/systemd/resolve/resolv.conf", resolver.Remedy);
        Assert.Contains("/etc/default/grub", host.Output<CheckResult>().Single(r => r.Check == CheckNames.BootCommandLine).Detail);
    }

    [Fact]
    public async Task The_1GiB_node_fails_the_memory_check_only_as_control_plane()
    {
        await lab.ResetAsync(LabFixture.LowMemoryNode);
        foreach (var (role, passes) in new[] { (NodeRole.ControlPlane, false), (NodeRole.Worker, true) })
        {
            var host = new RecordingRunHost();
            new PreflightRunner(new OpenSshConnector(), Options).Run(new[] { lab.Node(LabFixture.LowMemoryNode, role) }, host, CancellationToken.None);
            var memory = host.Output<CheckResult>().Single(r => r.Check == CheckNames.Memory);
            Assert.True(memory.Passed == passes, memory.ToString());
        }
    }

    [Fact]
    public async Task A_node_that_is_down_is_NodeUnreachable_while_the_others_results_arrive()
    {
        await lab.ResetAsync("node1", "node3");
        Assert.Equal(0, (await lab.LabAsync("stop", "node3")).Exit);
        try
        {
            var host = new RecordingRunHost();
            var options = new RunOptions { Connect = new ConnectOptions { ConnectTimeout = TimeSpan.FromSeconds(5) } };
            new PreflightRunner(new OpenSshConnector(), options).Run(new[] { lab.Node("node1"), lab.Node("node3") }, host, CancellationToken.None);
            var failure = Assert.Single(host.Failures);
            Assert.Equal(NodeErrorKind.NodeUnreachable, failure.Kind);
            Assert.Equal("node3", failure.Node.Name);
            Assert.Equal(14, host.Output<CheckResult>().Count(r => r.Node.Name == "node1"));
        }
        finally { await lab.ResetAsync("node3"); }
    }
}
