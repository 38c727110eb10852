using System;

namespace PiCluster.Engine;

/// <summary>A failure of one step on one node. The other nodes go on.</summary>
public sealed class NodeFailure
{
    /// <summary>Creates a failure.</summary>
    public NodeFailure(PiNode node, string step, NodeErrorKind kind, string message, Exception? exception = null)
    {
        Node = node;
        Step = step;
        Kind = kind;
        Message = message;
        Exception = exception;
    }

    /// <summary>The node that failed.</summary>
    public PiNode Node { get; }

    /// <summary>The step that failed.</summary>
    public string Step { get; }

    /// <summary>Why, as a stable id.</summary>
    public NodeErrorKind Kind { get; }

    /// <summary>What happened and what to do, naming node and step. Never holds secrets.</summary>
    public string Message { get; }

    /// <summary>The underlying exception, if any.</summary>
    public Exception? Exception { get; }
}
