using System;
using PiCluster.Clusters;

namespace PiCluster.Engine;

/// <summary>
/// A node as PiCluster addresses it: where SSH reaches it and what it is in the cluster.
/// Immutable, so one object can flow through a pipeline and be used by parallel steps safely.
/// </summary>
public sealed class PiNode
{
    /// <summary>Creates a node; every value must keep the rules of <see cref="ValueRules"/>, whatever it came from.</summary>
    /// <exception cref="ArgumentException">A value breaks its rule; the message says which and what to do, ParamName names it.</exception>
    public PiNode(string name, string address, NodeRole role = NodeRole.Worker, string? user = null, int? port = null,
        string? identityFile = null, string? configFile = null, string? lanAddress = null, ClusterDefinition? cluster = null,
        PiCluster.Transport.SshTransport? transport = null)
    {
        Require(nameof(name), ValueRules.NodeName(name));
        Require(nameof(address), ValueRules.Address(address));
        if (user is not null) Require(nameof(user), ValueRules.SshUser(user));
        if (port is { } p) Require(nameof(port), ValueRules.Port(p));
        if (identityFile is not null) Require(nameof(identityFile), ValueRules.FilePath(identityFile));
        if (configFile is not null) Require(nameof(configFile), ValueRules.FilePath(configFile));
        // A LanAddress equal to Address is the default coming back (a node rebuilt after Import-Clixml), not a choice.
        if (!string.IsNullOrEmpty(lanAddress) && lanAddress != address) Require(nameof(lanAddress), ValueRules.LanAddress(lanAddress!));
        if (!Enum.IsDefined(typeof(NodeRole), role)) throw new ArgumentException($"Role {(int)role} is not a node role: choose ControlPlane or Worker.", nameof(role));
        Name = name;
        Address = address;
        Role = role;
        User = user;
        Port = port;
        IdentityFile = identityFile;
        ConfigFile = configFile;
        LanAddress = string.IsNullOrEmpty(lanAddress) ? address : lanAddress!;
        Cluster = cluster;
        Transport = transport;
    }

    /// <summary>The node's name (its hostname once prepared).</summary>
    public string Name { get; }

    /// <summary>Where SSH reaches the node.</summary>
    public string Address { get; }

    /// <summary>SSH port; null leaves it to ssh_config (default 22).</summary>
    public int? Port { get; }

    /// <summary>Login user; null leaves it to ssh_config.</summary>
    public string? User { get; }

    /// <summary>Private key file; null leaves it to ssh_config and the agent.</summary>
    public string? IdentityFile { get; }

    /// <summary>An ssh_config file to use; null uses the user's.</summary>
    public string? ConfigFile { get; }

    /// <summary>The SSH transport the cluster file chose for the node (ssh.transport); null leaves it to the run and the platform.</summary>
    public PiCluster.Transport.SshTransport? Transport { get; }

    /// <summary>The transport the node uses unless a run's -SshTransport says otherwise: its own, else the platform's default.</summary>
    public string TransportName => (Transport ?? PiCluster.Transport.SshTransports.PlatformDefault).ToString();

    /// <summary>The node's static LAN address (defaults to <see cref="Address"/>).</summary>
    public string LanAddress { get; }

    /// <summary>Control plane or worker.</summary>
    public NodeRole Role { get; }

    /// <summary>The cluster the node was read from, if any: steps use it for cluster-wide settings and the other nodes.</summary>
    public ClusterDefinition? Cluster { get; }

    /// <summary>A stable key for the SSH endpoint, used to spot two nodes that are really one.</summary>
    public string Endpoint => $"{User ?? ""}@{Address}:{Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "22"}";

    /// <inheritdoc />
    public override string ToString() => Name;

    private static void Require(string parameter, string? problem)
    {
        if (problem is not null)
            throw new ArgumentException(problem, parameter);
    }
}
