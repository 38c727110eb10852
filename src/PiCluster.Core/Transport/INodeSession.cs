using System;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>One connection to one node for one run. Commands on it are serialised.</summary>
public interface INodeSession : IAsyncDisposable
{
    /// <summary>The node.</summary>
    PiNode Node { get; }

    /// <summary>How many round trips (commands) this session has made; tests use it to prove batching.</summary>
    int RoundTrips { get; }

    /// <summary>How many SSH connections this session has opened: one, plus one per reconnect.</summary>
    int Connections { get; }

    /// <summary>Runs a command. Throws <see cref="NodeException"/> when the node cannot be reached.</summary>
    Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken);

    /// <summary>Waits for the node to answer again (after a reboot) and reopens the connection.</summary>
    Task ReconnectAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
