using System;
using System.Linq;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Checks;
using PiCluster.Engine;
using PiCluster.Tests.Fakes;
using PiCluster.Tests.Transport;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Lab;

/// <summary>Both transports (OpenSSH, SSH.NET) against the lab's VMs: host keys, sudo with and without a password, stopping remote work.</summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class TransportLabTests(LabFixture lab)
{
    private static SecureString Secure(string text)
    {
        var s = new SecureString();
        foreach (var c in text) s.AppendChar(c);
        return s;
    }

    private static ConnectOptions Options(string? password = null, bool acceptNew = false) =>
        new() { SudoPassword = password is null ? null : Secure(password), AcceptNewHostKey = acceptNew, ConnectTimeout = TimeSpan.FromSeconds(20) };

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task A_rekeyed_node_is_refused_even_with_AcceptNewHostKey(SshTransport transport)
    {
        await lab.ResetAsync("node2");
        Assert.Equal(0, (await lab.LabAsync("rekey", "node2")).Exit);
        try
        {
            foreach (var acceptNew in new[] { false, true })
            {
                var e = await Assert.ThrowsAsync<NodeException>(() => Transports.Connector(transport).OpenAsync(lab.Node("node2"), Options(acceptNew: acceptNew), default));
                Assert.Equal(NodeErrorKind.HostKeyChanged, e.Kind);
            }
        }
        finally { await lab.ResetAsync("node2"); }
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task Sudo_works_with_and_without_a_password_and_the_password_is_never_executed_or_shown(SshTransport transport)
    {
        const string password = "Lab-sudo-pw-7f3a";
        await lab.ResetAsync("node2");
        var node = lab.Node("node2");
        var whoami = new RemoteCommand("id -u; cat", asRoot: true, input: "input-line\n");

        // Passwordless sudo and a password given anyway: sudo does not ask, and the password line is skipped, not run.
        await using (var s = await Transports.Connector(transport).OpenAsync(node, Options(password), default))
        {
            var r = await s.RunAsync(whoami, default);
            Assert.Equal(("0\ninput-line\n", ""), (r.Stdout, r.Stderr));
        }

        Assert.Equal(0, (await lab.LabAsync("sudo-password", "node2", password)).Exit);
        try
        {
            await using (var s = await Transports.Connector(transport).OpenAsync(node, Options(), default))
            {
                var e = await Assert.ThrowsAsync<NodeException>(() => s.RunAsync(whoami, default));
                Assert.Equal(NodeErrorKind.SudoFailed, e.Kind);
                Assert.Contains("-Credential", e.Message);
                Assert.Equal("1000\n", (await s.RunAsync(new RemoteCommand("id -u"), default)).Stdout); // not as root: no sudo needed
            }
            await using (var s = await Transports.Connector(transport).OpenAsync(node, Options("wrong-password"), default))
            {
                var e = await Assert.ThrowsAsync<NodeException>(() => s.RunAsync(whoami, default));
                Assert.Equal(NodeErrorKind.SudoFailed, e.Kind);
                Assert.DoesNotContain("wrong-password", e.Message);
            }
            var host = new RecordingRunHost();
            new AdHocCommandRunner(Transports.Connector(transport), new RunOptions { Connect = Options(password) })
                .Run(new[] { node }, whoami, host, CancellationToken.None);
            var output = Assert.Single(host.Output<CommandOutput>());
            Assert.Equal("0\ninput-line\n", output.Output);
            Assert.DoesNotContain(host.Verbose, v => v.Contains(password));
            // Preflight's sudo check, without and with the credential.
            foreach (var (given, passes) in new[] { ((string?)null, false), (password, true) })
            {
                var h = new RecordingRunHost();
                new PreflightRunner(Transports.Connector(transport), new RunOptions { Connect = Options(given) }).Run(new[] { node }, h, CancellationToken.None);
                Assert.Equal(passes, h.Output<CheckResult>().Single(r => r.Check == CheckNames.Sudo).Passed);
            }
            // Nothing of the password in the node's journal (sudo logs command lines).
            var journal = await lab.SshAsync("node2", $"echo {password} | sudo -S -p '' journalctl -b --no-pager | grep -c -- '{password}' || true");
            Assert.Equal("0", journal.Out.Trim());
        }
        finally { await lab.ResetAsync("node2"); }
    }

    [Theory]
    [MemberData(nameof(Transports.Both), MemberType = typeof(Transports))]
    public async Task Cancelling_a_sudo_command_stops_it_on_the_node(SshTransport transport)
    {
        await lab.ResetAsync("node1");
        await using var s = await Transports.Connector(transport).OpenAsync(lab.Node("node1"), Options(), default);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s.RunAsync(new RemoteCommand("sleep 4242; echo never", asRoot: true), cts.Token));
        await Task.Delay(2000);
        var left = await s.RunAsync(new RemoteCommand("pgrep -fc 'sleep 4242' || true"), default);
        Assert.Equal("0\n", left.Stdout);
        Assert.Equal(1, ((ITransportSession)s).Connections);
    }

    // Reconnecting across a reboot (a new boot id required) is exercised on the lab by both transports without a reboot of
    // its own here: NodePrepLabTests restarts node1 and the GRUB node over OpenSSH, and DeployLabTests prepares node5 from
    // fresh over SSH.NET, its reboot included. Each reboot costs CI minutes under emulation.
}
