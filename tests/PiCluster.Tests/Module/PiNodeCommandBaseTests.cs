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

public class NodeCollectorTests
{
    [Fact]
    public void EachNodeIsWorkedOnOnceHoweverManyResultsNameIt()
    {
        var node1 = new PiNode("node1", "127.0.0.1", port: 2201);
        var node2 = new PiNode("node2", "127.0.0.1", port: 2202);
        var node1Again = new PiNode("node1", "127.0.0.1", port: 2201); // e.g. from a second Get-PiNode
        var collector = new NodeCollector();

        collector.Add(new[] { node2, node1 });
        collector.Add(new[] { node1, node1Again, node2 });

        Assert.Equal(new[] { node2, node1 }, collector.Nodes);
    }

    [Fact]
    public void SameNameOnAnotherEndpointIsAnotherNode()
    {
        var collector = new NodeCollector();
        collector.Add(new[] { new PiNode("n", "127.0.0.1", port: 2201), new PiNode("n", "127.0.0.1", port: 2202) });
        Assert.Equal(2, collector.Nodes.Count); // Test-PiNode's uniqueness checks then report it
    }
}
