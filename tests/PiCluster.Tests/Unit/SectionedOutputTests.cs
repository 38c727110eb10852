using System.Text;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Unit;

public class SectionedOutputTests
{
    [Fact]
    public void ReadsSectionsMissingFilesAndBase64()
    {
        var b64 = System.Convert.ToBase64String(Encoding.UTF8.GetBytes("a b\r\n"));
        var output = $"@@ arch\namd64\n@@ fstab !missing\n@@ cmdline\n{b64}\n@@ empty\n";
        var s = SectionedOutput.Parse(output);
        Assert.Equal("amd64", s.Get("arch"));
        Assert.True(s.Has("fstab"));
        Assert.Null(s.Get("fstab"));
        Assert.Equal("a b\r\n", Encoding.UTF8.GetString(s.GetBytes("cmdline")!));
        Assert.Equal("", s.Get("empty"));
        Assert.False(s.Has("nope"));
    }
}
