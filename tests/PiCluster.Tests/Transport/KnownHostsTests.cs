using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

/// <summary>known_hosts and ssh -G handling without a server, including Windows-style paths and files.</summary>
public class KnownHostsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pckh-" + Guid.NewGuid().ToString("N").Substring(0, 8));

    public KnownHostsTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Blob(string type, byte fill)
    {
        var t = Encoding.ASCII.GetBytes(type);
        var blob = new byte[4 + t.Length + 4 + 32];
        blob[3] = (byte)t.Length;
        t.CopyTo(blob, 4);
        blob[4 + t.Length + 3] = 32;
        for (var i = blob.Length - 32; i < blob.Length; i++) blob[i] = fill;
        return blob;
    }

    [Fact]
    public void PlainHashedPortAndPatternEntriesMatchAsInOpenSsh()
    {
        var key = Blob("ssh-ed25519", 1);
        var b64 = Convert.ToBase64String(key);
        var file = Path.Combine(_dir, "known_hosts");
        File.WriteAllText(file, $"# comment\nnode1,10.0.0.1 ssh-ed25519 {b64}\n{KnownHosts.Hash("[127.0.0.1]:2222", RandomNumberGenerator.GetBytes(20))} ssh-ed25519 {b64}\n"
            + $"*.lab,!bad.lab ssh-ed25519 {b64}\n");
        Assert.Equal(HostKeyStatus.Known, KnownHosts.Check(new[] { file }, "10.0.0.1", key).Status);
        Assert.Equal(HostKeyStatus.Known, KnownHosts.Check(new[] { file }, "[127.0.0.1]:2222", key).Status);
        Assert.Equal(HostKeyStatus.Unknown, KnownHosts.Check(new[] { file }, "127.0.0.1", key).Status); // port 22 is another host
        Assert.Equal(HostKeyStatus.Known, KnownHosts.Check(new[] { file }, "pi.lab", key).Status);
        Assert.Equal(HostKeyStatus.Unknown, KnownHosts.Check(new[] { file }, "bad.lab", key).Status);
        var other = KnownHosts.Check(new[] { file }, "node1", Blob("ssh-ed25519", 2));
        Assert.Equal(HostKeyStatus.Changed, other.Status);
        Assert.Equal(KnownHosts.Fingerprint(key), other.RecordedFingerprint);
        Assert.Equal(file + ":2", other.RecordedIn);
        Assert.Equal(HostKeyStatus.Unknown, KnownHosts.Check(new[] { file }, "node1", Blob("ecdsa-sha2-nistp256", 2)).Status); // another type
        Assert.Equal("[h]:2222", KnownHosts.HostName("h", 2222));
        Assert.Equal("h", KnownHosts.HostName("h", 22));
    }

    [Fact]
    public void WindowsStylePathsAndCrLfKnownHostsFilesWork()
    {
        // ssh -G on Windows prints backslash paths, quoted when they hold spaces; ~ is the user profile.
        var home = @"C:\Users\Jane Doe";
        var c = SshConfigEvaluation.Parse(
            "hostname 192.168.1.10\r\nuser pi\r\nport 22\r\nidentityfile ~/.ssh/id_ed25519\r\nidentityfile C:\\keys\\pi.ppk\r\n"
            + "userknownhostsfile \"C:\\Users\\Jane Doe\\.ssh\\known_hosts\" ~/.ssh/known_hosts2\r\nhashknownhosts no\r\n"
            + "identityagent \\\\.\\pipe\\openssh-ssh-agent\r\n", home);
        Assert.Equal(@"\\.\pipe\openssh-ssh-agent", c.IdentityAgent); // Win32-OpenSSH's agent service
        Assert.Equal(c.IdentityAgent, SshAgent.Locate(c.IdentityAgent, _ => null, windows: true));
        Assert.Equal(@"C:\Users\Jane Doe\.ssh\id_ed25519", c.IdentityFiles[0]);
        Assert.Equal(@"C:\keys\pi.ppk", c.IdentityFiles[1]);
        Assert.Equal(new[] { @"C:\Users\Jane Doe\.ssh\known_hosts", @"C:\Users\Jane Doe\.ssh\known_hosts2" }, c.KnownHostsFiles);
        // Unquoted, as ssh -G prints them: a word that cannot start a path continues the one before.
        Assert.Equal(new[] { @"C:\Users\Jane Doe\.ssh\known_hosts", "~/.ssh/known_hosts2" },
            SshConfigEvaluation.SplitPaths(@"C:\Users\Jane Doe\.ssh\known_hosts ~/.ssh/known_hosts2"));
        Assert.Equal(@"C:\Users\Jane Doe\.ssh\known_hosts", SshConfigEvaluation.ExpandHome(@"~\.ssh\known_hosts", home));
        Assert.Equal(@"C:\Users\Jane Doe\.ssh\known_hosts", SshConfigEvaluation.Defaults("h", null, null, null, home).KnownHostsFiles[0]);

        // A known_hosts saved by a Windows editor (CRLF, no final newline): read, and appended to on a line of its own.
        var key = Blob("ssh-ed25519", 3);
        var file = Path.Combine(_dir, "known_hosts");
        File.WriteAllText(file, $"[10.0.0.5]:2200 ssh-ed25519 {Convert.ToBase64String(key)}\r\n# last line\r\nold ssh-rsa AAAA");
        Assert.Equal(HostKeyStatus.Known, KnownHosts.Check(new[] { file }, "[10.0.0.5]:2200", key).Status);
        KnownHosts.Append(file, "new", key);
        Assert.Equal(HostKeyStatus.Known, KnownHosts.Check(new[] { file }, "new", key).Status);
        Assert.EndsWith($"\nnew ssh-ed25519 {Convert.ToBase64String(key)}\n", File.ReadAllText(file));
        // A file that does not exist yet (a fresh Windows profile) is created with its folder.
        var fresh = Path.Combine(_dir, ".ssh", "known_hosts");
        KnownHosts.Append(fresh, "n", key);
        Assert.Equal(HostKeyStatus.Known, KnownHosts.Check(new[] { fresh, Path.Combine(_dir, "missing") }, "n", key).Status);
    }

    [Fact]
    public void RevokedWinsAndCertAuthorityAloneIsReported()
    {
        var key = Blob("ssh-ed25519", 4);
        var b64 = Convert.ToBase64String(key);
        var file = Path.Combine(_dir, "kh");
        File.WriteAllText(file, $"n ssh-ed25519 {b64}\n@revoked n ssh-ed25519 {b64}\n");
        Assert.Equal(HostKeyStatus.Revoked, KnownHosts.Check(new[] { file }, "n", key).Status);
        File.WriteAllText(file, $"@cert-authority *.lab ssh-ed25519 {b64}\n");
        var v = KnownHosts.Check(new[] { file }, "n.lab", key);
        Assert.Equal((HostKeyStatus.Unknown, true), (v.Status, v.CertAuthorityOnly));
    }
}
