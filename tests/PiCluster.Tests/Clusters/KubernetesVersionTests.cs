using System;
using PiCluster.Clusters;
using Xunit;

namespace PiCluster.Tests.Clusters;

public class KubernetesVersionTests
{
    [Theory]
    [InlineData("1.34", 34, null, false, "v1.34", "1.34.*")]
    [InlineData("1.34.2", 34, 2, true, "v1.34", "1.34.2-*")]
    [InlineData("1.28.0", 28, 0, true, "v1.28", "1.28.0-*")]
    public void ParsesMinorChannelsAndPatches(string text, int minor, int? patch, bool isPatch, string channel, string apt)
    {
        var v = KubernetesVersion.Parse(text);
        Assert.Equal((1, minor, patch, isPatch, channel, apt, text), (v.Major, v.Minor, v.Patch, v.IsPatch, v.Channel, v.AptVersionPattern, v.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("2.0")]
    [InlineData("1.34.2.1")]
    [InlineData("1.034")]
    [InlineData("1.34-rc.1")]
    [InlineData(" 1.34")]
    public void RefusesAnythingElse(string text)
    {
        Assert.False(KubernetesVersion.TryParse(text, out var v));
        Assert.Null(v);
        Assert.Throws<FormatException>(() => KubernetesVersion.Parse(text));
    }

    [Fact]
    public void AVLeadingVersionSaysHowToWriteIt() =>
        Assert.Equal("Malformed Kubernetes version 'v1.34.1': write '1.34.1' without the 'v'.", Assert.Throws<FormatException>(() => KubernetesVersion.Parse("v1.34.1")).Message);

    [Fact]
    public void OrdersByMinorThenPatchWithTheChannelFirst()
    {
        var ordered = new[] { "1.9", "1.28", "1.34", "1.34.0", "1.34.2", "1.34.10", "1.35" };
        for (var i = 1; i < ordered.Length; i++)
        {
            Assert.True(KubernetesVersion.Parse(ordered[i - 1]) < KubernetesVersion.Parse(ordered[i]), $"{ordered[i - 1]} < {ordered[i]}");
            Assert.True(KubernetesVersion.Parse(ordered[i]) >= KubernetesVersion.Parse(ordered[i - 1]));
        }
        Assert.Equal(KubernetesVersion.Parse("1.34.2"), KubernetesVersion.Parse("1.34.2"));
        Assert.True(KubernetesVersion.Parse("1.34") != KubernetesVersion.Parse("1.34.0"));
        Assert.Equal(KubernetesVersion.Parse("1.34").GetHashCode(), KubernetesVersion.Parse("1.34").GetHashCode());
    }
}
