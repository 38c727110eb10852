using System;
using System.Collections.Generic;
using System.Threading;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>What a step sees while it runs on one node.</summary>
public sealed class StepContext
{
    /// <summary>Creates a context.</summary>
    public StepContext(INodeSession session, IReadOnlyList<PiNode> allNodes, Action<string> verbose, CancellationToken cancellation,
        IReadOnlyDictionary<string, object?>? shared = null, Redactor? redactor = null)
    {
        Session = session;
        AllNodes = allNodes;
        Verbose = verbose;
        Cancellation = cancellation;
        Shared = shared ?? new Dictionary<string, object?>();
        Redactor = redactor ?? new Redactor();
    }

    /// <summary>The node this step runs on.</summary>
    public PiNode Node => Session.Node;

    /// <summary>The node's connection.</summary>
    public INodeSession Session { get; }

    /// <summary>Every node of this run (e.g. for /etc/hosts, or uniqueness checks).</summary>
    public IReadOnlyList<PiNode> AllNodes { get; }

    /// <summary>Writes a verbose line (already free of secrets).</summary>
    public Action<string> Verbose { get; }

    /// <summary>Cancelled on Ctrl+C or when the run gives up.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Data produced by earlier steps on other nodes, e.g. the control plane's join data, keyed by name.</summary>
    public IReadOnlyDictionary<string, object?> Shared { get; }

    /// <summary>
    /// The run's redactor: a step that learns a secret from a node (a credential in a file it reads) adds it here before
    /// anything could show it, and the run masks it in results, -Verbose, ShouldProcess text and errors from then on.
    /// </summary>
    public Redactor Redactor { get; }
}
