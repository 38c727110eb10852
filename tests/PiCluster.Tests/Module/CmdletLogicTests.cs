using System;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Checks;
using PiCluster.Commands;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Module;

/// <summary>
/// The cmdlets' own logic, run as PowerShell would after binding (PiNodeCommandBase.Execute) but with a fake connector
/// and the recording stand-in for the PowerShell side.
/// </summary>
public class CmdletLogicTests
{
    private static readonly PiNode Node1 = new("node1", "127.0.0.1", port: 2201);
    private static readonly PiNode Node2 = new("node2", "127.0.0.1", port: 2202);

    [Fact]
    public void InvokePiCommandWithWhatIfAsksPerNodeAndConnectsNowhere()
    {
        var connector = new FakeConnector();
        var host = new RecordingRunHost { Answer = (_, _) => false };
        var cmdlet = new InvokePiCommandCommand { Command = "touch /tmp/x", Connector = connector };

        cmdlet.Execute(new[] { Node1, Node2 }, host);

        Assert.Equal(new[] { ("node1", "Run: touch /tmp/x"), ("node2", "Run: touch /tmp/x") },
            host.ShouldProcessCalls.Select(c => (c.Node.Name, c.Action)));
        Assert.Empty(connector.Opens);
        Assert.Empty(host.Objects);
        Assert.Empty(host.Failures);
    }

    [Fact]
    public void InvokePiCommandRunsOnlyOnConfirmedNodesAndYieldsOneOutputEach()
    {
        var connector = new FakeConnector((node, command) => new CommandResult(node.Name == "node2" ? 3 : 0, $"hello from {node.Name}\n", ""));
        var host = new RecordingRunHost { Answer = (node, _) => node.Name == "node2" };
        var cmdlet = new InvokePiCommandCommand { Command = "hostname", Connector = connector };

        cmdlet.Execute(new[] { Node1, Node2 }, host);

        var output = Assert.Single(host.Output<CommandOutput>());
        Assert.Equal(("node2", 3, "hello from node2\n"), (output.Node.Name, output.ExitCode, output.Output));
        Assert.False(connector.Opens.ContainsKey("node1"));
        Assert.Equal("hostname", connector.Sessions["node2"].Commands.Single().Script);
        Assert.Empty(host.Failures); // a non-zero exit code is output, not an error
        Assert.Empty(host.WrongThreadCalls);
    }

    [Fact]
    public void TestPiNodeReportsAnUnreachableNodeAndStillChecksTheOthers()
    {
        var connector = new FakeConnector();
        connector.Unreachable.Add("node1");
        var host = new RecordingRunHost();

        new TestPiNodeCommand { Connector = connector }.Execute(new[] { Node1, Node2 }, host);

        var failure = Assert.Single(host.Failures);
        Assert.Equal((NodeErrorKind.NodeUnreachable, "node1"), (failure.Kind, failure.Node.Name));
        Assert.Equal(1, connector.Opens["node2"]);
        Assert.Equal(1, connector.Sessions["node2"].RoundTrips);
        Assert.All(host.Output<CheckResult>(), r => Assert.Equal("node2", r.Node.Name));
        Assert.Empty(host.WrongThreadCalls);
    }

    [Fact]
    public void NoNodesMeansNoWork()
    {
        var connector = new FakeConnector();
        var host = new RecordingRunHost();
        new TestPiNodeCommand { Connector = connector }.Execute(Array.Empty<PiNode>(), host);
        Assert.Empty(connector.Opens);
        Assert.Empty(host.Events);
    }

    [Fact]
    public void CtrlCStopsTheRunAsAPipelineStop()
    {
        var connector = new FakeConnector { OpenDelay = TimeSpan.FromSeconds(30) };
        var host = new RecordingRunHost();
        var cmdlet = new InvokePiCommandCommand { Command = "sleep 100", Connector = connector };
        var stopProcessing = typeof(Cmdlet).GetMethod("StopProcessing", BindingFlags.Instance | BindingFlags.NonPublic)!;
        using var stopper = Task.Run(() =>
        {
            Thread.Sleep(300);
            stopProcessing.Invoke(cmdlet, null); // what PowerShell calls on Ctrl+C
        });

        var started = DateTime.UtcNow;
        Assert.Throws<PipelineStoppedException>(() => cmdlet.Execute(new[] { Node1, Node2 }, host));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the run stopped promptly");
        Assert.Empty(host.Output<CommandOutput>());
    }
}
