using System;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>
/// Connects to nodes with SSH.NET in process (no ssh process per command, and it works on Windows). The node's
/// ssh_config is evaluated with <c>ssh -G</c> where an ssh client exists, so both transports see the same settings; host
/// keys are checked as strictly as OpenSSH does, against the same known_hosts files.
/// </summary>
public sealed class SshNetConnector : INodeConnector
{
    /// <inheritdoc />
    public async Task<INodeSession> OpenAsync(PiNode node, ConnectOptions options, CancellationToken cancellationToken)
    {
        if (node is null) throw new ArgumentNullException(nameof(node));
        if (options is null) throw new ArgumentNullException(nameof(options));
        // Before anything connects, as for OpenSSH: the node's own config file may name commands to run here, and ssh -G
        // (which SshNetSession evaluates) would run Match exec (see SshConfigCheck).
        SshConfigCheck? config = null;
        try { config = await SshConfigCheck.EvaluateAsync(node, options, cancellationToken).ConfigureAwait(false); }
        catch (InvalidOperationException) { SshConfigCheck.RefuseMatchExec(node, options); } // no ssh client here
        var session = new SshNetSession(node, options, RunScope.CreateRedactor(options));
        try
        {
            await session.ConnectAsync(options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            // As for OpenSSH: an accepted key must really be recorded, or it would not be checked next time.
            if (options.AcceptNewHostKey && config is not null)
            {
                try { await config.EnsureKeyRecordedAsync(node, cancellationToken).ConfigureAwait(false); }
                catch (InvalidOperationException) { /* no ssh-keygen: KnownHosts.Append wrote it or threw */ }
            }
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

/// <summary>
/// The production connector: per node, the transport that -SshTransport, the cluster file's ssh.transport or the
/// platform chooses (<see cref="SshTransports.For"/>).
/// </summary>
public sealed class TransportConnector : INodeConnector
{
    private readonly OpenSshConnector _openSsh = new();
    private readonly SshNetConnector _sshNet = new();

    /// <inheritdoc />
    public Task<INodeSession> OpenAsync(PiNode node, ConnectOptions options, CancellationToken cancellationToken)
    {
        if (node is null) throw new ArgumentNullException(nameof(node));
        if (options is null) throw new ArgumentNullException(nameof(options));
        return SshTransports.For(node, options) == SshTransport.SshNet
            ? _sshNet.OpenAsync(node, options, cancellationToken)
            : _openSsh.OpenAsync(node, options, cancellationToken);
    }
}
