using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;
using Xunit;
using Xunit.Abstractions;

namespace PiCluster.Tests.Transport;

/// <summary>
/// What only the SSH.NET transport has to prove against the loopback sshd: that it agrees with the ssh client about
/// known_hosts (both ways, hashed too), @revoked and @cert-authority, both fingerprints of a changed key, key formats
/// and passphrases, ProxyJump with each hop's key checked, and what one command costs next to OpenSSH.
/// </summary>
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SshNetTransportTests(ITestOutputHelper output)
{
    private static readonly ConnectOptions Strict = new() { ConnectTimeout = Transports.LoopbackConnectTimeout };

    private static async Task<ITransportSession> Open(SshServer server, ConnectOptions? options = null, PiNode? node = null) =>
        (ITransportSession)await new SshNetConnector().OpenAsync(node ?? server.Node(), options ?? Strict, CancellationToken.None);

    private static (int Exit, string Err) Ssh(SshServer server, string strict, string? config = null, string host = "127.0.0.1")
    {
        var start = new ProcessStartInfo("ssh") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "-F", config ?? server.ClientConfig, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=" + strict, "-i", server.ClientKey,
                     "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-l", Environment.UserName, host, "true" })
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err);
    }

    private static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(" ", args)}: {p.StandardError.ReadToEnd()}");
    }

    private static string HostKeyLine(SshServer server) => File.ReadAllText(Path.Combine(server.Directory, "host_key.pub")).Trim();

    private static SecureString Secure(string text)
    {
        var s = new SecureString();
        foreach (var c in text) s.AppendChar(c);
        return s;
    }

    [Fact]
    public async Task AKeyAcceptedThroughSshNetIsThenAcceptedByStrictSsh()
    {
        using var server = SshServer.Start();
        Assert.NotEqual(0, Ssh(server, "yes").Exit); // unknown to ssh at first
        await using (var s = await Open(server, new ConnectOptions { AcceptNewHostKey = true, ConnectTimeout = Transports.LoopbackConnectTimeout }))
            Assert.Equal(0, (await s.RunAsync(new RemoteCommand("true"), default)).ExitCode);
        var (exit, err) = Ssh(server, "yes");
        Assert.True(exit == 0, err);
        Assert.Single(File.ReadAllLines(server.KnownHosts)); // one line, as ssh's accept-new writes it
    }

    [Fact]
    public async Task AKeyAcceptedBySshIsThenAcceptedByStrictSshNet()
    {
        using var server = SshServer.Start();
        await Assert.ThrowsAsync<NodeException>(() => Open(server));
        var (exit, err) = Ssh(server, "accept-new");
        Assert.True(exit == 0, err);
        await using var s = await Open(server);
        Assert.Equal("ok\n", (await s.RunAsync(new RemoteCommand("echo ok"), default)).Stdout);
    }

    [Fact]
    public async Task AHashedKnownHostsWrittenBySshKeygenWorks()
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        Run("ssh-keygen", "-H", "-f", server.KnownHosts);
        Assert.StartsWith("|1|", File.ReadAllText(server.KnownHosts));
        await using (var s = await Open(server)) Assert.Equal(0, (await s.RunAsync(new RemoteCommand("true"), default)).ExitCode);

        // A hashed entry for a changed key is still a changed key.
        server.ChangeHostKey();
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(server));
        Assert.Equal(NodeErrorKind.HostKeyChanged, e.Kind);
    }

    [Fact]
    public async Task AChangedKeyNamesBothFingerprints()
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var old = KnownHosts.Fingerprint(Convert.FromBase64String(HostKeyLine(server).Split(' ')[1]));
        server.ChangeHostKey();
        var now = KnownHosts.Fingerprint(Convert.FromBase64String(HostKeyLine(server).Split(' ')[1]));
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(server, new ConnectOptions { AcceptNewHostKey = true }));
        Assert.Equal(NodeErrorKind.HostKeyChanged, e.Kind);
        Assert.Contains(old, e.Message);
        Assert.Contains(now, e.Message);
        Assert.Contains("ssh-keygen -R", e.Message);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task ARevokedKeyIsRefusedEvenWhenAlsoListedAndACertAuthorityAloneIsRefusedClearly()
    {
        using var server = SshServer.Start();
        var key = HostKeyLine(server).Split(' ');
        File.WriteAllText(server.KnownHosts, $"[127.0.0.1]:{server.Port} {key[0]} {key[1]}\n@revoked * {key[0]} {key[1]}\n");
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(server, new ConnectOptions { AcceptNewHostKey = true }));
        Assert.Equal(NodeErrorKind.HostKeyChanged, e.Kind);
        Assert.Contains("@revoked", e.Message);

        File.WriteAllText(server.KnownHosts, $"@cert-authority [127.0.0.1]:* {key[0]} {key[1]}\n");
        e = await Assert.ThrowsAsync<NodeException>(() => Open(server));
        Assert.Equal(NodeErrorKind.HostKeyUnknown, e.Kind);
        Assert.Contains("@cert-authority", e.Message);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task AnUnknownKeyIsRefusedAndNothingIsWritten()
    {
        using var server = SshServer.Start();
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(server));
        Assert.Equal(NodeErrorKind.HostKeyUnknown, e.Kind);
        Assert.Contains("SHA256:", e.Message);
        Assert.Equal("", File.ReadAllText(server.KnownHosts));
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [InlineData("rsa", "PEM")]
    [InlineData("ecdsa", "PEM")]
    [InlineData("rsa", "PKCS8")]
    [InlineData("ecdsa", "PKCS8")]
    [InlineData("ed25519", "RFC4716")] // ssh-keygen's default OpenSSH format
    public async Task IdentityFilesInEachFormatWork(string type, string format)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var key = Path.Combine(server.Directory, $"id_{type}_{format}");
        Run("ssh-keygen", "-q", "-t", type, "-m", format, "-N", "", "-f", key);
        File.AppendAllText(Path.Combine(server.Directory, "authorized_keys"), File.ReadAllText(key + ".pub"));
        await using var s = await Open(server, node: server.Node(identityFile: key));
        Assert.Equal(0, (await s.RunAsync(new RemoteCommand("true"), default)).ExitCode);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task APuttyKeyWorks(int version)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var key = Path.Combine(server.Directory, $"id_putty{version}.ppk");
        File.AppendAllText(Path.Combine(server.Directory, "authorized_keys"), WritePuttyRsaKey(key, version) + "\n");
        await using var s = await Open(server, node: server.Node(identityFile: key));
        Assert.Equal(0, (await s.RunAsync(new RemoteCommand("true"), default)).ExitCode);
    }

    [Fact]
    public async Task AnEncryptedKeyNeedsItsPassphraseWhichIsNeverShown()
    {
        const string passphrase = "Key-pass-9c1e";
        using var server = SshServer.Start();
        server.TrustHostKey();
        var key = Path.Combine(server.Directory, "id_encrypted");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", key);
        File.AppendAllText(Path.Combine(server.Directory, "authorized_keys"), File.ReadAllText(key + ".pub"));
        var node = server.Node(identityFile: key);

        var e = await Assert.ThrowsAsync<NodeException>(() => Open(server, node: node));
        Assert.Equal(NodeErrorKind.AuthenticationFailed, e.Kind);
        Assert.Contains("-KeyPassphrase", e.Message);
        e = await Assert.ThrowsAsync<NodeException>(() => Open(server, new ConnectOptions { KeyPassphrase = Secure("wrong-pass") }, node));
        Assert.Equal(NodeErrorKind.AuthenticationFailed, e.Kind);
        Assert.DoesNotContain("wrong-pass", e.Message);

        await using var s = await Open(server, new ConnectOptions { KeyPassphrase = Secure(passphrase) }, node);
        Assert.Equal(0, (await s.RunAsync(new RemoteCommand("true"), default)).ExitCode);
    }

    [Fact]
    public async Task NoUsableKeyNamesWhatToDo()
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(server, node: server.Node(identityFile: Path.Combine(server.Directory, "missing_key"))));
        Assert.Equal(NodeErrorKind.AuthenticationFailed, e.Kind);
        Assert.Contains("does not exist", e.Message);
        // No identity at all (IdentityFile none, no agent): the connection is made, the key checked, and authentication
        // fails with what to do.
        var config = Path.Combine(server.Directory, "nokey_config");
        File.WriteAllText(config, File.ReadAllText(server.ClientConfig) + "IdentityFile /nonexistent/id_ed25519\nIdentityAgent none\n");
        var node = new PiNode("n", "127.0.0.1", NodeRole.Worker, Environment.UserName, server.Port, null, config);
        Assert.Empty(SshNetSession.LoadKeys(node, EffectiveConfigWithoutKeys(), Strict));
        e = await Assert.ThrowsAsync<NodeException>(() => Open(server, node: node));
        Assert.Equal(NodeErrorKind.AuthenticationFailed, e.Kind);
        Assert.Contains("no key from ssh-agent", e.Message);
        Assert.Contains("ssh-add", e.Message);
    }

    /// <summary>An ssh-agent of its own (ssh-agent -D on a socket in the server's folder), killed on dispose.</summary>
    private sealed class Agent : IDisposable
    {
        private readonly Process _process;

        public Agent(string directory)
        {
            Socket = Path.Combine(directory, "agent.sock");
            _process = Process.Start(new ProcessStartInfo("ssh-agent") { ArgumentList = { "-D", "-a", Socket }, UseShellExecute = false, RedirectStandardOutput = true })!;
            var clock = Stopwatch.StartNew();
            while (!File.Exists(Socket) && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
            Assert.True(File.Exists(Socket), "ssh-agent did not start");
        }

        public string Socket { get; }

        public void Add(string key)
        {
            var start = new ProcessStartInfo("ssh-add") { ArgumentList = { "-q", key }, UseShellExecute = false, RedirectStandardError = true, RedirectStandardInput = true };
            start.Environment["SSH_AUTH_SOCK"] = Socket;
            using var p = Process.Start(start)!;
            p.StandardInput.Close();
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, "ssh-add: " + err);
        }

        public void Dispose()
        {
            _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
        }
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("rsa")] // offered as rsa-sha2-512/256: the agent must be asked for a SHA-2 signature
    [InlineData("ecdsa")]
    public async Task KeysHeldByTheAgentAreUsedWhenNoIdentityFileIsGiven(string type)
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        using var agent = new Agent(server.Directory);
        var key = Path.Combine(server.Directory, "agent_" + type);
        Run("ssh-keygen", "-q", "-t", type, "-N", "", "-f", key);
        File.WriteAllText(Path.Combine(server.Directory, "authorized_keys"), File.ReadAllText(key + ".pub"));
        agent.Add(key);
        File.Delete(key); // only the agent has the private key now
        var config = Path.Combine(server.Directory, "agent_config");
        File.WriteAllText(config, File.ReadAllText(server.ClientConfig) + $"IdentityFile /nonexistent/id_ed25519\nIdentityAgent {agent.Socket}\n");
        var node = new PiNode("n", "127.0.0.1", NodeRole.Worker, Environment.UserName, server.Port, null, config);
        await using var s = await Open(server, node: node);
        Assert.Equal("ok\n", (await s.RunAsync(new RemoteCommand("echo ok"), default)).Stdout);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task AnEncryptedIdentityFileHeldByTheAgentNeedsNoPassphrase()
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        using var agent = new Agent(server.Directory);
        var key = Path.Combine(server.Directory, "encrypted_key");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "agent-held-pass", "-f", key);
        File.WriteAllText(Path.Combine(server.Directory, "authorized_keys"), File.ReadAllText(key + ".pub"));
        var config = Path.Combine(server.Directory, "agent_config");
        File.WriteAllText(config, File.ReadAllText(server.ClientConfig) + $"IdentityAgent {agent.Socket}\n");
        var node = new PiNode("n", "127.0.0.1", NodeRole.Worker, Environment.UserName, server.Port, key, config);
        // Not in the agent yet: the named encrypted key needs its passphrase, or the agent.
        var e = await Assert.ThrowsAsync<NodeException>(() => Open(server, node: node));
        Assert.Contains("ssh-add", e.Message);

        // ssh-add reads the passphrase from SSH_ASKPASS when it has no terminal.
        var askpass = Path.Combine(server.Directory, "askpass");
        File.WriteAllText(askpass, "#!/bin/sh\necho agent-held-pass\n");
        File.SetUnixFileMode(askpass, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var add = new ProcessStartInfo("setsid") { ArgumentList = { "-w", "ssh-add", "-q", key }, UseShellExecute = false, RedirectStandardError = true, RedirectStandardInput = true };
        add.Environment["SSH_AUTH_SOCK"] = agent.Socket;
        add.Environment["SSH_ASKPASS"] = askpass;
        add.Environment["SSH_ASKPASS_REQUIRE"] = "force";
        add.Environment["DISPLAY"] = ":0";
        using (var p = Process.Start(add)!)
        {
            p.StandardInput.Close();
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, "ssh-add: " + err);
        }
        await using var s = await Open(server, node: node);
        Assert.Equal(0, (await s.RunAsync(new RemoteCommand("true"), default)).ExitCode);
    }

    [Fact]
    public void TheAgentIsFoundAsOpenSshFindsIt()
    {
        string? Env(string name) => name == "SSH_AUTH_SOCK" ? "/tmp/ssh-x/agent.1" : null;
        Assert.Equal("/tmp/ssh-x/agent.1", SshAgent.Locate(null, Env, windows: false));
        Assert.Equal("/tmp/ssh-x/agent.1", SshAgent.Locate("SSH_AUTH_SOCK", Env, windows: false));
        Assert.Equal("/home/pi/.agent", SshAgent.Locate("/home/pi/.agent", Env, windows: false));
        Assert.Null(SshAgent.Locate("none", Env, windows: false));
        Assert.Null(SshAgent.Locate(null, _ => null, windows: false));
        // Win32-OpenSSH's agent is a service on a named pipe; SSH_AUTH_SOCK still wins where set.
        Assert.Equal(@"\\.\pipe\openssh-ssh-agent", SshAgent.Locate(null, _ => null, windows: true));
        Assert.Equal("/tmp/ssh-x/agent.1", SshAgent.Locate(null, Env, windows: true));
        // No agent at a socket: no keys, no error (as ssh).
        Assert.Empty(SshAgent.Keys("/nonexistent/agent.sock", TimeSpan.FromSeconds(1)));
    }

    private static EffectiveSshConfig EffectiveConfigWithoutKeys() =>
        new("127.0.0.1", 22, "pi", new[] { "/nonexistent/id_ed25519" }, false, Array.Empty<string>(), null, null, fromSsh: false);

    [Fact]
    public async Task ProxyJumpChecksEachHopsKeyUnderItsOwnName()
    {
        using var jump = SshServer.Start();
        using var target = SshServer.Start();
        // The jump host authorizes the target's client key too, so one identity serves both hops.
        File.AppendAllText(Path.Combine(jump.Directory, "authorized_keys"), File.ReadAllText(target.ClientKey + ".pub"));
        var config = Path.Combine(target.Directory, "jump_config");
        File.WriteAllText(config, $"""
            Host jumphost
              HostName 127.0.0.1
              Port {jump.Port}
              User {Environment.UserName}
              IdentityFile {target.ClientKey}
            Host target
              HostName 127.0.0.1
              Port {target.Port}
              ProxyJump jumphost
            Host *
              UserKnownHostsFile {target.KnownHosts}
              GlobalKnownHostsFile /dev/null
            """);
        var node = new PiNode("t", "target", NodeRole.Worker, Environment.UserName, null, target.ClientKey, config);
        target.TrustHostKey(); // only the target's key is known

        var e = await Assert.ThrowsAsync<NodeException>(() => Open(target, node: node));
        Assert.Equal(NodeErrorKind.HostKeyUnknown, e.Kind);
        Assert.Contains("ProxyJump", e.Message);
        Assert.Contains($"[127.0.0.1]:{jump.Port}", e.Message);
        Assert.Equal(0, target.Connections);

        var jumpKey = HostKeyLine(jump).Split(' ');
        File.AppendAllText(target.KnownHosts, $"[127.0.0.1]:{jump.Port} {jumpKey[0]} {jumpKey[1]}\n");
        await using (var s = await Open(target, node: node))
            Assert.Equal("ok\n", (await s.RunAsync(new RemoteCommand("echo ok"), default)).Stdout);
        Assert.Equal((1, 1), (jump.Connections, target.Connections));
    }

    [Fact]
    public void SshGSettingsAreWhatBothTransportsUse()
    {
        using var server = SshServer.Start();
        var config = Path.Combine(server.Directory, "eval_config");
        File.WriteAllText(config, "Host pi1\n  HostName 10.9.8.7\n  User alice\n  Port 2200\n  IdentityFile ~/.ssh/pi_key\n  UserKnownHostsFile /tmp/kh1 \"/tmp/with space/kh2\"\n  ProxyJump bastion:2222\n");
        var c = SshConfigEvaluation.Evaluate("pi1", null, null, null, config, TimeSpan.FromSeconds(10));
        Assert.True(c.FromSsh);
        Assert.Equal(("10.9.8.7", 2200, "alice", "bastion:2222"), (c.HostName, c.Port, c.User, c.ProxyJump));
        Assert.Equal(Path.Combine(SshConfigEvaluation.Home(), ".ssh/pi_key"), c.IdentityFiles[0]);
        Assert.Equal(new[] { "/tmp/kh1", "/tmp/with space/kh2" }, c.KnownHostsFiles);
        // The node's own fields win over the config, as they do on ssh's command line.
        var nodeKey = server.ClientKey; // ssh -G leaves out -i files that do not exist
        var node = SshConfigEvaluation.Evaluate("pi1", 2300, "bob", nodeKey, config, TimeSpan.FromSeconds(10));
        Assert.Equal((2300, "bob", nodeKey), (node.Port, node.User, node.IdentityFiles[0]));
        Assert.Single(SshNetSession.ProxyJumpHops(c.ProxyJump), h => h.Host == "bastion" && h.Port == 2222 && h.User is null);
    }

    /// <summary>A benchmark, not a timed test: prints the median cost of one small command per transport on loopback.</summary>
    [Fact]
    public async Task CostOfOneSmallCommandPerTransport()
    {
        using var server = SshServer.Start();
        server.TrustHostKey();
        foreach (var transport in new[] { SshTransport.OpenSsh, SshTransport.SshNet })
        {
            var connect = Stopwatch.StartNew();
            await using var s = (ITransportSession)await Transports.Connector(transport).OpenAsync(server.Node(), Strict, default);
            connect.Stop();
            var times = new List<double>();
            for (var i = 0; i < 15; i++)
            {
                var clock = Stopwatch.StartNew();
                await s.RunAsync(new RemoteCommand("true"), default);
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            output.WriteLine($"{transport}: connect {connect.Elapsed.TotalMilliseconds:0} ms, one small command median {times[times.Count / 2]:0.0} ms "
                + $"(min {times[0]:0.0}, max {times[^1]:0.0}), connections {s.Connections}");
            Assert.Equal(1, s.Connections);
        }
    }

    // A PuTTY key file (format 2 or 3, unencrypted) of a new RSA key, written from the format's specification;
    // returns the authorized_keys line.
    private static string WritePuttyRsaKey(string path, int version)
    {
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(true);
        static void Str(MemoryStream m, byte[] data)
        {
            var len = new[] { (byte)(data.Length >> 24), (byte)(data.Length >> 16), (byte)(data.Length >> 8), (byte)data.Length };
            m.Write(len);
            m.Write(data);
        }
        static byte[] Mpint(byte[] unsigned)
        {
            var i = 0;
            while (i < unsigned.Length - 1 && unsigned[i] == 0) i++;
            var trimmed = unsigned.Skip(i).ToArray();
            return (trimmed[0] & 0x80) != 0 ? new byte[] { 0 }.Concat(trimmed).ToArray() : trimmed;
        }
        byte[] Blob(Action<MemoryStream> write) { using var m = new MemoryStream(); write(m); return m.ToArray(); }
        var pub = Blob(m => { Str(m, Encoding.ASCII.GetBytes("ssh-rsa")); Str(m, Mpint(p.Exponent!)); Str(m, Mpint(p.Modulus!)); });
        var priv = Blob(m => { Str(m, Mpint(p.D!)); Str(m, Mpint(p.P!)); Str(m, Mpint(p.Q!)); Str(m, Mpint(p.InverseQ!)); });
        const string comment = "pitest-putty";
        var macData = Blob(m =>
        {
            Str(m, Encoding.ASCII.GetBytes("ssh-rsa"));
            Str(m, Encoding.ASCII.GetBytes("none"));
            Str(m, Encoding.ASCII.GetBytes(comment));
            Str(m, pub);
            Str(m, priv);
        });
        var mac = version == 2
            ? HMACSHA1.HashData(SHA1.HashData(Encoding.ASCII.GetBytes("putty-private-key-file-mac-key")), macData)
            : HMACSHA256.HashData(Array.Empty<byte>(), macData);
        static IEnumerable<string> Lines(byte[] data)
        {
            var text = Convert.ToBase64String(data);
            for (var i = 0; i < text.Length; i += 64) yield return text.Substring(i, Math.Min(64, text.Length - i));
        }
        var pubLines = Lines(pub).ToList();
        var privLines = Lines(priv).ToList();
        var file = new StringBuilder()
            .Append($"PuTTY-User-Key-File-{version}: ssh-rsa\n").Append("Encryption: none\n").Append($"Comment: {comment}\n")
            .Append($"Public-Lines: {pubLines.Count}\n").Append(string.Join("\n", pubLines)).Append('\n')
            .Append($"Private-Lines: {privLines.Count}\n").Append(string.Join("\n", privLines)).Append('\n')
            .Append($"Private-MAC: {Convert.ToHexString(mac).ToLowerInvariant()}\n");
        File.WriteAllText(path, file.ToString());
        return "ssh-rsa " + Convert.ToBase64String(pub) + " " + comment;
    }
}
