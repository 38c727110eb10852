using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>
/// Connects to nodes with the system OpenSSH client, honouring the user's ssh_config (or the node's config file),
/// ssh-agent, key files and known_hosts. Host keys are checked strictly unless <see cref="ConnectOptions.AcceptNewHostKey"/>
/// allows recording a new one (checked afterwards to be in known_hosts); a changed key is always refused. A node's own
/// config file is checked with <see cref="SshConfigCheck"/> first.
/// </summary>
public sealed class OpenSshConnector : INodeConnector
{
    // Unix socket paths may be at most 104 bytes on some systems (108 on Linux); a long TMPDIR falls back to /tmp.
    private const int MaxSocketPath = 100;

    /// <inheritdoc />
    public async Task<INodeSession> OpenAsync(PiNode node, ConnectOptions options, CancellationToken cancellationToken)
    {
        if (node is null) throw new ArgumentNullException(nameof(node));
        if (options is null) throw new ArgumentNullException(nameof(options));
        // Before anything connects: a node's own config file may name commands to run here (see SshConfigCheck).
        var config = await SshConfigCheck.EvaluateAsync(node, options, cancellationToken).ConfigureAwait(false);
        var session = new OpenSshSession(node, options, CreatePrivateDirectory(), RunScope.CreateRedactor(options), config);
        try
        {
            await session.ConnectAsync(options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            if (options.AcceptNewHostKey) await config.EnsureKeyRecordedAsync(node, cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A new folder only this user can enter, for one ControlMaster socket.</summary>
    internal static string CreatePrivateDirectory()
    {
        var root = Path.GetTempPath();
        if (root.Length > MaxSocketPath - 20) root = "/tmp";
        var path = Path.Combine(root, "pc-" + Guid.NewGuid().ToString("N").Substring(0, 10));
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
