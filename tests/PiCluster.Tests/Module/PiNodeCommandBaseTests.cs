using System.Management.Automation;
using System.Reflection;
using PiCluster.Commands;
using PiCluster.Engine;
using PiCluster.Hosting;
using Xunit;

namespace PiCluster.Tests.Module;

public class PiNodeCommandBaseTests
{
    private static readonly PiNode Node = new("node1", "127.0.0.1", port: 2201);

    [Fact]
    public void ThrottleLimitReachesTheRunner()
    {
        var cmdlet = new TestPiNodeCommand { ThrottleLimit = 3 };
        var options = (RunOptions)typeof(PiNodeCommandBase).GetMethod("CreateRunOptions", BindingFlags.Instance | BindingFlags.NonPublic)!
            .Invoke(cmdlet, null)!;
        Assert.Equal(3, options.ThrottleLimit);
        Assert.Null(options.Connect.SudoPassword);
        Assert.False(options.Connect.AcceptNewHostKey); // strict host keys unless asked
    }

    [Fact]
    public void DefaultsMatchTheHelp() => Assert.Equal(8, new TestPiNodeCommand().ThrottleLimit);

    [Fact]
    public void TheNodeTransformationTurnsResultsIntoNodes()
    {
        var transformed = new PiNodeTransformationAttribute().Transform(null!, new StepResult(Node, "Swap", StepStatus.Changed));
        Assert.Same(Node, Assert.Single((PiNode[])transformed));
    }

    [Fact]
    public void TheNodeTransformationRefusesTextWithAMessage() =>
        Assert.Throws<ArgumentTransformationMetadataException>(() => new PiNodeTransformationAttribute().Transform(null!, "node1"));
}
