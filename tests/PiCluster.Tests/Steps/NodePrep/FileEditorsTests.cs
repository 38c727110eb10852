using System.Linq;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using PiCluster.Steps.NodePrep;
using Xunit;

namespace PiCluster.Tests.Steps.NodePrep;

public class GrubDefaultsTests
{
    private static string Edit(string text) => Encoding.Latin1.GetString(GrubDefaults.Edit(Encoding.Latin1.GetBytes(text)));

    private const string Debian = "# If you change this file, run 'update-grub' afterwards\n\nGRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n\n#GRUB_TERMINAL=console\n";

    [Fact]
    public void AddsTheFlagsToGrubCmdlineLinuxAndKeepsEveryOtherLine()
    {
        var result = Edit(Debian);
        Assert.Equal(Debian.Replace("GRUB_CMDLINE_LINUX=\"\"", "GRUB_CMDLINE_LINUX=\"cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\""), result);
        Assert.Equal(result, Edit(result));
    }

    [Fact]
    public void KeepsSingleQuotesExistingArgumentsAndATrailingComment() =>
        Assert.Equal("GRUB_CMDLINE_LINUX='console=ttyS0 cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1' # serial\r\n",
            Edit("GRUB_CMDLINE_LINUX='console=ttyS0 cgroup_disable=memory' # serial\r\n"));

    [Fact]
    public void QuotesAnUnquotedValue() =>
        Assert.Equal("export GRUB_CMDLINE_LINUX=\"quiet cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\"\n",
            Edit("export GRUB_CMDLINE_LINUX=quiet\n"));

    [Fact]
    public void EditsOnlyTheLastAssignmentAndCleansTheDefaultLine()
    {
        var text = "GRUB_CMDLINE_LINUX=\"a\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet cgroup_disable=memory\"\nGRUB_CMDLINE_LINUX=\"b\"\n";
        Assert.Equal("GRUB_CMDLINE_LINUX=\"a\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"b cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\"\n", Edit(text));
    }

    [Fact]
    public void AppendsAnAssignmentWhenThereIsNone() =>
        Assert.Equal("GRUB_TIMEOUT=5\n#GRUB_CMDLINE_LINUX=\"x\"\nGRUB_CMDLINE_LINUX=\"cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\"\n",
            Edit("GRUB_TIMEOUT=5\n#GRUB_CMDLINE_LINUX=\"x\""));

    [Fact]
    public void ConvergedFileIsReturnedAsIs()
    {
        var bytes = GrubDefaults.Edit(Encoding.ASCII.GetBytes(Debian));
        Assert.Same(bytes, GrubDefaults.Edit(bytes));
        Assert.Equal("cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1", GrubDefaults.CmdlineLinux(bytes));
    }

    [Fact]
    public void OtherLinesStayByteIdenticalAndTheEditIsIdempotent()
    {
        var line = Gen.Elements("GRUB_TIMEOUT=5", "# comment with GRUB_CMDLINE_LINUX=\"x\"", "", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"",
            "GRUB_CMDLINE_LINUX=\"console=ttyS0\"", "GRUB_CMDLINE_LINUX='a b'", "GRUB_CMDLINE_LINUX=", "GRUB_CMDLINE_LINUX=\"cgroup_memory=1\"", "GRUB_GFXMODE=640x480  ");
        var ends = Gen.Elements("\n", "\r\n");
        var file = Gen.ListOf(Gen.Zip(line, ends)).Select(lines => string.Concat(lines.Select(l => l.Item1 + l.Item2)));
        Prop.ForAll(file.ToArbitrary(), text =>
        {
            var once = Edit(text);
            var before = text.Split('\n');
            var after = once.Split('\n');
            var untouched = before.Where(l => !l.StartsWith("GRUB_CMDLINE_LINUX", System.StringComparison.Ordinal)).ToList();
            return Edit(once) == once
                   && untouched.All(l => after.Contains(l))
                   && GrubDefaults.CmdlineLinux(Encoding.Latin1.GetBytes(once))!.Split(' ').Count(a => a == "cgroup_enable=memory") == 1;
        }).QuickCheckThrowOnFailure();
    }
}

public class FstabTests
{
    private const string GrubFstab = "# /etc/fstab: static file system information.\nUUID=1234 / ext4 errors=remount-ro 0 1\n/swapfile none swap sw 0 0\n#/dev/sdb1 none swap sw 0 0\n  /dev/zram0\tnone\tswap\tdefaults,pri=100  0 0\r\n";

    [Fact]
    public void CommentsOutActiveSwapLinesWithATagAndLeavesTheRestByteIdentical()
    {
        var result = Encoding.ASCII.GetString(Fstab.DisableSwap(Encoding.ASCII.GetBytes(GrubFstab)));
        Assert.Equal("# /etc/fstab: static file system information.\nUUID=1234 / ext4 errors=remount-ro 0 1\n#picluster-swap-off# /swapfile none swap sw 0 0\n#/dev/sdb1 none swap sw 0 0\n#picluster-swap-off#   /dev/zram0\tnone\tswap\tdefaults,pri=100  0 0\r\n", result);
        Assert.Empty(Fstab.ActiveSwapLines(Encoding.ASCII.GetBytes(result)));
    }

    [Fact]
    public void EnableRestoresOnlyWhatPiClusterCommentedOut()
    {
        var disabled = Fstab.DisableSwap(Encoding.ASCII.GetBytes(GrubFstab));
        Assert.Equal(GrubFstab, Encoding.ASCII.GetString(Fstab.EnableSwap(disabled)));
    }

    [Fact]
    public void DisableThenEnableIsTheIdentityAndBothAreIdempotent()
    {
        var line = Gen.Elements("proc /proc proc defaults 0 0", "/swapfile none swap sw 0 0", "#/swap none swap sw 0 0", "", "  ",
            "UUID=x none swap sw,pri=5 0 0", "LABEL=bootfs /boot/firmware vfat defaults 0 2", "# swap", "/dev/sda2 swap swap defaults 0 0");
        var file = Gen.ListOf(Gen.Zip(line, Gen.Elements("\n", "\r\n", "\n"))).Select(ls => string.Concat(ls.Select(l => l.Item1 + l.Item2)));
        Prop.ForAll(file.ToArbitrary(), text =>
        {
            var bytes = Encoding.ASCII.GetBytes(text);
            var off = Fstab.DisableSwap(bytes);
            return ReferenceEquals(Fstab.DisableSwap(off), off)
                   && Fstab.ActiveSwapLines(off).Count == 0
                   && Encoding.ASCII.GetString(Fstab.EnableSwap(off)) == text
                   && (Fstab.ActiveSwapLines(bytes).Count > 0 || ReferenceEquals(off, bytes));
        }).QuickCheckThrowOnFailure();
    }
}

public class HostsFileTests
{
    private const string PiHosts = "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n127.0.1.1\traspberrypi\n";
    private static readonly (string, string)[] Nodes = { ("node1", "192.168.50.11"), ("node2", "192.168.50.12"), ("node3", "127.0.0.1") };

    private static string Edit(string text) => Encoding.ASCII.GetString(HostsFile.Edit(Encoding.ASCII.GetBytes(text), "node1", Nodes));

    [Fact]
    public void NamesTheNodeOn127011AndAddsTheBlockKeepingTheUsersLines()
    {
        var result = Edit(PiHosts + "10.1.1.1 nas # mine\n");
        Assert.Equal("127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n127.0.1.1\tnode1\n10.1.1.1 nas # mine\n" +
                     HostsFile.BeginMarker + "\n192.168.50.11\tnode1\n192.168.50.12\tnode2\n" + HostsFile.EndMarker + "\n", result);
        Assert.Equal(result, Edit(result));
    }

    [Fact]
    public void ReplacesTheBlockInPlaceWhenTheNodesChange()
    {
        var first = Edit(PiHosts);
        var second = Encoding.ASCII.GetString(HostsFile.Edit(Encoding.ASCII.GetBytes(first + "# after\n"), "node1", new[] { ("node1", "192.168.50.21") }));
        Assert.EndsWith(HostsFile.BeginMarker + "\n192.168.50.21\tnode1\n" + HostsFile.EndMarker + "\n# after\n", second);
    }

    [Fact]
    public void AddsA127011LineAfterLocalhostWhenThereIsNone()
    {
        var result = Edit("127.0.0.1 localhost");
        Assert.StartsWith("127.0.0.1 localhost\n127.0.1.1\tnode1\n" + HostsFile.BeginMarker, result);
    }

    [Fact]
    public void ConvergedFileIsReturnedAsIs()
    {
        var once = HostsFile.Edit(Encoding.ASCII.GetBytes(PiHosts), "node1", Nodes);
        Assert.Same(once, HostsFile.Edit(once, "node1", Nodes));
    }
}
