using System.IO;
using System.Threading.Tasks;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

public class BoundedCaptureTests
{
    [Fact]
    public async Task OutputUpToTheLimit_IsKeptWhole()
    {
        var text = new string('x', 100_000) + "\nend\n";
        Assert.Equal(text, await BoundedCapture.ReadAsync(new StringReader(text), limit: 200_000));
    }

    [Fact]
    public async Task OutputBeyondTheLimit_KeepsTheHeadAndTheTail_WithANote()
    {
        var head = new string('h', 1000);
        var middle = new string('m', 5 * BoundedCapture.TailLength);
        var tail = new string('t', BoundedCapture.TailLength - 20) + "\nexit-code-trailer 0\n";
        var kept = await BoundedCapture.ReadAsync(new StringReader(head + middle + tail), limit: 1000);

        Assert.StartsWith(head, kept);
        Assert.EndsWith(tail, kept);
        Assert.Contains("characters of output dropped here", kept);
        Assert.True(kept.Length < head.Length + 2 * BoundedCapture.TailLength + 200, $"kept {kept.Length} characters");
    }

    [Fact]
    public async Task TheDefaultLimit_Is8MiB()
    {
        Assert.Equal(8 * 1024 * 1024, BoundedCapture.DefaultLimit);
        var huge = new string('y', BoundedCapture.DefaultLimit + 3 * BoundedCapture.TailLength);
        var kept = await BoundedCapture.ReadAsync(new StringReader(huge));
        Assert.True(kept.Length <= BoundedCapture.DefaultLimit + 2 * BoundedCapture.TailLength + 200);
        Assert.Contains("kept up to 8 MiB", kept);
    }
}
