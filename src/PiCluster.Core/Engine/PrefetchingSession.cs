using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// A node's session that can read the facts of every step of a run in one round trip before the steps plan
/// (<see cref="PrefetchAsync"/>), and then answers each step's fact command from what it read, as often as it is asked.
/// The answers stay valid only while nothing else ran on the node: any command it cannot answer (a change, or a fact
/// command nobody declared) and any reconnect discard them, so a step after a change gathers its facts again.
/// </summary>
internal sealed class PrefetchingSession : INodeSession
{
    private readonly INodeSession _inner;
    private readonly Dictionary<(string Script, string Input, bool AsRoot), CommandResult> _answers = new();
    private readonly object _gate = new();

    public PrefetchingSession(INodeSession inner) => _inner = inner;

    /// <summary>The wrapped session.</summary>
    public INodeSession Inner => _inner;

    public PiNode Node => _inner.Node;

    public int RoundTrips => _inner.RoundTrips;

    public int Connections => _inner.Connections;

    /// <summary>How many commands were answered from prefetched facts (tests and -Verbose).</summary>
    public int Answered { get; private set; }

    /// <summary>
    /// Runs <paramref name="commands"/> (read-only fact commands, as the steps will run them) in one round trip per
    /// kind (as root, as the user). Repeated commands are read once. A batch that fails as a whole is ignored: each
    /// step then runs its own command. <paramref name="verbose"/> gets one line per batch with the slowest parts, so
    /// that -Verbose says where a converged run spends its time.
    /// </summary>
    public async Task PrefetchAsync(IEnumerable<RemoteCommand> commands, TimeSpan factTimeout, CancellationToken cancellation,
        Action<string>? verbose = null)
    {
        var distinct = commands.GroupBy(Key).Select(g => g.First()).ToList();
        foreach (var kind in distinct.GroupBy(c => c.AsRoot))
        {
            var parts = kind.ToList();
            // One command gains nothing from a batch: it is run as itself when the step asks.
            if (parts.Count < 2) continue;
            var batch = await _inner.RunAsync(FactBatch.Compose(parts, factTimeout), cancellation).ConfigureAwait(false);
            var results = FactBatch.Parse(batch, parts.Count);
            if (results is null) continue;
            lock (_gate)
                for (var i = 0; i < parts.Count; i++) _answers[Key(parts[i])] = results[i].Result;
            verbose?.Invoke(Timings(parts, results));
        }
    }

    /// <summary>"node1: 9 fact scripts in 41.2 s; slowest: read the cluster's state 20.1 s, ..." (the five slowest).</summary>
    private string Timings(IReadOnlyList<RemoteCommand> parts, IReadOnlyList<FactBatch.Part> results)
    {
        var timed = parts.Zip(results, (p, r) => (What: p.Display ?? "a script", r.Elapsed))
            .Where(t => t.Elapsed is not null).OrderByDescending(t => t.Elapsed).ToList();
        var line = $"{Node.Name}: {parts.Count} fact scripts";
        if (timed.Count == 0) return line + " (no timings: the node's bash predates EPOCHREALTIME)";
        var total = TimeSpan.FromTicks(timed.Sum(t => t.Elapsed!.Value.Ticks));
        return line + string.Create(CultureInfo.InvariantCulture, $" in {total.TotalSeconds:0.0} s; slowest: ")
            + string.Join(", ", timed.Take(5).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.What} {t.Elapsed!.Value.TotalSeconds:0.0} s")));
    }

    public Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_answers.TryGetValue(Key(command), out var answer))
            {
                Answered++;
                return Task.FromResult(answer);
            }
            // Anything else may change the node: what was read before no longer holds.
            _answers.Clear();
        }
        return _inner.RunAsync(command, cancellationToken);
    }

    public Func<CommandRunner, CancellationToken, Task>? AfterImplicitReconnect
    {
        get => _inner.AfterImplicitReconnect;
        set => _inner.AfterImplicitReconnect = value;
    }

    public Task ReconnectAsync(TimeSpan timeout, bool requireNewBoot, CancellationToken cancellationToken)
    {
        lock (_gate) _answers.Clear();
        return _inner.ReconnectAsync(timeout, requireNewBoot, cancellationToken);
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private static (string, string, bool) Key(RemoteCommand command) => (command.Script, command.Input ?? "", command.AsRoot);
}
