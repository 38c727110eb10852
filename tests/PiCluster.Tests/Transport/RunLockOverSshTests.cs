using System;
using System.Diagnostics;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Tests.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

/// <summary>
/// The run lock over each real transport and a throwaway sshd: held across a lost connection, a lease that a crashed
/// run's lock runs out of, a dead client on this machine seen at once, -Force (Category=Ssh: no VMs).
/// </summary>
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class RunLockOverSshTests
{
    private static RunOptions Options(int leaseSeconds = 6, bool force = false) => new()
    {
        Connect = new ConnectOptions { ConnectTimeout = Transports.LoopbackConnectTimeout },
        LockLease = TimeSpan.FromSeconds(leaseSeconds),
        TakeOverLock = force,
    };

    private static ScriptedStep Noop(string name = "Other") => new(name, _ => Task.FromResult(StepPlan.Unchanged()));

    private static RecordingRunHost RunOnce(SshTransport transport, PiNode node, RunOptions options, NodeStep? step = null)
    {
        var host = new RecordingRunHost();
        new ClusterRunner(Transports.Connector(transport), options).Run(new[] { node }, new[] { step ?? Noop() }, host, CancellationToken.None);
        return host;
    }

    // OpenSSH: the ControlMaster is killed (it leaves its socket behind). SSH.NET: the server's end of the in-process
    // connection is killed. Either way the session opens a new connection by itself.
    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AKilledMasterBetweenTwoCommandsIsReplacedTheLockIsTakenAgainAndASecondRunStaysOut(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var node = server.Node("n1");
        var killed = new TaskCompletionSource();
        var firstDone = new TaskCompletionSource<string>();
        var leave = new TaskCompletionSource();
        ITransportSession? real = null;
        var step = new ScriptedStep("TwoCommands", async c =>
        {
            real = (ITransportSession)((VerboseSession)((PrefetchingSession)c.Session).Inner).Inner;
            firstDone.SetResult((await c.Session.RunAsync(new RemoteCommand("echo one"), c.Cancellation)).Stdout);
            await killed.Task;
            // The master is gone: this command must run on a new connection, after the lock was taken again on it.
            var second = await c.Session.RunAsync(new RemoteCommand("echo two"), c.Cancellation);
            Assert.Equal("two\n", second.Stdout);
            await leave.Task;
            return StepPlan.Unchanged();
        });
        var first = new RecordingRunHost();
        var firstRun = Task.Factory.StartNew(() => new ClusterRunner(Transports.Connector(transport), Options()).Run(new[] { node }, new[] { step }, first, CancellationToken.None),
            TaskCreationOptions.LongRunning);
        Assert.Equal("one\n", await firstDone.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        var before = File.ReadAllText(server.LockFile);

        Assert.Equal(transport, real!.Transport);
        KillConnection(real, server);
        // A killed master leaves its socket behind; the next command (or the run's renewal, whichever comes first)
        // finds nobody listening there and opens a new connection.
        killed.SetResult();

        // Longer than the lease: the first run keeps renewing it on its new connection.
        await Task.Delay(TimeSpan.FromSeconds(8));
        Assert.Equal(2, real.Connections);
        Assert.Equal(2, server.Connections);
        var after = File.ReadAllText(server.LockFile);
        Assert.Equal(Field(before, "run"), Field(after, "run"));
        Assert.NotEqual(Field(before, "conn"), Field(after, "conn")); // bound to the new connection now

        var second = RunOnce(transport, node, Options());
        var failure = Assert.Single(second.Failures);
        Assert.Equal(NodeErrorKind.NodeLocked, failure.Kind);
        Assert.Contains(Field(before, "run"), failure.Message);
        Assert.Empty(second.Results);

        leave.SetResult();
        await firstRun.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(first.Failures);
        Assert.Equal(StepStatus.Unchanged, Assert.Single(first.Results).Status);
        Assert.False(File.Exists(server.LockFile));
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task TheLockOfAKilledClientOnThisMachineIsTakenOverAtOnce(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var node = server.Node("n1");
        using var client = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        var start = NodeLock.Client.StartOf(client.Id)!.Value;
        // As a run of a PowerShell process on this machine leaves it, with a long lease still to run.
        WriteLock(server, $"run=crashed00001 client={NodeLock.Client.Host} cpid={client.Id} cstart={start}", leaseLeft: 600);

        var whileAlive = RunOnce(transport, node, Options());
        Assert.Equal(NodeErrorKind.NodeLocked, Assert.Single(whileAlive.Failures).Kind);

        client.Kill(); // kill -9
        await client.WaitForExitAsync();
        var host = RunOnce(transport, node, Options());
        Assert.Empty(host.Failures);
        Assert.Single(host.Results);
        Assert.Contains(host.Verbose, v => v.Contains("took over the run lock of a crashed run") && v.Contains($"pid {client.Id}"));
        Assert.Empty(host.Warnings);
        Assert.False(File.Exists(server.LockFile));
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task ALockWhoseLeaseRanOutIsTakenOverAndForceTakesOverALiveOneWithAWarning(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var node = server.Node("n1");

        WriteLock(server, "run=otherhost0001 client=far-away cpid=4242 cstart=1", leaseLeft: 10);
        var early = RunOnce(transport, node, Options());
        var failure = Assert.Single(early.Failures);
        Assert.Equal(NodeErrorKind.NodeLocked, failure.Kind);
        Assert.Contains("run otherhost0001 by ann@desk", failure.Message);
        Assert.Contains("-Force", failure.Message);
        await Task.Delay(TimeSpan.FromSeconds(11));
        var late = RunOnce(transport, node, Options());
        Assert.Empty(late.Failures);
        Assert.Contains(late.Verbose, v => v.Contains("took over a stale run lock") && v.Contains("lease ran out"));

        WriteLock(server, "run=otherhost0002 client=far-away cpid=4242 cstart=1", leaseLeft: 600);
        var forced = RunOnce(transport, node, Options(force: true));
        Assert.Empty(forced.Failures);
        Assert.Single(forced.Results);
        var warning = Assert.Single(forced.Warnings);
        Assert.Contains("n1: -Force: taking over the run lock of run otherhost0002 by ann@desk", warning);
        Assert.False(File.Exists(server.LockFile));
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AnOrphanedMasterDoesNotKeepTheLockPastItsLease(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var node = server.Node("n1");
        // A run whose client stopped renewing (as if PowerShell were killed) while its ControlMaster lives on.
        var orphan = (ITransportSession)await Transports.Connector(transport).OpenAsync(node, Options().Connect, CancellationToken.None);
        try
        {
            var abandoned = new NodeLock(Options(leaseSeconds: 8), _ => { }, _ => { });
            await abandoned.AcquireAsync(node, orphan.RunAsync, allowTakeOver: true, CancellationToken.None);
            Assert.Equal(NodeErrorKind.NodeLocked, Assert.Single(RunOnce(transport, node, Options()).Failures).Kind);

            await Task.Delay(TimeSpan.FromSeconds(9));
            if (orphan is OpenSshSession openSsh) Assert.True(File.Exists(openSsh.ControlPath), "the orphaned master is still up");
            else Assert.Equal("up\n", (await orphan.RunAsync(new RemoteCommand("echo up"), default)).Stdout); // still connected, not renewing
            var next = RunOnce(transport, node, Options());
            Assert.Empty(next.Failures);
            Assert.Contains(next.Verbose, v => v.Contains("took over a stale run lock") && v.Contains(abandoned.RunId));
        }
        finally { await orphan.DisposeAsync(); }
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task ReconnectWithoutANewBootTakesAnyAnswer(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        await using var session = (ITransportSession)await Transports.Connector(transport).OpenAsync(server.Node(), Options().Connect, CancellationToken.None);
        await session.RunAsync(new RemoteCommand("true"), default);
        var boot = session.BootId;
        await session.ReconnectAsync(TimeSpan.FromSeconds(10), requireNewBoot: false, default);
        Assert.Equal(2, session.Connections);
        Assert.Equal(boot, session.BootId);
        Assert.Equal("ok\n", (await session.RunAsync(new RemoteCommand("echo ok"), default)).Stdout);
    }

    // The contract of INodeSession.AfterImplicitReconnect on each transport: after a lost connection, the hook runs on
    // the new one before the command that needed it; if it throws, that command fails with its exception, the
    // connection is dropped and the next command tries the hook again.
    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task TheReconnectHookRunsFirstOnANewConnectionAndAFailingHookFailsTheCommandAndDropsIt(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        await using var session = (ITransportSession)await Transports.Connector(transport).OpenAsync(server.Node(), Options().Connect, CancellationToken.None);
        var calls = new List<string>();
        var fail = true;
        session.AfterImplicitReconnect = async (run, token) =>
        {
            var r = await run(new RemoteCommand("echo hook"), token);
            calls.Add(r.Stdout.Trim());
            if (fail) throw new NodeException(NodeErrorKind.NodeLocked, "n1: taken meanwhile");
        };
        Assert.Equal("one\n", (await session.RunAsync(new RemoteCommand("echo one"), default)).Stdout);
        Assert.Empty(calls); // the first connection is not an implicit reconnect

        KillConnection(session, server);
        var e = await Assert.ThrowsAsync<NodeException>(() => session.RunAsync(new RemoteCommand("touch " + server.Directory + "/ran"), default));
        Assert.Equal(NodeErrorKind.NodeLocked, e.Kind);
        Assert.Equal(new[] { "hook" }, calls);
        Assert.False(File.Exists(Path.Combine(server.Directory, "ran")), "the command ran though the hook failed");
        Assert.Equal(2, session.Connections);

        // Dropped: the next command opens a connection again and runs the hook again first.
        fail = false;
        Assert.Equal("two\n", (await session.RunAsync(new RemoteCommand("echo two"), default)).Stdout);
        Assert.Equal(new[] { "hook", "hook" }, calls);
        Assert.Equal(3, session.Connections);
        Assert.Equal("three\n", (await session.RunAsync(new RemoteCommand("echo three"), default)).Stdout);
        Assert.Equal(2, calls.Count);

        // An explicit reconnect does not call it (its caller takes care of that).
        await session.ReconnectAsync(TimeSpan.FromSeconds(10), requireNewBoot: false, default);
        Assert.Equal(2, calls.Count);
    }

    private static void KillConnection(ITransportSession session, SshServer server)
    {
        if (session is OpenSshSession openSsh)
        {
            using var process = Process.GetProcessById(MasterPid(openSsh.ControlPath));
            process.Kill();
            process.WaitForExit();
        }
        else server.KillConnections();
    }

    private static void WriteLock(SshServer server, string holder, int leaseLeft)
    {
        var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        var uptime = (long)double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        File.WriteAllText(server.LockFile,
            $"{holder} conn= keeper= boot={boot} expires={uptime + leaseLeft} lease={leaseLeft} since=2026-12-01T00:00:00Z by=ann@desk\n");
    }

    private static string Field(string record, string key) =>
        record.Trim().Split(' ').Select(w => w.Split('=', 2)).Where(p => p.Length == 2 && p[0] == key).Select(p => p[1]).Single();

    /// <summary>The ControlMaster process that serves <paramref name="controlPath"/>.</summary>
    private static int MasterPid(string controlPath)
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string line;
            try { line = File.ReadAllText(Path.Combine(dir, "cmdline")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (line.Contains("ControlPath=" + controlPath + "\0") && line.Contains("ControlMaster=yes")) return pid;
        }
        throw new InvalidOperationException("no master process for " + controlPath);
    }
}
