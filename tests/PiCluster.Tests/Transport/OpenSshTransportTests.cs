using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

/// <summary>Both real transports (OpenSSH and SSH.NET) against a throwaway sshd on 127.0.0.1 (no VMs; needs openssh-server).</summary>
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class OpenSshTransportTests
{
    private static readonly ConnectOptions Strict = new() { ConnectTimeout = Transports.LoopbackConnectTimeout };

    private static async Task<ITransportSession> Open(SshTransport transport, SshServer server, ConnectOptions? options = null, PiNode? node = null) =>
        (ITransportSession)await Transports.Connector(transport).OpenAsync(node ?? server.Node(), options ?? Strict, CancellationToken.None);

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task RunsScriptsWithInputAndExitCodesOverOneConnection(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        await using var session = await Open(transport, server);

        var r = await session.RunAsync(new RemoteCommand("read -r line; echo \"got $line\"; echo 'to stderr' >&2; exit 3", input: "héllo wörld\n"), default);
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("got héllo wörld\n", r.Stdout);
        Assert.Equal("to stderr\n", r.Stderr);

        // A script much longer than any command line could hold, still one round trip.
        var big = new StringBuilder("set -e\n");
        for (var i = 0; i < 5000; i++) big.Append("x=\"").Append(new string('a', 40)).Append(i).Append("\"\n");
        big.Append("echo \"$x\"\n");
        r = await session.RunAsync(new RemoteCommand(big.ToString()), default);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(new string('a', 40) + "4999\n", r.Stdout);

        r = await session.RunAsync(new RemoteCommand("exit 255"), default);
        Assert.Equal(255, r.ExitCode); // the script's 255, not mistaken for an ssh failure

        Assert.Equal(3, session.RoundTrips);
        Assert.Equal(1, session.Connections);
        Assert.Equal(1, server.Connections);
        Assert.Equal(3, server.Sessions);
        Assert.NotNull(session.BootId);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AnUnknownHostKeyIsRefusedByDefault(SshTransport transport)
    {
        using var server = SshServer.Start();
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, server));
        Assert.Equal(NodeErrorKind.HostKeyUnknown, e.Kind);
        Assert.Contains("-AcceptNewHostKey", e.Message);
        Assert.Equal("", File.ReadAllText(server.KnownHosts));
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AcceptNewHostKeyRecordsAnUnknownKey(SshTransport transport)
    {
        using var server = SshServer.Start();
        await using (var session = await Open(transport, server, new ConnectOptions { AcceptNewHostKey = true }))
        {
            Assert.Equal(0, (await session.RunAsync(new RemoteCommand("true"), default)).ExitCode);
        }
        Assert.Contains($"[127.0.0.1]:{server.Port} ssh-ed25519", File.ReadAllText(server.KnownHosts));
        await using var strict = await Open(transport, server); // now known: strict checking passes
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AChangedHostKeyIsRefusedEvenWithAcceptNewHostKey(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        server.ChangeHostKey();
        var before = File.ReadAllText(server.KnownHosts);
        foreach (var options in new[] { Strict, new ConnectOptions { AcceptNewHostKey = true } })
        {
            var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, server, options));
            Assert.Equal(NodeErrorKind.HostKeyChanged, e.Kind);
            Assert.Contains("CHANGED", e.Message);
            Assert.Contains("ssh-keygen -R", e.Message);
        }
        Assert.Equal(before, File.ReadAllText(server.KnownHosts));
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AWrongKeyIsAnAuthenticationFailure(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var wrongKey = Path.Combine(server.Directory, "host_key"); // a valid key the server does not authorize
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, server, node: server.Node(identityFile: wrongKey)));
        Assert.Equal(NodeErrorKind.AuthenticationFailed, e.Kind);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AClosedPortIsNodeUnreachable(SshTransport transport)
    {
        using var server = SshServer.Start();
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, server, node: server.Node(port: SshServer.FreePort())));
        Assert.Equal(NodeErrorKind.NodeUnreachable, e.Kind);
        Assert.Contains("Connection refused", e.Message);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task ATimeoutStopsTheRemoteWorkAndTheConnectionStaysUsable(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        await using var session = await Open(transport, server);
        var marker = "pc" + Guid.NewGuid().ToString("N").Substring(0, 8);
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<NodeException>(() => session.RunAsync(
            new RemoteCommand($"bash -c 'sleep 300; echo {marker}' & wait", timeout: TimeSpan.FromSeconds(2)), default));
        Assert.Equal(NodeErrorKind.Timeout, e.Kind);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), clock.Elapsed.ToString());
        await WaitUntilGone(marker);
        Assert.Equal("ok\n", (await session.RunAsync(new RemoteCommand("echo ok"), default)).Stdout);
        Assert.Equal(1, server.Connections);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task CancellationStopsTheRemoteWork(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        await using var session = await Open(transport, server);
        // A duration no other process on this machine sleeps, so the search below finds only ours.
        var duration = "300." + Random.Shared.Next(100000, 999999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => session.RunAsync(new RemoteCommand($"sleep {duration}; echo done"), cts.Token));
        await WaitUntilGone("sleep\0" + duration);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task SecretsAndScriptsNeverAppearOnAnyCommandLine(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        await using var session = await Open(transport, server);
        var secret = "tok" + Guid.NewGuid().ToString("N");
        var scriptMarker = "script" + Guid.NewGuid().ToString("N");
        var run = session.RunAsync(new RemoteCommand($"# {scriptMarker}\nread -r s; sleep 2; [ \"$s\" = {secret} ] && echo matched", input: secret + "\n"), default);
        await Task.Delay(1000);
        var lines = CommandLines();
        Assert.DoesNotContain(lines, l => l.Contains(secret));
        Assert.DoesNotContain(lines, l => l.Contains(scriptMarker));
        // We did look while it ran: the remote bash -s (and, for OpenSSH, the local ssh) was there.
        Assert.Contains(lines, l => l.Contains("bash -s") || l.StartsWith("bash\0-s\0", StringComparison.Ordinal));
        Assert.Equal("matched\n", (await run).Stdout);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task ReconnectWaitsForANewBootAndGivesUpInTime(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        await using var session = await Open(transport, server);
        await session.RunAsync(new RemoteCommand("true"), default);
        // Long enough that a loaded machine still reconnects (at 3 s SSH.NET's handshake alone sometimes ran out, and the
        // message said the node did not answer): the node answers, with the same boot id, until the wait gives up.
        var e = await Assert.ThrowsAsync<NodeException>(() => session.ReconnectAsync(TimeSpan.FromSeconds(12), requireNewBoot: true, default));
        Assert.Equal(NodeErrorKind.Timeout, e.Kind);
        Assert.Contains("did not reboot", e.Message);
    }

    internal static string[] CommandLines() => Directory.GetDirectories("/proc")
        .Select(d => { try { return File.ReadAllText(Path.Combine(d, "cmdline")); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; } })
        .Where(l => l.Length > 0).ToArray();

    private static async Task WaitUntilGone(string text)
    {
        for (var i = 0; i < 50 && CommandLines().Any(l => l.Contains(text)); i++) await Task.Delay(100);
        Assert.DoesNotContain(CommandLines(), l => l.Contains(text));
    }
}
