using System;

namespace PiCluster.Engine.Phases;

/// <summary>Whether a <see cref="PhaseOutput{T}"/> holds one value for the whole cluster or one per node.</summary>
public enum OutputScope
{
    /// <summary>One value for the cluster (e.g. the join data the leader made); read with <see cref="ClusterState.Get{T}(PhaseOutput{T})"/>.</summary>
    Cluster,

    /// <summary>One value per node that produced it; read with <see cref="ClusterState.Get{T}(PhaseOutput{T}, PiNode)"/>.</summary>
    Node,
}

/// <summary>
/// The untyped side of a <see cref="PhaseOutput{T}"/>: what a <see cref="ClusterPhase"/> lists in
/// <see cref="ClusterPhase.Outputs"/>. Keys compare by reference: declare each once, as a static field of the phase
/// that produces it.
/// </summary>
public abstract class PhaseOutput
{
    private protected PhaseOutput(string name, string description, OutputScope scope)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("An output needs a name.", nameof(name));
        if (string.IsNullOrWhiteSpace(description)) throw new ArgumentException("An output needs a description.", nameof(description));
        Name = name;
        Description = description;
        Scope = scope;
    }

    /// <summary>A short name for messages, e.g. "JoinData".</summary>
    public string Name { get; }

    /// <summary>What the value is, in words, for dry-run placeholders: "join token" gives "&lt;join token from phase Init on node1&gt;".</summary>
    public string Description { get; }

    /// <summary>One value for the cluster, or one per node.</summary>
    public OutputScope Scope { get; }

    /// <summary>Output of NodeStepPhase, which StepContext.Shared shows to the steps by name.</summary>
    internal virtual bool IsStepData => false;

    /// <summary>A dry run's stand-in for a value <paramref name="phase"/> would have produced on <paramref name="node"/>.</summary>
    internal abstract object Placeholder(string phase, PiNode node);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// A typed key for data one phase produces and later phases read, in place of string keys and <c>object</c>:
/// the producing phase declares it (<see cref="ClusterPhase.Outputs"/>) and sets it with
/// <see cref="PhaseContext.Set{T}"/>; later phases read it through the cluster state,
/// <c>context.State.Get(JoinData)</c>, as a <see cref="Planned{T}"/>: the value, or in a dry run a placeholder that
/// says where it would have come from.
/// </summary>
/// <typeparam name="T">The value's type. Keep secrets (tokens, keys) out of <see cref="object.ToString"/>: plans print it.</typeparam>
public sealed class PhaseOutput<T> : PhaseOutput
{
    /// <summary>Declares an output.</summary>
    /// <param name="name">A short name for messages, e.g. "JoinData".</param>
    /// <param name="description">What the value is, for placeholders, e.g. "join command".</param>
    /// <param name="scope">One value for the cluster (the default) or one per node.</param>
    public PhaseOutput(string name, string description, OutputScope scope = OutputScope.Cluster)
        : this(name, description, scope, isStepData: false)
    {
    }

    internal PhaseOutput(string name, string description, OutputScope scope, bool isStepData)
        : base(name, description, scope) => _isStepData = isStepData;

    private readonly bool _isStepData;

    internal override bool IsStepData => _isStepData;

    internal override object Placeholder(string phase, PiNode node) =>
        Planned<T>.Placeholder($"<{Description} from phase {phase} on {node.Name}>");
}
