using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Checks;
using PiCluster.Engine;
using PiCluster.Tests.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

/// <summary>The runners over the real transport and a throwaway sshd (Category=Ssh: no VMs, needs openssh-server).</summary>
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class RunnersOverSshTests
{
    private static readonly RunOptions Options = new() { Connect = new ConnectOptions { ConnectTimeout = Transports.LoopbackConnectTimeout } };

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public void PreflightReadsANodeInOneConnectionAndOneRoundTripWhileADownNodeIsNodeUnreachable(SshTransport transport)
    {
        using var a = SshServer.Start();
        using var b = SshServer.Start();
        a.TrustHostKey();
        b.TrustHostKey();
        var down = a.Node("down", port: SshServer.FreePort());
        var nodes = new[] { a.Node("a"), down, b.Node("b") };
        var host = new RecordingRunHost();

        new PreflightRunner(Transports.Connector(transport), Options).Run(nodes, host, CancellationToken.None);

        Assert.Empty(host.WrongThreadCalls);
        var failure = Assert.Single(host.Failures);
        Assert.Equal(NodeErrorKind.NodeUnreachable, failure.Kind);
        Assert.Same(down, failure.Node);
        var results = host.Output<CheckResult>().ToList();
        foreach (var node in new[] { nodes[0], nodes[2] })
            Assert.Equal(14, results.Count(r => r.Node == node));
        // Both "nodes" are this machine: same hostname and machine-id, and the real script's facts parse.
        Assert.All(results.Where(r => r.Check == CheckNames.HostnameUnique), r => Assert.False(r.Passed));
        Assert.Contains(results, r => r.Check == CheckNames.Architecture && r.Detail.Contains(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64 ? "amd64" : "arm64"));
        // Counted by sshd itself: one authenticated connection and one session per node for the whole preflight read.
        Assert.Equal((1, 1), (a.Connections, a.Sessions));
        Assert.Equal((1, 1), (b.Connections, b.Sessions));
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task TheRunLockStopsASecondRunNamesItsHolderAndIsReleased(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var node = server.Node("n1");
        var inside = new TaskCompletionSource();
        var leave = new TaskCompletionSource();
        var blocking = new ScriptedStep("Hold", async _ =>
        {
            inside.SetResult();
            await leave.Task;
            return StepPlan.Unchanged();
        });
        var first = new RecordingRunHost();
        var firstRun = Task.Factory.StartNew(() => new ClusterRunner(Transports.Connector(transport), Options).Run(new[] { node }, new[] { blocking }, first, CancellationToken.None),
            TaskCreationOptions.LongRunning);
        await inside.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("run=", File.ReadAllText(server.LockFile));

        var second = new RecordingRunHost();
        new ClusterRunner(Transports.Connector(transport), Options).Run(new[] { node }, new[] { new ScriptedStep("Other", _ => Task.FromResult(StepPlan.Unchanged())) }, second, CancellationToken.None);
        var failure = Assert.Single(second.Failures);
        Assert.Equal(NodeErrorKind.NodeLocked, failure.Kind);
        Assert.Contains($"by {Environment.UserName}@", failure.Message);
        Assert.Empty(second.Results);

        leave.SetResult();
        await firstRun.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Single(first.Results);
        Assert.False(File.Exists(server.LockFile));
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public void AStaleLockIsTakenOver(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        foreach (var stale in new[] { $"run=deadbeef0001 pid=999999 start=1 boot={boot} since=x by=gone@host", "run=deadbeef0002 pid=1 start=1 boot=other-boot since=x by=old@host" })
        {
            File.WriteAllText(server.LockFile, stale + "\n");
            var host = new RecordingRunHost();
            new ClusterRunner(Transports.Connector(transport), Options).Run(new[] { server.Node() }, new[] { new ScriptedStep("A", _ => Task.FromResult(StepPlan.Unchanged())) }, host, CancellationToken.None);
            Assert.Empty(host.Failures);
            Assert.Single(host.Results);
            Assert.Contains(host.Verbose, v => v.Contains("took over a stale run lock") && v.Contains(stale.Substring(4, 12)));
            Assert.False(File.Exists(server.LockFile));
        }
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public void InvokeRunsOnEveryNodeOverOneConnectionEach(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var host = new RecordingRunHost();
        new AdHocCommandRunner(Transports.Connector(transport), Options).Run(new[] { server.Node("x"), server.Node("y") },
            new RemoteCommand("echo out; echo err >&2; exit 4"), host, CancellationToken.None);
        var outputs = host.Output<CommandOutput>().ToList();
        Assert.Equal(2, outputs.Count);
        Assert.All(outputs, o => Assert.Equal((4, "out\n", "err\n"), (o.ExitCode, o.Output, o.Error)));
        Assert.Equal((2, 2), (server.Connections, server.Sessions));
    }
}
