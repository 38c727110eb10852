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
        var session = new SshNetSession(node, options, RunScope.CreateRedactor(options));
        try
        {
            await session.ConnectAsync(options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
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
