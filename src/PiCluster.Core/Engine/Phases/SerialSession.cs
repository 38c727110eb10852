using System;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine.Phases;

/// <summary>
/// A node's session whose commands take turns: the leader's session serves its own phases and, through
/// <see cref="PhaseContext.LeaderSession"/>, phases running on other nodes at the same time.
/// </summary>
internal sealed class SerialSession : INodeSession
{
    private readonly INodeSession _inner;
    private readonly SemaphoreSlim _turn = new(1, 1);

    public SerialSession(INodeSession inner) => _inner = inner;

    public PiNode Node => _inner.Node;

    public int RoundTrips => _inner.RoundTrips;

    public int Connections => _inner.Connections;

    public Func<CommandRunner, CancellationToken, Task>? AfterImplicitReconnect
    {
        get => _inner.AfterImplicitReconnect;
        set => _inner.AfterImplicitReconnect = value;
    }

    public async Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await _inner.RunAsync(command, cancellationToken).ConfigureAwait(false); }
        finally { _turn.Release(); }
    }

    public async Task ReconnectAsync(TimeSpan timeout, bool requireNewBoot, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { await _inner.ReconnectAsync(timeout, requireNewBoot, cancellationToken).ConfigureAwait(false); }
        finally { _turn.Release(); }
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
