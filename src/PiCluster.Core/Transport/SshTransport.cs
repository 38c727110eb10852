using System;

namespace PiCluster.Transport;

/// <summary>Which SSH client carries a node's connection.</summary>
public enum SshTransport
{
    /// <summary>The system OpenSSH client, one ControlMaster per node (the default on Linux and macOS).</summary>
    OpenSsh,

    /// <summary>SSH.NET in process, one connection per node (the default on Windows, where ControlMaster does not work).</summary>
    SshNet,
}

/// <summary>Picking and naming transports.</summary>
public static class SshTransports
{
    /// <summary>The default of this platform: SSH.NET on Windows (Win32-OpenSSH has no ControlMaster), OpenSSH elsewhere.</summary>
    public static SshTransport PlatformDefault => OperatingSystem.IsWindows() ? SshTransport.SshNet : SshTransport.OpenSsh;

    /// <summary>The transport for a node: the run's choice (-SshTransport), else the node's (cluster file), else the platform's.</summary>
    public static SshTransport For(Engine.PiNode node, ConnectOptions options) =>
        options.Transport ?? node.Transport ?? PlatformDefault;

    /// <summary>Reads "openssh" / "sshnet" (any case); null when it is neither.</summary>
    public static SshTransport? Parse(string? text) =>
        string.Equals(text, "openssh", StringComparison.OrdinalIgnoreCase) ? SshTransport.OpenSsh
        : string.Equals(text, "sshnet", StringComparison.OrdinalIgnoreCase) ? SshTransport.SshNet
        : null;
}
