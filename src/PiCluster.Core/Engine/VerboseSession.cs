using System;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// Wraps a session so that each remote command shows as one redacted -Verbose line, and, in a run that holds the node's
/// lock, so that no command runs once the lock is lost.
/// </summary>
internal sealed class VerboseSession : INodeSession
{
    private readonly INodeSession _inner;
    private readonly Action<string> _verbose;
    private readonly Redactor _redactor;

    public VerboseSession(INodeSession inner, Action<string> verbose, Redactor redactor)
    {
        _inner = inner;
        _verbose = verbose;
        _redactor = redactor;
    }

    /// <summary>Runs after every reconnect, e.g. to take the run lock again (/run/lock does not survive a reboot).</summary>
    public Func<INodeSession, CancellationToken, Task>? AfterReconnect { get; set; }

    /// <summary>The run's hold on the node's lock, if it has one: every command first checks that it is not lost.</summary>
    public NodeLease? Lease { get; set; }

    /// <summary>The wrapped session.</summary>
    public INodeSession Inner => _inner;

    public PiNode Node => _inner.Node;

    public int RoundTrips => _inner.RoundTrips;

    public int Connections => _inner.Connections;

    public Func<CommandRunner, CancellationToken, Task>? AfterImplicitReconnect
    {
        get => _inner.AfterImplicitReconnect;
        set => _inner.AfterImplicitReconnect = value;
    }

    public Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken)
    {
        Lease?.ThrowIfLost();
        _verbose($"{Node.Name}: {CommandSummary.Describe(command, _redactor)}");
        return _inner.RunAsync(command, cancellationToken);
    }

    public async Task ReconnectAsync(TimeSpan timeout, bool requireNewBoot, CancellationToken cancellationToken)
    {
        _verbose($"{Node.Name}: waiting up to {timeout.TotalSeconds:0} s for SSH to answer again");
        await _inner.ReconnectAsync(timeout, requireNewBoot, cancellationToken).ConfigureAwait(false);
        if (AfterReconnect is not null) await AfterReconnect(this, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Lease is not null) await Lease.StopAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
    }
}
