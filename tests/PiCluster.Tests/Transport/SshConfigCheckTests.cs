using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

/// <summary>
/// A node's own ssh_config file is code: commands it would run here are refused before anything connects, unless allowed;
/// -AcceptNewHostKey needs a real known_hosts file; host-key errors show the offered key and what to run. Against a
/// throwaway sshd (Category=Ssh), over both transports (SSH.NET reads the same file through ssh -G).
/// </summary>
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SshConfigCheckTests
{
    private static readonly ConnectOptions Strict = new() { ConnectTimeout = Transports.LoopbackConnectTimeout };

    /// <summary>A node whose config file is the server's client config plus <paramref name="extra"/> lines in front.</summary>
    private static PiNode NodeWithConfig(SshServer server, string extra, out string file)
    {
        file = Path.Combine(server.Directory, "node_config");
        File.WriteAllText(file, extra + "\n" + File.ReadAllText(server.ClientConfig));
        return new PiNode("n1", "127.0.0.1", NodeRole.Worker, Environment.UserName, server.Port, server.ClientKey, file);
    }

    private static Task<INodeSession> Open(SshTransport transport, PiNode node, ConnectOptions? options = null) =>
        Transports.Connector(transport).OpenAsync(node, options ?? Strict, CancellationToken.None);

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AProxyCommandIsRefusedBeforeAnythingRuns(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var marker = Path.Combine(server.Directory, "proxy-ran");
        var node = NodeWithConfig(server, $"Host *\n  ProxyCommand touch {marker}", out var file);
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, node));
        Assert.Equal(NodeErrorKind.SshConfigUnsafe, e.Kind);
        Assert.StartsWith("n1: ", e.Message);
        Assert.Contains(file, e.Message);
        Assert.Contains("ProxyCommand", e.Message);
        Assert.Contains("-AllowSshConfigCommands", e.Message);
        Assert.False(File.Exists(marker), "the ProxyCommand ran");
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [InlineData("Host *\n  PermitLocalCommand yes\n  LocalCommand touch {0}", "LocalCommand", SshTransport.OpenSsh)]
    [InlineData("Host *\n  KnownHostsCommand /bin/sh -c 'touch {0}'", "KnownHostsCommand", SshTransport.OpenSsh)]
    [InlineData("Host *\n  PermitLocalCommand yes", "PermitLocalCommand yes", SshTransport.OpenSsh)]
    [InlineData("Host *\n  PermitLocalCommand yes\n  LocalCommand touch {0}", "LocalCommand", SshTransport.SshNet)]
    [InlineData("Host *\n  KnownHostsCommand /bin/sh -c 'touch {0}'", "KnownHostsCommand", SshTransport.SshNet)]
    [InlineData("Host *\n  PermitLocalCommand yes", "PermitLocalCommand yes", SshTransport.SshNet)]
    public async Task CommandDirectivesAreRefused(string config, string directive, SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var marker = Path.Combine(server.Directory, "ran");
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, NodeWithConfig(server, string.Format(config, marker), out _)));
        Assert.Equal(NodeErrorKind.SshConfigUnsafe, e.Kind);
        Assert.Contains(directive, e.Message);
        Assert.False(File.Exists(marker));
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task MatchExecIsRefusedAlsoInAnIncludedFileAndSshGNeverRunsIt(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var marker = Path.Combine(server.Directory, "exec-ran");
        var included = Path.Combine(server.Directory, "extra.conf");
        File.WriteAllText(included, $"# harmless so far\nMatch   !exec \"touch {marker}\" host *\n  User nobody\n");
        var node = NodeWithConfig(server, $"Include {Path.Combine(server.Directory, "extra*.conf")}", out _);
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, node));
        Assert.Equal(NodeErrorKind.SshConfigUnsafe, e.Kind);
        Assert.Contains(included, e.Message);
        Assert.Contains("'Match exec' (line 2)", e.Message);
        Assert.False(File.Exists(marker), "Match exec ran");
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AllowSshConfigCommandsLetsTheFileRunItsCommands(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var marker = Path.Combine(server.Directory, "exec-ran");
        var node = NodeWithConfig(server, $"Match exec \"touch {marker}\"\n  ServerAliveInterval 30\nHost *", out _);
        await using var session = await Open(transport, node, new ConnectOptions { ConnectTimeout = Transports.LoopbackConnectTimeout, AllowSshConfigCommands = true });
        Assert.Equal("ok\n", (await session.RunAsync(new RemoteCommand("echo ok"), default)).Stdout);
        Assert.True(File.Exists(marker));
    }

    [Fact]
    public async Task TheUsersOwnConfigIsNotAnsweredFor()
    {
        // A node without a config file of its own uses the user's ssh_config as ssh does; nothing is refused there.
        var node = new PiNode("n1", "127.0.0.1", port: 1);
        var config = await SshConfigCheck.EvaluateAsync(node, Strict, CancellationToken.None);
        Assert.Equal("[127.0.0.1]:1", config.KnownHostsName);
    }

    [Theory]
    [InlineData("/dev/null", SshTransport.OpenSsh)]
    [InlineData("none", SshTransport.OpenSsh)]
    [InlineData("/dev/null", SshTransport.SshNet)]
    [InlineData("none", SshTransport.SshNet)]
    public async Task AcceptNewHostKeyRefusesAKnownHostsFileThatRecordsNothing(string knownHosts, SshTransport transport)
    {
        using var server = SshServer.Start();
        var node = NodeWithConfig(server, $"UserKnownHostsFile {knownHosts}", out var file);
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, node, new ConnectOptions { ConnectTimeout = Transports.LoopbackConnectTimeout, AcceptNewHostKey = true }));
        Assert.Equal(NodeErrorKind.SshConfigUnsafe, e.Kind);
        Assert.Contains("-AcceptNewHostKey", e.Message);
        Assert.Contains(knownHosts, e.Message);
        Assert.Contains(file, e.Message);
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AcceptNewHostKeyChecksThatTheKeyWasRecorded(SshTransport transport)
    {
        using var server = SshServer.Start();
        // ssh accepts the key but cannot write it (no such folder), warns, and connects anyway.
        var missing = Path.Combine(server.Directory, "missing", "known_hosts");
        var node = NodeWithConfig(server, $"UserKnownHostsFile {missing}", out _);
        var accept = new ConnectOptions { ConnectTimeout = Transports.LoopbackConnectTimeout, AcceptNewHostKey = true };
        if (transport == SshTransport.SshNet)
        {
            // SSH.NET records the key itself (making the folder, as OpenSSH does not), and the check after it finds it.
            await using (var session = await Open(transport, node, accept)) Assert.Equal("ok\n", (await session.RunAsync(new RemoteCommand("echo ok"), default)).Stdout);
            Assert.Contains($"[127.0.0.1]:{server.Port} ssh-ed25519 ", File.ReadAllText(missing));
            Directory.Delete(Path.GetDirectoryName(missing)!, recursive: true);
            File.WriteAllText(Path.Combine(server.Directory, "missing"), ""); // now a file where the folder should be: cannot record
            var refused = await Assert.ThrowsAsync<NodeException>(() => Open(transport, node, accept));
            Assert.Equal(NodeErrorKind.SshConfigUnsafe, refused.Kind);
            Assert.Contains("cannot be recorded", refused.Message);
            return;
        }
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, node, accept));
        Assert.Equal(NodeErrorKind.SshConfigUnsafe, e.Kind);
        Assert.Contains("not recorded", e.Message);
        Assert.Contains($"ssh-keygen -F [127.0.0.1]:{server.Port}", e.Message);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AnUnknownKeyErrorShowsTheOfferedFingerprintAndHowToAcceptIt(SshTransport transport)
    {
        using var server = SshServer.Start();
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, server.Node()));
        Assert.Equal(NodeErrorKind.HostKeyUnknown, e.Kind);
        Assert.Contains($"ED25519 key {Fingerprint(server)}", e.Message);
        Assert.Contains("-AcceptNewHostKey", e.Message);
        Assert.Contains(server.KnownHosts, e.Message);
        Assert.Equal("", File.ReadAllText(server.KnownHosts)); // looking at the key recorded nothing
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task AChangedKeyErrorShowsTheNewFingerprintAndTheExactSshKeygenCommand(SshTransport transport)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        server.ChangeHostKey();
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(transport, server.Node()));
        Assert.Equal(NodeErrorKind.HostKeyChanged, e.Kind);
        Assert.Contains($"ED25519 key {Fingerprint(server)}", e.Message);
        Assert.Contains($"ssh-keygen -R '[127.0.0.1]:{server.Port}' -f {server.KnownHosts} ", e.Message);
    }

    /// <summary>The SHA256 fingerprint of the server's current host key, as ssh-keygen -l prints it.</summary>
    private static string Fingerprint(SshServer server)
    {
        using var keygen = Process.Start(new ProcessStartInfo("ssh-keygen", $"-l -E sha256 -f {Path.Combine(server.Directory, "host_key.pub")}")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var line = keygen.StandardOutput.ReadToEnd();
        keygen.WaitForExit();
        return line.Split(' ')[1];
    }
}
