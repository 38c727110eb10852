using System;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>Wraps a session so that each remote command shows as one redacted -Verbose line.</summary>
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

    /// <summary>The wrapped session.</summary>
    public INodeSession Inner => _inner;

    public PiNode Node => _inner.Node;

    public int RoundTrips => _inner.RoundTrips;

    public int Connections => _inner.Connections;

    public Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken)
    {
        _verbose($"{Node.Name}: {CommandSummary.Describe(command, _redactor)}");
        return _inner.RunAsync(command, cancellationToken);
    }

    public async Task ReconnectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _verbose($"{Node.Name}: waiting up to {timeout.TotalSeconds:0} s for SSH to answer again");
        await _inner.ReconnectAsync(timeout, cancellationToken).ConfigureAwait(false);
        if (AfterReconnect is not null) await AfterReconnect(this, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
