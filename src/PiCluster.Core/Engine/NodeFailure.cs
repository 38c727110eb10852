using System;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// A failure of one step on one node. The other nodes go on. Everything in it is safe to show: its texts and its
/// exception are redacted, and it keeps no reference to the exception that caused it.
/// </summary>
public sealed class NodeFailure
{
    /// <summary>
    /// Creates a failure from a text that holds no secret. A leading "node:" or "step:" of <paramref name="detail"/> is
    /// dropped, since <see cref="Message"/> puts both in front once.
    /// </summary>
    public NodeFailure(PiNode node, string step, NodeErrorKind kind, string detail)
        : this(node, step, kind, detail, null, null)
    {
    }

    private NodeFailure(PiNode node, string step, NodeErrorKind kind, string detail, Exception? cause, Redactor? redactor)
    {
        Node = node ?? throw new ArgumentNullException(nameof(node));
        Step = step ?? throw new ArgumentNullException(nameof(step));
        Kind = kind;
        Detail = WithoutPrefix(node, step, detail);
        Message = $"{node.Name}: {step}: {Detail}";
        Exception = cause is null || redactor is null ? new NodeException(kind, Message) : NodeException.Redacted(kind, Message, cause, redactor);
    }

    /// <summary>
    /// The failure for <paramref name="error"/>, thrown by a step or the transport: the one place where a raw exception
    /// becomes what users see. Its kind is the <see cref="NodeException.Kind"/> (StepFailed for any other exception),
    /// its texts are redacted with <paramref name="redactor"/>, and its <see cref="Exception"/> is a redacted copy.
    /// </summary>
    public static NodeFailure From(PiNode node, string step, Exception error, Redactor redactor)
    {
        if (error is null) throw new ArgumentNullException(nameof(error));
        if (redactor is null) throw new ArgumentNullException(nameof(redactor));
        var kind = error is NodeException ne ? ne.Kind : NodeErrorKind.StepFailed;
        return new NodeFailure(node, step, kind, redactor.Redact(error.Message), error, redactor);
    }

    /// <summary>The node that failed.</summary>
    public PiNode Node { get; }

    /// <summary>The step that failed.</summary>
    public string Step { get; }

    /// <summary>Why, as a stable id.</summary>
    public NodeErrorKind Kind { get; }

    /// <summary>What happened and what to do, without the node and step (a failed result's Message).</summary>
    public string Detail { get; }

    /// <summary>"node: step: detail": the node and step once, in front. Never holds secrets.</summary>
    public string Message { get; }

    /// <summary>
    /// The exception to show: a <see cref="NodeException"/> with <see cref="Message"/> as its message, and (when the
    /// failure came from an exception) that exception's stack trace and inner exceptions as redacted copies.
    /// </summary>
    public Exception Exception { get; }

    // Messages name their node (and sometimes the step) in front, so that they read well on their own; the failure
    // says both once.
    private static string WithoutPrefix(PiNode node, string step, string text)
    {
        text = (text ?? "").Trim();
        for (var stripped = true; stripped;)
        {
            stripped = false;
            foreach (var prefix in new[] { node.Name + ":", step + ":" })
            {
                if (prefix.Length > 1 && text.StartsWith(prefix, StringComparison.Ordinal))
                {
                    text = text.Substring(prefix.Length).TrimStart();
                    stripped = true;
                }
            }
        }
        return text.Length == 0 ? "(no message)" : text;
    }
}
