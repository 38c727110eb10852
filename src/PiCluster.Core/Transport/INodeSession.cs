using System;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>Runs one command on a session's current connection (given to <see cref="INodeSession.AfterImplicitReconnect"/>).</summary>
public delegate Task<CommandResult> CommandRunner(RemoteCommand command, CancellationToken cancellation);

/// <summary>One connection to one node for one run. Commands on it are serialised.</summary>
public interface INodeSession : IAsyncDisposable
{
    /// <summary>The node.</summary>
    PiNode Node { get; }

    /// <summary>How many round trips (commands) this session has made; tests use it to prove batching.</summary>
    int RoundTrips { get; }

    /// <summary>How many SSH connections this session has opened: one, plus one per reconnect.</summary>
    int Connections { get; }

    /// <summary>
    /// What must happen on a new connection that the session opened by itself because the old one was lost (a network
    /// blip, an SSH master that ended), before the command that needed it runs: the run takes its lock again
    /// (Engine/NodeLock). It runs its commands through the given runner, on the new connection. If it throws, the
    /// command fails with that exception, the connection is dropped, and the next command tries again. A transport that
    /// reconnects on its own must call it; <see cref="ReconnectAsync"/> does not (its caller takes care of that).
    /// </summary>
    Func<CommandRunner, CancellationToken, Task>? AfterImplicitReconnect { get; set; }

    /// <summary>Runs a command. Throws <see cref="NodeException"/> when the node cannot be reached.</summary>
    Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken);

    /// <summary>
    /// Closes the connection and waits until the node answers over SSH again, then reopens it. With
    /// <paramref name="requireNewBoot"/> (after a reboot) it waits for an answer from a new boot: a node that has not
    /// gone down yet still answers with its old boot id. Without it (after a dropped connection, e.g. while the network
    /// is reconfigured) any answer will do.
    /// </summary>
    Task ReconnectAsync(TimeSpan timeout, bool requireNewBoot, CancellationToken cancellationToken);
}
