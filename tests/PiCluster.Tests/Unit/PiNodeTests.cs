using PiCluster.Engine;
using Xunit;

namespace PiCluster.Tests.Unit;

public class PiNodeTests
{
    [Fact]
    public void LanAddressDefaultsToAddress()
    {
        var node = new PiNode("node01", "192.168.1.201", NodeRole.ControlPlane);
        Assert.Equal("192.168.1.201", node.LanAddress);
        Assert.Equal("node01", node.ToString());
    }
}
