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
/// throwaway sshd (Category=Ssh).
/// </summary>
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SshConfigCheckTests
{
    private static readonly ConnectOptions Strict = new() { ConnectTimeout = TimeSpan.FromSeconds(5) };

    /// <summary>A node whose config file is the server's client config plus <paramref name="extra"/> lines in front.</summary>
    private static PiNode NodeWithConfig(SshServer server, string extra, out string file)
    {
        file = Path.Combine(server.Directory, "node_config");
        File.WriteAllText(file, extra + "\n" + File.ReadAllText(server.ClientConfig));
        return new PiNode("n1", "127.0.0.1", NodeRole.Worker, Environment.UserName, server.Port, server.ClientKey, file);
    }

    private static Task<INodeSession> Open(PiNode node, ConnectOptions? options = null) =>
        new OpenSshConnector().OpenAsync(node, options ?? Strict, CancellationToken.None);

    [Fact]
    public async Task AProxyCommandIsRefusedBeforeAnythingRuns()
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var marker = Path.Combine(server.Directory, "proxy-ran");
        var node = NodeWithConfig(server, $"Host *\n  ProxyCommand touch {marker}", out var file);
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(node));
        Assert.Equal(NodeErrorKind.SshConfigUnsafe, e.Kind);
        Assert.StartsWith("n1: ", e.Message);
        Assert.Contains(file, e.Message);
        Assert.Contains("ProxyCommand", e.Message);
        Assert.Contains("-AllowSshConfigCommands", e.Message);
        Assert.False(File.Exists(marker), "the ProxyCommand ran");
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [InlineData("Host *\n  PermitLocalCommand yes\n  LocalCommand touch {0}", "LocalCommand")]
    [InlineData("Host *\n  KnownHostsCommand /bin/sh -c 'touch {0}'", "KnownHostsCommand")]
    [InlineData("Host *\n  PermitLocalCommand yes", "PermitLocalCommand yes")]
    public async Task CommandDirectivesAreRefused(string config, string directive)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var marker = Path.Combine(server.Directory, "ran");
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(NodeWithConfig(server, string.Format(config, marker), out _)));
        Assert.Equal(NodeErrorKind.SshConfigUnsafe, e.Kind);
        Assert.Contains(directive, e.Message);
        Assert.False(File.Exists(marker));
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task MatchExecIsRefusedAlsoInAnIncludedFileAndSshGNeverRunsIt()
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var marker = Path.Combine(server.Directory, "exec-ran");
        var included = Path.Combine(server.Directory, "extra.conf");
        File.WriteAllText(included, $"# harmless so far\nMatch   !exec \"touch {marker}\" host *\n  User nobody\n");
        var node = NodeWithConfig(server, $"Include {Path.Combine(server.Directory, "extra*.conf")}", out _);
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(node));
        Assert.Equal(NodeErrorKind.SshConfigUnsafe, e.Kind);
        Assert.Contains(included, e.Message);
        Assert.Contains("'Match exec' (line 2)", e.Message);
        Assert.False(File.Exists(marker), "Match exec ran");
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task AllowSshConfigCommandsLetsTheFileRunItsCommands()
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var marker = Path.Combine(server.Directory, "exec-ran");
        var node = NodeWithConfig(server, $"Match exec \"touch {marker}\"\n  ServerAliveInterval 30\nHost *", out _);
        await using var session = await Open(node, new ConnectOptions { ConnectTimeout = TimeSpan.FromSeconds(5), AllowSshConfigCommands = true });
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
    [InlineData("/dev/null")]
    [InlineData("none")]
    public async Task AcceptNewHostKeyRefusesAKnownHostsFileThatRecordsNothing(string knownHosts)
    {
        using var server = SshServer.Start();
        var node = NodeWithConfig(server, $"UserKnownHostsFile {knownHosts}", out var file);
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(node, new ConnectOptions { ConnectTimeout = TimeSpan.FromSeconds(5), AcceptNewHostKey = true }));
        Assert.Equal(NodeErrorKind.SshConfigUnsafe, e.Kind);
        Assert.Contains("-AcceptNewHostKey", e.Message);
        Assert.Contains(knownHosts, e.Message);
        Assert.Contains(file, e.Message);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task AcceptNewHostKeyChecksThatTheKeyWasRecorded()
    {
        using var server = SshServer.Start();
        // ssh accepts the key but cannot write it (no such folder), warns, and connects anyway.
        var node = NodeWithConfig(server, $"UserKnownHostsFile {Path.Combine(server.Directory, "missing", "known_hosts")}", out _);
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(node, new ConnectOptions { ConnectTimeout = TimeSpan.FromSeconds(5), AcceptNewHostKey = true }));
        Assert.Equal(NodeErrorKind.SshConfigUnsafe, e.Kind);
        Assert.Contains("not recorded", e.Message);
        Assert.Contains($"ssh-keygen -F [127.0.0.1]:{server.Port}", e.Message);
    }

    [Fact]
    public async Task AnUnknownKeyErrorShowsTheOfferedFingerprintAndHowToAcceptIt()
    {
        using var server = SshServer.Start();
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(server.Node()));
        Assert.Equal(NodeErrorKind.HostKeyUnknown, e.Kind);
        Assert.Contains($"ED25519 key {Fingerprint(server)}", e.Message);
        Assert.Contains("-AcceptNewHostKey", e.Message);
        Assert.Contains(server.KnownHosts, e.Message);
        Assert.Equal("", File.ReadAllText(server.KnownHosts)); // looking at the key recorded nothing
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task AChangedKeyErrorShowsTheNewFingerprintAndTheExactSshKeygenCommand()
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        server.ChangeHostKey();
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(server.Node()));
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
