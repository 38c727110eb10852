using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// What every runner needs for one run: the host pump, the redactor, opening sessions (one per node) with failures
/// turned into <see cref="NodeFailure"/>s, and closing them even when the run was cancelled.
/// </summary>
internal sealed class RunScope
{
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(15);
    private readonly INodeConnector _connector;

    public RunScope(INodeConnector connector, RunOptions options, HostPump pump)
    {
        _connector = connector;
        Options = options;
        Pump = pump;
        Redactor = CreateRedactor(options.Connect);
    }

    public RunOptions Options { get; }

    public HostPump Pump { get; }

    public Redactor Redactor { get; }

    /// <summary>A redactor that masks the run's sudo password besides the standard patterns.</summary>
    public static Redactor CreateRedactor(ConnectOptions options) =>
        new(options.SudoPassword is null ? null : new[] { new NetworkCredential("", options.SudoPassword).Password });

    /// <summary>Writes a verbose line through the pump, redacted.</summary>
    public void Verbose(string line) => Pump.Post(h => h.WriteVerbose(Redactor.Redact(line)));

    /// <summary>Reports a node's failure. Rethrows cancellation of the run: that is not the node's fault.</summary>
    public void Fail(PiNode node, string step, Exception error, CancellationToken cancellation)
    {
        if (error is OperationCanceledException && cancellation.IsCancellationRequested) throw error;
        Pump.Post(h => h.WriteFailure(ToFailure(node, step, error)));
    }

    /// <summary>Turns an exception from a step or the transport into a failure with a stable kind.</summary>
    public NodeFailure ToFailure(PiNode node, string step, Exception error)
    {
        var kind = error is NodeException ne ? ne.Kind : NodeErrorKind.StepFailed;
        var message = Redactor.Redact(error.Message);
        if (!message.StartsWith(node.Name + ":", StringComparison.Ordinal)) message = $"{node.Name}: {step}: {message}";
        return new NodeFailure(node, step, kind, message, error);
    }

    /// <summary>Opens the node's one session for this run; on failure reports it and returns null.</summary>
    public async Task<INodeSession?> OpenAsync(PiNode node, string step, CancellationToken cancellation)
    {
        try
        {
            Verbose($"{node.Name}: connecting to {node.Endpoint} with the {SshTransports.For(node, Options.Connect)} transport");
            var session = await _connector.OpenAsync(node, Options.Connect, cancellation).ConfigureAwait(false);
            return new VerboseSession(session, Verbose, Redactor);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            // Whatever went wrong before a connection existed, the node is not reachable for this run.
            Fail(node, step, e is NodeException ? e : new NodeException(NodeErrorKind.NodeUnreachable, e.Message, e), cancellation);
            return null;
        }
    }

    /// <summary>
    /// Runs <paramref name="cleanup"/> for each session and then closes it, in parallel, with a time limit of its own:
    /// this also runs after Ctrl+C, when the run's token is already cancelled.
    /// </summary>
    public async Task CloseAllAsync(IEnumerable<INodeSession> sessions, Func<INodeSession, CancellationToken, Task>? cleanup = null)
    {
        using var limit = new CancellationTokenSource(CleanupTimeout);
        await Task.WhenAll(sessions.Select(async s =>
        {
            try { if (cleanup is not null) await cleanup(s, limit.Token).ConfigureAwait(false); }
            catch (Exception e) { Verbose($"{s.Node.Name}: cleanup failed: {e.Message}"); }
            try { await s.DisposeAsync().ConfigureAwait(false); }
            catch (Exception e) { Verbose($"{s.Node.Name}: closing the connection failed: {e.Message}"); }
        }).ToList()).ConfigureAwait(false);
    }
}
