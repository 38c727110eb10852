namespace PiCluster.Engine;

/// <summary>
/// Why a node failed. The module maps each kind to a stable ErrorRecord id (the enum name, e.g. <c>NodeUnreachable</c>)
/// and a PowerShell error category, with the node as target object.
/// </summary>
public enum NodeErrorKind
{
    /// <summary>SSH could not connect (network, DNS, refused, timed out). Category: ConnectionError.</summary>
    NodeUnreachable,

    /// <summary>The node's host key is unknown and -AcceptNewHostKey was not given. Category: SecurityError.</summary>
    HostKeyUnknown,

    /// <summary>The node's host key differs from known_hosts. Category: SecurityError.</summary>
    HostKeyChanged,

    /// <summary>
    /// The node's ssh_config file would run a command on this machine (ProxyCommand, LocalCommand, KnownHostsCommand,
    /// PermitLocalCommand, Match exec) without -AllowSshConfigCommands, or makes -AcceptNewHostKey record keys nowhere.
    /// Nothing was connected. Category: SecurityError.
    /// </summary>
    SshConfigUnsafe,

    /// <summary>Authentication failed (key, agent, user). Category: AuthenticationError.</summary>
    AuthenticationFailed,

    /// <summary>sudo needs a password that was not given, or the given one is wrong. Category: PermissionDenied.</summary>
    SudoFailed,

    /// <summary>Another PiCluster run holds the node's lock. Category: ResourceBusy.</summary>
    NodeLocked,

    /// <summary>A remote command of a step failed. Category: InvalidResult.</summary>
    StepFailed,

    /// <summary>A wait (reboot, lock, clock sync) ran out of time. Category: OperationTimeout.</summary>
    Timeout,

    /// <summary>The node is not in a state the step can work from. Category: InvalidOperation.</summary>
    InvalidNodeState,

    /// <summary>A file system on the node has no room for a file PiCluster would write (and its backup); nothing was written. Category: ResourceUnavailable.</summary>
    NodeDiskFull,

    /// <summary><c>kubeadm init</c> failed (its error lines, redacted, are in the message); the node was reset. Category: InvalidResult.</summary>
    KubeadmInitFailed,

    /// <summary>The pod or service subnet overlaps a node's LAN address or network, or the CNI's pool; nothing was changed. Category: InvalidArgument.</summary>
    SubnetConflict,

    /// <summary>A CNI manifest's SHA-256 is unknown or differs from the expected one; nothing was applied. Category: SecurityError.</summary>
    ManifestUntrusted,

    /// <summary><c>kubeadm join</c> failed on a worker (its error lines, redacted, are in the message); the worker was reset. Category: InvalidResult.</summary>
    JoinFailed,

    /// <summary>A discovery CA pin does not match the cluster's CA: kubeadm join refused the API server, or the hash kubeadm printed is not the leader's ca.crt's. Category: SecurityError.</summary>
    CaPinRefused,

    /// <summary>The API server could not be reached (connection refused, i/o timeout); a joining worker was reset. Category: ConnectionError.</summary>
    ApiUnreachable,

    /// <summary>A joined node did not become Ready in the time given; it stays joined. Category: OperationTimeout.</summary>
    NodeNotReady,
}
