using System;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>
/// A failure that belongs to one node, with a stable kind. Inside a run its message may still hold what a node or ssh
/// printed; what users see is the redacted copy <see cref="NodeFailure.Exception"/> (see <see cref="Redacted"/>).
/// </summary>
public sealed class NodeException : Exception
{
    private readonly string? _stackTrace;

    /// <summary>Creates the exception.</summary>
    public NodeException(NodeErrorKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

    private NodeException(NodeErrorKind kind, string message, Exception? inner, string? stackTrace) : base(message, inner)
    {
        Kind = kind;
        _stackTrace = stackTrace;
    }

    /// <summary>Why the node failed.</summary>
    public NodeErrorKind Kind { get; }

    /// <inheritdoc />
    public override string? StackTrace => _stackTrace ?? base.StackTrace;

    /// <summary>
    /// The exception to show for <paramref name="original"/>: kind <paramref name="kind"/>, the message
    /// <paramref name="message"/> (already redacted), the original's stack trace redacted, and as inner exception a
    /// <see cref="RedactedException"/> copy of the rest of the chain. It carries no <see cref="Exception.Data"/> and no
    /// reference to any original exception, so nothing reachable from it holds unredacted text.
    /// </summary>
    public static NodeException Redacted(NodeErrorKind kind, string message, Exception original, Redactor redactor)
    {
        if (original is null) throw new ArgumentNullException(nameof(original));
        if (redactor is null) throw new ArgumentNullException(nameof(redactor));
        // A NodeException is what the message already says; anything else (a bug, an I/O error) keeps its type and
        // text, redacted, as the inner exception.
        var inner = original is NodeException ? original.InnerException : original;
        var stackTrace = original is NodeException && original.StackTrace is { } trace ? redactor.Redact(trace) : null;
        return new NodeException(kind, message, inner is null ? null : RedactedException.Copy(inner, redactor), stackTrace)
        {
            Source = original.Source,
        };
    }
}
