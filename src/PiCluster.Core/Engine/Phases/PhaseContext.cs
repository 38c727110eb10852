using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using PiCluster.Transport;

namespace PiCluster.Engine.Phases;

/// <summary>What a <see cref="ClusterPhase"/> sees while it runs on one node.</summary>
public sealed class PhaseContext
{
    private readonly Func<INodeSession?> _leaderSession;
    private readonly ConcurrentQueue<(PhaseOutput Output, object Planned)> _produced = new();

    internal PhaseContext(ClusterPhase phase, INodeSession session, ClusterState state, Func<INodeSession?> leaderSession,
        Action<string> verbose, CancellationToken cancellation, Redactor? redactor = null, Action<string>? warning = null)
    {
        Redactor = redactor ?? new Redactor();
        Warning = warning ?? verbose;
        Phase = phase;
        Session = session;
        State = state;
        _leaderSession = leaderSession;
        Verbose = verbose;
        Cancellation = cancellation;
    }

    /// <summary>The phase that runs.</summary>
    public ClusterPhase Phase { get; }

    /// <summary>The node this phase runs on.</summary>
    public PiNode Node => Session.Node;

    /// <summary>The node's connection (the run's one connection to it).</summary>
    public INodeSession Session { get; }

    /// <summary>The cluster: nodes, leader, and what earlier phases produced.</summary>
    public ClusterState State { get; }

    /// <summary>This node is the run's leader.</summary>
    public bool IsLeader => State.Leader is { } leader && ReferenceEquals(leader, Node);

    /// <summary>
    /// The leader's connection, e.g. for a join token or kubectl from a worker's phase. It is the leader's own session:
    /// commands from several nodes' phases take turns on it. Such a phase should say <see cref="ClusterPhase.NeedsLeader"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">There is no leader, or it is not connected (it failed).</exception>
    public INodeSession LeaderSession => _leaderSession()
        ?? throw new InvalidOperationException(State.Leader is null
            ? "This run has no leader: no phase of it needs one, or the cluster has no control plane."
            : $"The leader {State.Leader.Name} is not connected: it failed in {State.LeaderFailedIn ?? "an earlier phase"}.");

    /// <summary>Writes a verbose line (already free of secrets).</summary>
    public Action<string> Verbose { get; }

    /// <summary>Writes a warning (redacted), e.g. for a running cluster whose settings differ from the file: reported, not "fixed".</summary>
    public Action<string> Warning { get; }

    /// <summary>
    /// The run's redactor: register a secret a phase learns (a bootstrap token, a certificate key) with
    /// <see cref="Redactor.Add"/> before any text holding it can reach a stream.
    /// </summary>
    public Redactor Redactor { get; }

    /// <summary>Cancelled on Ctrl+C or when the run gives up.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>
    /// Sets <paramref name="output"/> for this node (a cluster-wide output: for the cluster, the first node in file order
    /// wins). Later phases see it once this phase is done everywhere. Call it in the plan when the value comes from facts
    /// (so a dry run has it too), or in the apply.
    /// </summary>
    /// <exception cref="ArgumentException">The phase does not list the output in <see cref="ClusterPhase.Outputs"/>.</exception>
    public void Set<T>(PhaseOutput<T> output, T value)
    {
        if (output is null) throw new ArgumentNullException(nameof(output));
        if (!Phase.Outputs.Contains(output))
            throw new ArgumentException($"Phase {Phase.Name} sets {output.Name}, which it does not list in its Outputs.", nameof(output));
        _produced.Enqueue((output, Planned<T>.Known(value)));
    }

    /// <summary>What this node produced; with placeholders for declared outputs it left unset when its apply was declined.</summary>
    internal IEnumerable<(PhaseOutput Output, object Planned, bool Known)> Produced(bool declined)
    {
        // The last value set for an output counts.
        var set = _produced.GroupBy(p => p.Output).Select(g => (g.Key, g.Last().Planned, true)).ToList();
        if (declined)
            set.AddRange(Phase.Outputs.Where(o => set.All(s => !ReferenceEquals(s.Key, o))).Select(o => (o, o.Placeholder(Phase.Name, Node), false)));
        return set;
    }
}
