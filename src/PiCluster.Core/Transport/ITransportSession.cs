namespace PiCluster.Transport;

/// <summary>
/// What both real transports tell about their connection. A reconnect (explicit, or implicit when a connection ended
/// between commands) raises <see cref="Connections"/>: the engine compares it to re-take the run lock, whose holder is
/// the connection.
/// </summary>
public interface ITransportSession : INodeSession
{
    /// <summary>The transport.</summary>
    SshTransport Transport { get; }

    /// <summary>How many SSH connections this session has opened: one, plus one per reconnect.</summary>
    int Connections { get; }

    /// <summary>The node's boot id as last seen, or null before the first command.</summary>
    string? BootId { get; }
}
