using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// A run's hold on one node's lock: renews the lease from the client once <see cref="NodeLock.RenewEvery"/> (half the
/// lease) has passed since it last did (while a command runs, the node side renews it too), takes the lock again on
/// every new connection, and remembers when the lock was lost to another run, so that no later command runs
/// (<see cref="ThrowIfLost"/>). A run done within half the lease (a converged one) spends no round trip on renewals.
/// </summary>
internal sealed class NodeLease
{
    private readonly NodeLock _lock;
    private readonly INodeSession _session;
    private readonly INodeSession _quiet;
    private readonly CancellationTokenSource _stop = new();
    private Task _renewing = Task.CompletedTask;
    private NodeException? _lost;
    private long _renewedAt = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>A hold through <paramref name="session"/>; renewals go through <paramref name="quiet"/> (no -Verbose line each time).</summary>
    public NodeLease(NodeLock runLock, INodeSession session, INodeSession quiet)
    {
        _lock = runLock;
        _session = session;
        _quiet = quiet;
    }

    /// <summary>Takes the lock, then keeps it: renewals, and the lock taken again on any new connection.</summary>
    public async Task AcquireAsync(CancellationToken cancellation)
    {
        await _lock.AcquireAsync(_session.Node, _session.RunAsync, allowTakeOver: true, cancellation).ConfigureAwait(false);
        Interlocked.Exchange(ref _renewedAt, System.Diagnostics.Stopwatch.GetTimestamp());
        _session.AfterImplicitReconnect = async (run, token) =>
        {
            try { await _lock.AcquireAsync(_session.Node, run, allowTakeOver: false, token).ConfigureAwait(false); }
            catch (NodeException e) when (e.Kind == NodeErrorKind.NodeLocked) { Lose(e); throw; }
        };
        _renewing = RenewAsync(_stop.Token);
    }

    /// <summary>Takes the lock again after an explicit reconnect (a reboot empties /run/lock).</summary>
    public async Task AcquireAgainAsync(INodeSession session, CancellationToken cancellation)
    {
        try { await _lock.AcquireAsync(session.Node, session.RunAsync, allowTakeOver: false, cancellation).ConfigureAwait(false); }
        catch (NodeException e) when (e.Kind == NodeErrorKind.NodeLocked) { Lose(e); throw; }
    }

    /// <summary>Throws the NodeLocked failure once another run has the lock.</summary>
    public void ThrowIfLost()
    {
        var lost = Volatile.Read(ref _lost);
        if (lost is not null) throw new NodeException(lost.Kind, lost.Message, lost);
    }

    /// <summary>Stops renewing (before the lock is released, so no renewal can take it back).</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
        _session.AfterImplicitReconnect = null;
        try { await _renewing.ConfigureAwait(false); }
        catch (OperationCanceledException) { /* stopped while waiting */ }
    }

    /// <summary>Stops renewing and releases the lock.</summary>
    public async Task ReleaseAsync(CancellationToken cancellation)
    {
        await StopAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _lost) is null) await _lock.ReleaseAsync(_session, cancellation).ConfigureAwait(false);
    }

    private void Lose(NodeException e) => Interlocked.CompareExchange(ref _lost, e, null);

    private async Task RenewAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested && Volatile.Read(ref _lost) is null)
        {
            await Task.Delay(TimeSpan.FromTicks(_lock.RenewEvery.Ticks / 4), stop).ConfigureAwait(false);
            if (System.Diagnostics.Stopwatch.GetElapsedTime(Interlocked.Read(ref _renewedAt)) < _lock.RenewEvery) continue;
            try
            {
                await _lock.AcquireAsync(_quiet.Node, _quiet.RunAsync, allowTakeOver: false, stop).ConfigureAwait(false);
                Interlocked.Exchange(ref _renewedAt, System.Diagnostics.Stopwatch.GetTimestamp());
            }
            catch (NodeException e) when (e.Kind == NodeErrorKind.NodeLocked) { Lose(e); }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (ObjectDisposedException) { return; }
            // Unreachable for now, or anything else: the next command reconnects and takes the lock again, or fails.
            catch (Exception e) when (e is NodeException or InvalidOperationException or IOException) { }
        }
    }
}
