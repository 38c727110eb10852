using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;

namespace PiCluster.Engine.Phases;

/// <summary>
/// What a run knows of the cluster, shared by every phase: the nodes, the leader, and the outputs earlier phases
/// produced. Outputs of a phase become visible once that phase is done on every node, so all nodes of the next phase
/// see the same values.
/// </summary>
public sealed class ClusterState
{
    private readonly ConcurrentDictionary<(PhaseOutput Output, PiNode? Node), object> _values = new();
    private readonly ConcurrentDictionary<PhaseOutput, string> _producers = new();

    /// <summary>A state with no outputs and no leader yet.</summary>
    internal ClusterState(IReadOnlyList<PiNode> nodes)
    {
        Nodes = nodes ?? throw new ArgumentNullException(nameof(nodes));
    }

    /// <summary>Every node of the run, in file order.</summary>
    public IReadOnlyList<PiNode> Nodes { get; }

    /// <summary>The control planes, in file order.</summary>
    public IEnumerable<PiNode> ControlPlanes => Nodes.Where(n => n.Role == NodeRole.ControlPlane);

    /// <summary>The workers, in file order.</summary>
    public IEnumerable<PiNode> Workers => Nodes.Where(n => n.Role == NodeRole.Worker);

    /// <summary>
    /// The control plane that runs the cluster-wide work (kubeadm init, tokens, kubectl): the first, in file order, that
    /// already holds /etc/kubernetes/admin.conf, else the first control plane of the file. Null while fact commands are
    /// built (it is chosen from facts), and in a run that needs no leader.
    /// </summary>
    public PiNode? Leader { get; internal set; }

    /// <summary>The phase the leader failed in ("Connect" when it could not be reached or locked); null while it works.</summary>
    public string? LeaderFailedIn { get; internal set; }

    /// <summary>Some node declined a change of an earlier phase (a dry run, or -Confirm answered No): later state is planned, not real.</summary>
    public bool Declined { get; internal set; }

    /// <summary>The cluster-wide value of <paramref name="output"/>.</summary>
    /// <exception cref="InvalidOperationException">No earlier phase produced it (the phase failed, was skipped, or set nothing).</exception>
    public Planned<T> Get<T>(PhaseOutput<T> output) =>
        TryGet(output, out var value) ? value : throw Missing(output, null);

    /// <summary>The value <paramref name="output"/> has for <paramref name="node"/>.</summary>
    /// <exception cref="InvalidOperationException">No earlier phase produced it on that node.</exception>
    public Planned<T> Get<T>(PhaseOutput<T> output, PiNode node) =>
        TryGet(output, node, out var value) ? value : throw Missing(output, node);

    /// <summary>The cluster-wide value of <paramref name="output"/>, if an earlier phase produced it.</summary>
    public bool TryGet<T>(PhaseOutput<T> output, [NotNullWhen(true)] out Planned<T>? value) => TryGet(output, null, OutputScope.Cluster, out value);

    /// <summary>The value <paramref name="output"/> has for <paramref name="node"/>, if an earlier phase produced it there.</summary>
    public bool TryGet<T>(PhaseOutput<T> output, PiNode node, [NotNullWhen(true)] out Planned<T>? value) =>
        TryGet(output, node ?? throw new ArgumentNullException(nameof(node)), OutputScope.Node, out value);

    private bool TryGet<T>(PhaseOutput<T> output, PiNode? node, OutputScope scope, [NotNullWhen(true)] out Planned<T>? value)
    {
        if (output is null) throw new ArgumentNullException(nameof(output));
        if (output.Scope != scope)
            throw new ArgumentException(scope == OutputScope.Cluster
                ? $"{output.Name} holds one value per node: read it with Get(output, node)."
                : $"{output.Name} holds one value for the cluster: read it with Get(output).", nameof(output));
        value = _values.TryGetValue((output, node), out var stored) ? (Planned<T>)stored : null;
        return value is not null;
    }

    private InvalidOperationException Missing(PhaseOutput output, PiNode? node)
    {
        var where = node is null ? "" : $" on {node.Name}";
        var why = _producers.TryGetValue(output, out var phase)
            ? $"phase {phase} did not produce it{where} (it failed, was skipped or had nothing to do there)"
            : "no earlier phase of this run produces it";
        return new InvalidOperationException($"The {output.Description} ({output.Name}) is not known: {why}.");
    }

    /// <summary>Records that <paramref name="phase"/> will produce its outputs (for the message when one is missing).</summary>
    internal void Declare(ClusterPhase phase)
    {
        foreach (var output in phase.Outputs) _producers[output] = phase.Name;
    }

    /// <summary>
    /// Publishes what one phase produced, node by node in file order. A per-node value is the node's; the cluster-wide
    /// value is the first real one in node order (a placeholder only where no node produced a real one), replacing
    /// what an earlier phase set.
    /// </summary>
    internal void Publish(IEnumerable<(PiNode Node, PhaseOutput Output, object Planned, bool Known)> produced)
    {
        var clusterSet = new Dictionary<PhaseOutput, bool>();
        foreach (var (node, output, planned, known) in produced)
        {
            if (output.Scope == OutputScope.Node)
            {
                _values[(output, node)] = planned;
                continue;
            }
            if (clusterSet.TryGetValue(output, out var wasKnown) && (wasKnown || !known)) continue;
            clusterSet[output] = known;
            _values[(output, null)] = planned;
        }
    }

    /// <summary>
    /// The old string-keyed view of step data for <see cref="StepContext.Shared"/>: "Step/node" for each node's value,
    /// "Step" for the first non-null value in node order. A placeholder shows as null.
    /// </summary>
    internal IReadOnlyDictionary<string, object?> StepData()
    {
        var shared = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var node in Nodes)
        {
            foreach (var entry in _values.Where(e => e.Key.Output.IsStepData && ReferenceEquals(e.Key.Node, node)))
            {
                var value = entry.Value is Planned<object?> { IsKnown: true } known ? known.Value : null;
                shared[$"{entry.Key.Output.Name}/{node.Name}"] = value;
                if (value is not null && !shared.ContainsKey(entry.Key.Output.Name)) shared[entry.Key.Output.Name] = value;
            }
        }
        return shared;
    }
}
