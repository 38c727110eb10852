using System;
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
        ConnectTimeout = TimeSpan.FromSeconds(5),
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
