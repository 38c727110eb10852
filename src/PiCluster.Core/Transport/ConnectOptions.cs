using System;
using System.Security;

namespace PiCluster.Transport;

/// <summary>How to connect to nodes in one run.</summary>
public sealed class ConnectOptions
{
    /// <summary>Accept and record a host key that known_hosts does not have yet. A changed key is always refused.</summary>
    public bool AcceptNewHostKey { get; set; }

    /// <summary>
    /// Allow a node's own ssh_config file (<see cref="Engine.PiNode.ConfigFile"/>) to run commands on this machine:
    /// ProxyCommand, LocalCommand, KnownHostsCommand, PermitLocalCommand yes and Match exec. Refused otherwise, before
    /// anything connects (see <see cref="SshConfigCheck"/>).
    /// </summary>
    public bool AllowSshConfigCommands { get; set; }

    /// <summary>The sudo password, when sudo on the nodes asks for one. Fed on stdin, never on a command line.</summary>
    public SecureString? SudoPassword { get; set; }

    /// <summary>
    /// The passphrase of the identity files (SSH.NET transport; the OpenSSH client asks ssh-agent instead). Never logged.
    /// </summary>
    public SecureString? KeyPassphrase { get; set; }

    /// <summary>The transport for every node of the run (-SshTransport); null lets each node's setting or the platform decide.</summary>
    public SshTransport? Transport { get; set; }

    /// <summary>How long to wait for a connection.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Default limit for one remote command.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A copy with another connect timeout.</summary>
    public ConnectOptions WithConnectTimeout(TimeSpan connectTimeout) => new()
    {
        AcceptNewHostKey = AcceptNewHostKey,
        AllowSshConfigCommands = AllowSshConfigCommands,
        SudoPassword = SudoPassword,
        KeyPassphrase = KeyPassphrase,
        Transport = Transport,
        ConnectTimeout = connectTimeout,
        CommandTimeout = CommandTimeout,
    };
}
