using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

/// <summary>
/// The sudo plumbing of the bootstrap against a throwaway sshd and a stand-in sudo (see
/// <see cref="SshServer.StartWithFakeSudo"/>): where the password travels and that it is never run as a command.
/// Real sudo (and stopping root work) is covered by the lab tests.
/// </summary>
[Trait("Category", "Ssh")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SudoOverSshTests
{
    private static ConnectOptions Options(string? password) => new()
    {
        ConnectTimeout = Transports.LoopbackConnectTimeout,
        SudoPassword = password is null ? null : Secure(password),
    };

    private static SecureString Secure(string text)
    {
        var s = new SecureString();
        foreach (var c in text) s.AppendChar(c);
        return s;
    }

    private static async Task<INodeSession> Open(SshTransport transport, SshServer server, string? password)
    {
        server.TrustHostKey();
        return await Transports.Connector(transport).OpenAsync(server.Node(), Options(password), CancellationToken.None);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task APasswordGivenToASudoThatDoesNotAskIsSkippedNeverExecuted(SshTransport transport)
    {
        using var server = SshServer.StartWithFakeSudo("nopasswd");
        var executed = Path.Combine(server.Directory, "executed");
        await using var session = await Open(transport, server, "x;touch${IFS}" + executed);
        var r = await session.RunAsync(new RemoteCommand("echo root; cat", asRoot: true, input: "in\n"), default);
        Assert.Equal(("root\nin\n", ""), (r.Stdout, r.Stderr));
        Assert.False(File.Exists(executed));
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task ThePasswordReachesSudoOnStdinAndIsOnNoCommandLine(SshTransport transport)
    {
        const string password = "Pw-4711-secret";
        using var server = SshServer.StartWithFakeSudo("password:" + password);
        await using var session = await Open(transport, server, password);
        var run = session.RunAsync(new RemoteCommand("sleep 2; echo root; cat", asRoot: true, input: "in\n"), default);
        await Task.Delay(1000);
        Assert.DoesNotContain(OpenSshTransportTests.CommandLines(), l => l.Contains(password));
        var r = await run;
        Assert.Equal(("root\nin\n", ""), (r.Stdout, r.Stderr));
        Assert.Equal(0, (await session.RunAsync(new RemoteCommand("true", asRoot: true), default)).ExitCode);
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task ThePasswordIsInNoProcessEnvironmentAndNoFileWhileAndAfterSudoRuns(SshTransport transport)
    {
        var password = "Pw-" + Guid.NewGuid().ToString("N");
        var started = DateTime.UtcNow.AddSeconds(-1);
        using var server = SshServer.StartWithFakeSudo("password:" + password);
        await using (var session = await Open(transport, server, password))
        {
            var run = session.RunAsync(new RemoteCommand("sleep 2; echo root", asRoot: true), default);
            await Task.Delay(1000);
            // The stand-in sudo learns the right password from its environment (FAKE_SUDO_MODE); nothing else may hold it.
            Assert.DoesNotContain(Environments(), e => e.Contains(password));
            Assert.Equal("root\n", (await run).Stdout);
        }
        // Neither the node's side (the server's home) nor this machine's temporary folders got a file that holds it.
        var written = new[] { "/tmp", Path.GetTempPath().TrimEnd('/') }.Distinct().SelectMany(root => FilesWrittenSince(started, root))
            .Where(f => Path.GetFileName(f) != "sshd_config").Distinct().ToList();
        Assert.Contains(written, f => f.StartsWith(server.Directory, StringComparison.Ordinal)); // we did look
        Assert.DoesNotContain(written, f => Contains(f, password));
    }

    // Every readable process environment, without the stand-in sudo's own setting.
    private static string[] Environments() => Directory.GetDirectories("/proc")
        .Select(d => { try { return File.ReadAllText(Path.Combine(d, "environ")); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; } })
        .Select(e => string.Join("\0", e.Split('\0').Where(v => !v.StartsWith("FAKE_SUDO_MODE=", StringComparison.Ordinal))))
        .Where(e => e.Length > 0).ToArray();

    // Regular files only (find -type f): reading a FIFO that some other process left in /tmp would block for ever.
    private static IEnumerable<string> FilesWrittenSince(DateTime since, string root)
    {
        var find = new System.Diagnostics.ProcessStartInfo("find")
        {
            ArgumentList = { root, "-xdev", "-maxdepth", "4", "-type", "f", "-size", "-1024k", "-newermt",
                since.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + " UTC" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = System.Diagnostics.Process.Start(find)!;
        _ = process.StandardError.ReadToEndAsync();
        var files = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        return files;
    }

    private static bool Contains(string file, string text)
    {
        try { return File.ReadAllText(file).Contains(text, StringComparison.Ordinal); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    [Theory]
    [InlineData(null, "needs a password", SshTransport.OpenSsh)]
    [InlineData("wrong-one", "refused the given password", SshTransport.OpenSsh)]
    [InlineData(null, "needs a password", SshTransport.SshNet)]
    [InlineData("wrong-one", "refused the given password", SshTransport.SshNet)]
    public async Task AMissingOrWrongPasswordIsSudoFailed(string? given, string message, SshTransport transport)
    {
        using var server = SshServer.StartWithFakeSudo("password:right-one");
        await using var session = await Open(transport, server, given);
        var e = await Assert.ThrowsAsync<NodeException>(() => session.RunAsync(new RemoteCommand("echo root", asRoot: true), default));
        Assert.Equal(NodeErrorKind.SudoFailed, e.Kind);
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain("wrong-one", e.Message);
        Assert.Equal("user\n", (await session.RunAsync(new RemoteCommand("echo user"), default)).Stdout); // without sudo all is well
    }
}
