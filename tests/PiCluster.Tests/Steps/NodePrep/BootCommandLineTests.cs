using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using PiCluster.Steps.NodePrep;
using Xunit;

namespace PiCluster.Tests.Steps.NodePrep;

public class BootCommandLineTests
{
    private static readonly string[] Flags = { "cgroup_enable=cpuset", "cgroup_enable=memory", "cgroup_memory=1" };
    private static readonly Encoding Latin1 = Encoding.Latin1;

    private static string Edit(string text) => Latin1.GetString(BootCommandLine.EditCmdlineTxt(Latin1.GetBytes(text)));

    [Fact]
    public void AddsFlagsToAStockRaspberryPiLine()
    {
        var stock = "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet splash plymouth.ignore-serial-consoles cfg80211.ieee80211_regdom=GB\n";
        Assert.Equal(stock.TrimEnd('\n') + " cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\n", Edit(stock));
    }

    [Fact]
    public void JoinsTwoLinesAndNormalisesCrlfAndTrailingSpace()
    {
        Assert.Equal("root=/dev/mmcblk0p2 rootwait quiet cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\n",
            Edit("root=/dev/mmcblk0p2 rootwait  \r\nquiet   \r\n"));
    }

    [Fact]
    public void RemovesCgroupDisableMemoryButKeepsOtherDisabledControllers()
    {
        Assert.Equal("a cgroup_disable=hugetlb b cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\n",
            Edit("a cgroup_disable=memory,hugetlb b cgroup_disable=memory"));
    }

    [Fact]
    public void KeepsPartlyPresentFlagsWhereTheyAreAndAddsTheRestOnce()
    {
        Assert.Equal("cgroup_memory=1 root=x cgroup_enable=memory cgroup_enable=cpuset\n",
            Edit("cgroup_memory=1 root=x cgroup_enable=memory cgroup_memory=1 cgroup_enable=memory"));
    }

    [Fact]
    public void ReplacesAContradictingCgroupMemoryValue()
    {
        Assert.Equal("root=x cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\n", Edit("root=x cgroup_memory=0\n"));
    }

    [Fact]
    public void KeepsQuotedArgumentsWithSpacesWhole()
    {
        Assert.Equal("root=x dyndbg=\"file  a.c +p\" cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\n",
            Edit("root=x  dyndbg=\"file  a.c +p\"\n"));
    }

    [Fact]
    public void LeavesAConvergedFileUntouched()
    {
        var converged = Latin1.GetBytes("root=x rootwait  cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\n");
        Assert.Same(converged, BootCommandLine.EditCmdlineTxt(converged));
    }

    [Fact]
    public void EmptyFileGetsJustTheFlags() => Assert.Equal("cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1\n", Edit(""));

    // ---- property tests over odd inputs -------------------------------------------------------------------------

    /// <summary>A generated cmdline.txt: the arguments written into it, and its exact text.</summary>
    public sealed record Sample(IReadOnlyList<string> Arguments, string Text)
    {
        public override string ToString() => $"{Text.Replace("\r", "\\r").Replace("\n", "\\n")}";
    }

    private static readonly Gen<string> Argument = Gen.OneOf(
        Gen.Elements("console=serial0,115200", "console=tty1", "root=PARTUUID=4e639091-02", "rootfstype=ext4", "fsck.repair=yes",
            "rootwait", "quiet", "splash", "net.ifnames=0", "cfg80211.ieee80211_regdom=GB", "dwc_otg.lpm_enable=0", "init=/bin/sh",
            "cgroup_enable=cpuset", "cgroup_enable=memory", "cgroup_memory=1", "cgroup_memory=0", "cgroup_disable=memory",
            "cgroup_disable=memory,hugetlb", "cgroup_disable=hugetlb", "cgroup_enable=memoryx", "x=\"quoted  value\"", "caf\u00e9=\u00ff"),
        Gen.Choose(1, 12).SelectMany(n => Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789._=-,/:".ToCharArray()), n)).Select(c => new string(c)),
        // Very long arguments (a long line is fine for the firmware up to its limit; the editor must not care).
        Gen.Choose(2000, 6000).Select(n => "long=" + new string('x', n)));

    private static readonly Gen<string> Separator = Gen.Elements(" ", " ", "  ", "\t", " \t ");
    private static readonly Gen<string> LineEnd = Gen.Elements("", "\n", "\r\n", " \n", "  \r\n", "\n\n", "\t");

    private static readonly Gen<Sample> Samples =
        from firstLine in Gen.Choose(0, 14).SelectMany(n => Gen.ListOf(Argument, n))
        from secondLine in Gen.Frequency((3, Gen.Constant(new List<string>())), (1, Gen.Choose(1, 5).SelectMany(n => Gen.ListOf(Argument, n))))
        from seps in Gen.ListOf(Separator, 20)
        from leading in Gen.Elements("", "", " ")
        from middle in Gen.Elements("\n", "\r\n", " \r\n")
        from end in LineEnd
        select Build(firstLine.ToList(), secondLine.ToList(), seps.ToList(), leading, middle, end);

    private static Sample Build(List<string> first, List<string> second, List<string> seps, string leading, string middle, string end)
    {
        string Join(List<string> args, int offset) => string.Concat(args.Select((a, i) => (i == 0 ? "" : seps[(i + offset) % seps.Count]) + a));
        var text = leading + Join(first, 0) + (second.Count > 0 ? middle + Join(second, 7) : "") + end;
        return new Sample(first.Concat(second).ToList(), text);
    }

    // An oracle written independently of the product's code: what the arguments must become.
    private static List<string> Expected(IReadOnlyList<string> arguments)
    {
        var result = new List<string>();
        foreach (var a in arguments)
        {
            if (Flags.Contains(a)) { if (!result.Contains(a)) result.Add(a); continue; }
            if (a.StartsWith("cgroup_memory=", StringComparison.Ordinal)) continue;
            if (a == "cgroup_disable=memory") continue;
            if (a == "cgroup_disable=memory,hugetlb") { result.Add("cgroup_disable=hugetlb"); continue; }
            result.Add(a);
        }
        result.AddRange(Flags.Where(f => !result.Contains(f)));
        return result;
    }

    private static void Check(Func<Sample, bool> property) =>
        Prop.ForAll(Samples.ToArbitrary(), property).QuickCheckThrowOnFailure();

    [Fact]
    public void ResultIsExactlyOneLfTerminatedLine() => Check(s =>
    {
        var result = Edit(s.Text);
        return result.EndsWith("\n", StringComparison.Ordinal) && result.IndexOf('\n') == result.Length - 1 && !result.Contains('\r');
    });

    [Fact]
    public void EveryOriginalArgumentIsKeptInOrderAndTheFlagsAppearOnce() => Check(s =>
    {
        var result = Edit(s.Text);
        var expected = Expected(s.Arguments);
        // A file that already is one LF-terminated line with the flags is left byte for byte as it is (its spacing
        // included); anything else is rewritten as the arguments joined by single spaces.
        var alreadyInShape = expected.SequenceEqual(s.Arguments) && s.Text.EndsWith("\n", StringComparison.Ordinal)
                             && s.Text.IndexOfAny(new[] { '\r', '\n' }) == s.Text.Length - 1;
        var arguments = result.TrimEnd('\n').Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        return (alreadyInShape ? result == s.Text : result == string.Join(" ", expected) + "\n")
               && Flags.All(f => arguments.Count(a => a == f) == 1)
               && !arguments.Contains("cgroup_disable=memory");
    });

    [Fact]
    public void ADoubleSpacedConvergedLineIsNotRewritten() =>
        Assert.Equal("a  cgroup_enable=memory\tcgroup_memory=1 cgroup_enable=cpuset\n", Edit("a  cgroup_enable=memory\tcgroup_memory=1 cgroup_enable=cpuset\n"));

    [Fact]
    public void EditingTwiceChangesNothingMore() => Check(s =>
    {
        var once = BootCommandLine.EditCmdlineTxt(Latin1.GetBytes(s.Text));
        var twice = BootCommandLine.EditCmdlineTxt(once);
        return ReferenceEquals(once, twice) && BootCommandLine.HasCgroupFlags(Latin1.GetString(once));
    });

    [Fact]
    public void AnInputAlreadyInShapeIsReturnedByteForByte() => Check(s =>
    {
        var canonical = Latin1.GetBytes(string.Join(" ", Expected(s.Arguments)) + "\n");
        return ReferenceEquals(canonical, BootCommandLine.EditCmdlineTxt(canonical));
    });

    [Fact]
    public void EveryByteOfAnArgumentSurvives()
    {
        var bytes = new byte[] { 0x72, 0x3d, 0xc3, 0xa9, 0xff, 0x80, 0x20, 0x71, 0x0a };
        var result = BootCommandLine.EditCmdlineTxt(bytes);
        Assert.Equal(new byte[] { 0x72, 0x3d, 0xc3, 0xa9, 0xff, 0x80, 0x20, 0x71 }, result.Take(8).ToArray());
    }
}
