using System;
using System.Linq;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Engine;

public class AdHocCommandRunnerTests
{
    [Fact]
    public void EmitsOneOutputPerNodeAndAFailureForAnUnreachableNode()
    {
        var nodes = Enumerable.Range(1, 4).Select(i => new PiNode($"n{i}", "127.0.0.1", port: 2200 + i)).ToArray();
        var connector = new FakeConnector((node, cmd) => new CommandResult(node.Name == "n3" ? 2 : 0, $"hello from {node.Name}\n", node.Name == "n3" ? "oops\n" : ""));
        connector.Unreachable.Add("n4");
        var host = new RecordingRunHost();

        new AdHocCommandRunner(connector, new RunOptions { ThrottleLimit = 2 }).Run(nodes, new RemoteCommand("echo hello", asRoot: true), host, CancellationToken.None);

        Assert.Empty(host.WrongThreadCalls);
        var outputs = host.Output<CommandOutput>().OrderBy(o => o.Node.Name).ToList();
        Assert.Equal(new[] { "n1", "n2", "n3" }, outputs.Select(o => o.Node.Name));
        Assert.Equal("hello from n1\n", outputs[0].Output);
        Assert.Equal(2, outputs[2].ExitCode);
        Assert.Equal("oops\n", outputs[2].Error);
        Assert.False(outputs[2].Succeeded);
        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.NodeUnreachable, failure.Kind);
        Assert.Equal("n4", failure.Node.Name);
        Assert.All(connector.Sessions.Values, s => Assert.True(Assert.Single(s.Commands).AsRoot)); // no lock taken
        Assert.Contains(host.Verbose, v => v == "n1: sudo: echo hello");
        Assert.Equal(3, connector.Closed.Count);
    }
}
