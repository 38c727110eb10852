namespace PiCluster.Transport;

/// <summary>
/// What both real transports tell about their connection, beyond <see cref="INodeSession"/>. A connection either
/// opens by itself (one that ended between commands) is followed by <see cref="INodeSession.AfterImplicitReconnect"/>,
/// with which the run takes its lock again; both raise <see cref="INodeSession.Connections"/>.
/// </summary>
public interface ITransportSession : INodeSession
{
    /// <summary>The transport.</summary>
    SshTransport Transport { get; }

    /// <summary>The node's boot id as last seen, or null before the first command.</summary>
    string? BootId { get; }
}
