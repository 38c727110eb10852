using System;
using System.Collections.Generic;
using System.Linq;
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
        pump.WorkFailure = e => RedactedException.Copy(e, Redactor);
    }

    public RunOptions Options { get; }

    public HostPump Pump { get; }

    public Redactor Redactor { get; }

    /// <summary>A redactor that masks the run's sudo password besides the standard patterns.</summary>
    public static Redactor CreateRedactor(ConnectOptions options) => Redactor.ForRun(options);

    /// <summary>Writes a verbose line through the pump, redacted.</summary>
    public void Verbose(string line) => Pump.Post(h => h.WriteVerbose(Redactor.Redact(line)));

    /// <summary>Writes a warning through the pump, redacted.</summary>
    public void Warning(string line) => Pump.Post(h => h.WriteWarning(Redactor.Redact(line)));

    /// <summary>Reports a node's failure. Rethrows cancellation of the run: that is not the node's fault.</summary>
    public void Fail(PiNode node, string step, Exception error, CancellationToken cancellation)
    {
        if (error is OperationCanceledException && cancellation.IsCancellationRequested) throw error;
        Pump.Post(h => h.WriteFailure(ToFailure(node, step, error)));
    }

    /// <summary>Turns an exception from a step or the transport into a failure with a stable kind.</summary>
    public NodeFailure ToFailure(PiNode node, string step, Exception error) => NodeFailure.From(node, step, error, Redactor);

    /// <summary>
    /// An output object as users may see it: the texts of step, check and command results redacted (a command's own
    /// output only of the run's registered secrets: see <see cref="Redactor.RedactKnown"/>). Other objects pass as they are.
    /// </summary>
    public object Redacted(object item) => item switch
    {
        StepResult r => new StepResult(r.Node, r.Step, r.Status,
            r.Changes.Select(c => new Change(Redactor.Redact(c.Description), c.Diff is null ? null : Redactor.Redact(c.Diff), c.RebootRequired)).ToList(),
            r.Duration, Redactor.Redact(r.Message), r.RebootRequired, RedactedData(r.Data)),
        Checks.CheckResult c => new Checks.CheckResult(c.Node, c.Check, c.Passed, c.Severity, Redactor.Redact(c.Detail), Redactor.Redact(c.Remedy)),
        Checks.Cluster.ClusterCheckResult c => new Checks.Cluster.ClusterCheckResult(c.Cluster, c.Node, c.Check, c.Passed, c.Severity, Redactor.Redact(c.Detail), Redactor.Redact(c.Remedy)),
        CommandOutput o => new CommandOutput(o.Node, o.ExitCode, Redactor.RedactKnown(o.Output), Redactor.Redact(o.Error), o.Duration),
        _ => item,
    };

    // Text data is redacted; a step's own data types hold no secrets (a step that learns one keeps it out of its data).
    private object? RedactedData(object? data) => data switch
    {
        string text => Redactor.Redact(text),
        IEnumerable<string> lines => lines.Select(Redactor.Redact).ToList(),
        _ => data,
    };

    /// <summary>Opens the node's one session for this run; on failure reports it and returns null.</summary>
    public async Task<INodeSession?> OpenAsync(PiNode node, string step, CancellationToken cancellation)
    {
        var (session, error) = await TryOpenAsync(node, cancellation).ConfigureAwait(false);
        if (error is not null) Fail(node, step, error, cancellation);
        return session;
    }

    /// <summary>Opens the node's one session for this run; on failure returns why instead (a caller that reports it its own way).</summary>
    public async Task<(INodeSession? Session, NodeException? Error)> TryOpenAsync(PiNode node, CancellationToken cancellation)
    {
        try
        {
            Verbose($"{node.Name}: connecting to {SshErrors.Destination(node)} with the {SshTransports.For(node, Options.Connect)} transport");
            var session = await _connector.OpenAsync(node, Options.Connect, cancellation).ConfigureAwait(false);
            return (new VerboseSession(session, Verbose, Redactor), null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            // Whatever went wrong before a connection existed, the node is not reachable for this run.
            return (null, e as NodeException ?? new NodeException(NodeErrorKind.NodeUnreachable, e.Message, e));
        }
    }

    /// <summary>"node1: 1 connection, 3 round trips": what a run cost a node.</summary>
    internal static string CostLine(INodeSession session) =>
        $"{session.Node.Name}: {Plural(session.Connections, "connection")}, {Plural(session.RoundTrips, "round trip")}";

    private static string Plural(int count, string noun) =>
        count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? "" : "s");

    /// <summary>
    /// Runs <paramref name="cleanup"/> for each session and then closes it, in parallel, with a time limit of its own:
    /// this also runs after Ctrl+C, when the run's token is already cancelled. -Verbose then says what the run cost each
    /// node ("node1: 1 connection, 3 round trips"), which the benchmark reads.
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
            Verbose(CostLine(s));
        }).ToList()).ConfigureAwait(false);
    }
}
