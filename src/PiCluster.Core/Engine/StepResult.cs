using System;
using System.Collections.Generic;
using System.Linq;

namespace PiCluster.Engine;

/// <summary>What one step did on one node. Every step yields one per node.</summary>
public sealed class StepResult
{
    /// <summary>Creates a result.</summary>
    public StepResult(PiNode node, string step, StepStatus status, IReadOnlyList<Change>? changes = null,
        TimeSpan duration = default, string? message = null, bool? rebootRequired = null, object? data = null)
    {
        Node = node;
        Step = step;
        Status = status;
        Changes = changes ?? Array.Empty<Change>();
        Duration = duration;
        Message = message ?? "";
        RebootRequired = rebootRequired ?? Changes.Any(c => c.RebootRequired);
        Data = data;
    }

    /// <summary>The node.</summary>
    public PiNode Node { get; }

    /// <summary>The step's name, e.g. "Swap".</summary>
    public string Step { get; }

    /// <summary>Unchanged, Changed, Failed or Skipped.</summary>
    public StepStatus Status { get; }

    /// <summary>What was (or, with -WhatIf, would be) changed.</summary>
    public IReadOnlyList<Change> Changes { get; }

    /// <summary>A change needs a reboot to take effect.</summary>
    public bool RebootRequired { get; }

    /// <summary>Wall time of the step on this node.</summary>
    public TimeSpan Duration { get; }

    /// <summary>A short human summary.</summary>
    public string Message { get; }

    /// <summary>Step-specific output that later steps consume (e.g. the control plane's join data). Never printed.</summary>
    public object? Data { get; }
}
