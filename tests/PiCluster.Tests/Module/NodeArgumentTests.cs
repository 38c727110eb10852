using System;
using System.Collections.Generic;
using PiCluster.Engine;
using PiCluster.Hosting;
using Xunit;

namespace PiCluster.Tests.Module;

public class NodeArgumentTests
{
    private static readonly PiNode Node1 = new("node1", "127.0.0.1", NodeRole.ControlPlane, port: 2201);
    private static readonly PiNode Node2 = new("node2", "127.0.0.1", port: 2202);

    [Fact]
    public void TakesNodesAsTheyAre() =>
        Assert.Same(Node1, Assert.Single(NodeArgument.Extract(Node1)));

    [Fact]
    public void TakesTheNodePropertyOfResults()
    {
        var results = new object[] { new StepResult(Node1, "Swap", StepStatus.Changed), new StepResult(Node2, "Swap", StepStatus.Unchanged) };
        Assert.Equal(new[] { Node1, Node2 }, NodeArgument.Extract(results));
    }

    [Fact]
    public void TakesAnyObjectWithANodeProperty() =>
        Assert.Same(Node2, Assert.Single(NodeArgument.Extract(new { Node = Node2, Other = 1 })));

    [Fact]
    public void RebuildsADeserializedNodeFromItsProperties()
    {
        // What a PiNode looks like after Import-Clixml: a property bag, not a PiNode.
        var bag = new Box(new Dictionary<string, object?> { ["Name"] = "node1", ["Address"] = "127.0.0.1", ["Role"] = "ControlPlane", ["Port"] = 2201 });

        var node = Assert.Single(NodeArgument.Extract(bag, v => v,
            (o, name) => o is Box { Value: Dictionary<string, object?> d } && d.TryGetValue(name, out var v) ? v : null));

        Assert.Equal(("node1", "127.0.0.1", NodeRole.ControlPlane, 2201), (node.Name, node.Address, node.Role, node.Port));
    }

    [Fact]
    public void UnwrapsEveryItem()
    {
        var wrapped = new object[] { new Box(Node1), new Box(new StepResult(Node2, "Swap", StepStatus.Changed)) };
        Assert.Equal(new[] { Node1, Node2 }, NodeArgument.Extract(wrapped, v => v is Box b ? b.Value : v, NodeArgument.ReflectedProperty));
    }

    [Theory]
    [InlineData("node1")]
    [InlineData(42)]
    [InlineData(null)]
    public void RefusesWhatIsNoNode(object? value)
    {
        var e = Assert.Throws<ArgumentException>(() => NodeArgument.Extract(value));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    private sealed record Box(object Value);
}
