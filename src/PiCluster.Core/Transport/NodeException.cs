using System;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>A failure that belongs to one node, with a stable kind. Messages never hold secrets.</summary>
public sealed class NodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NodeException(NodeErrorKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

    /// <summary>Why the node failed.</summary>
    public NodeErrorKind Kind { get; }
}
