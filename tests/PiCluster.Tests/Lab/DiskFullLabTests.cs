using System;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;
using Xunit;
using static PiCluster.Tests.Lab.LabRuns;

namespace PiCluster.Tests.Lab;

/// <summary>Issue 10.7 on a real FAT boot partition: a full file system is reported before anything is written.</summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class DiskFullLabTests(LabFixture lab)
{
    private const string Boot = "/boot/firmware";

    // The boot partition's files with their hashes, and its free space: what must not change.
    private const string BootState = "cd " + Boot + " && sha256sum cmdline.txt && ls -A | grep -v '^filler' | sort | paste -sd ' ' -";

    [Fact]
    public async Task A_boot_partition_full_to_the_last_block_makes_Enable_PiCgroup_fail_before_writing_and_the_node_still_boots()
    {
        const string node = "node1";
        await lab.ResetAsync(node);
        try
        {
            // A backup from an earlier run must survive too: make one the way PiCluster does, then fill every cluster.
            await RootAsync(lab, node, $"cp {Boot}/cmdline.txt {Boot}/cmdline.txt.picluster-20260101T000000Z.bak");
            await RootAsync(lab, node,
                $"fallocate -l $(df -P -B1 {Boot} | awk 'NR == 2 {{ print $4 }}') {Boot}/filler 2>/dev/null || true; " +
                $"dd if=/dev/zero of={Boot}/filler-dd bs=64k 2>/dev/null || true; dd if=/dev/zero of={Boot}/filler-last bs=512 2>/dev/null || true; sync");
            Assert.Equal("0", (await RootAsync(lab, node, $"df -P -B1 {Boot} | awk 'NR == 2 {{ print $4 }}'")).Trim());
            var before = await RootAsync(lab, node, BootState);

            var (host, _) = Run(Nodes(lab, node), [new CgroupStep()]);

            var failure = Assert.Single(host.Failures);
            Assert.True(failure.Kind == NodeErrorKind.NodeDiskFull, Describe(host));
            Assert.Contains(node, failure.Message);
            Assert.Contains("Cgroup", failure.Message);
            Assert.Contains($"could not write {Boot}/cmdline.txt: its file system is full (0 bytes free", failure.Message);
            Assert.DoesNotContain("could not decode", failure.Message);
            Assert.DoesNotContain(".picluster-2", failure.Message); // no backup is named: none was made
            Assert.DoesNotContain(host.Results, r => r.Status == StepStatus.Changed);
            // Nothing was written: same cmdline.txt, the earlier backup intact, no new backup, no temporary file.
            Assert.Equal(before, await RootAsync(lab, node, BootState));
            Assert.Equal("", (await RootAsync(lab, node, $"cmp {Boot}/cmdline.txt {Boot}/cmdline.txt.picluster-20260101T000000Z.bak")).Trim());

            // The node still boots from that partition, with the command line it had.
            await RootAsync(lab, node, $"rm -f {Boot}/filler*; sync");
            var reboot = await lab.LabAsync("reboot", node);
            Assert.True(reboot.Exit == 0, $"lab reboot {node} failed: {reboot.Out}{reboot.Err}");
            Assert.Equal(before, await RootAsync(lab, node, BootState));
            Assert.DoesNotContain("cgroup_enable=memory", await lab.SshOkAsync(node, "cat /proc/cmdline"));
        }
        finally
        {
            await lab.ResetAsync(node);
        }
    }
}
