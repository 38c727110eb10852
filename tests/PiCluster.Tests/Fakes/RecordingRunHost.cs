using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using PiCluster.Engine;

namespace PiCluster.Tests.Fakes;

/// <summary>
/// Stands in for the PowerShell side of a run: records every output object, failure, progress record, verbose line and
/// ShouldProcess question, and checks that each call arrives on the thread that created it (as PowerShell demands).
/// </summary>
public sealed class RecordingRunHost : IRunHost
{
    private readonly int _thread = Environment.CurrentManagedThreadId;

    /// <summary>Answers ShouldProcess; default yes. Set to <c>(_, _) => false</c> for -WhatIf.</summary>
    public Func<PiNode, string, bool> Answer { get; set; } = (_, _) => true;

    /// <summary>Everything in call order, for tests of ordering.</summary>
    public List<object> Events { get; } = new();
    public List<object> Objects { get; } = new();
    public List<NodeFailure> Failures { get; } = new();
    public List<string> Verbose { get; } = new();
    public List<(PiNode Node, string Activity, string Status, int Percent)> Progress { get; } = new();
    public List<(PiNode Node, string Action)> ShouldProcessCalls { get; } = new();

    /// <summary>Calls that arrived on another thread than the creating one (must stay empty).</summary>
    public List<string> WrongThreadCalls { get; } = new();

    /// <summary>Called on each WriteObject, e.g. to cancel a run midway or to throw like a stopping pipeline.</summary>
    public Action<object>? OnWriteObject { get; set; }

    public IEnumerable<StepResult> Results => Objects.OfType<StepResult>();

    public IEnumerable<T> Output<T>() => Objects.OfType<T>();

    public void WriteObject(object item)
    {
        Check(nameof(WriteObject));
        Objects.Add(item);
        Events.Add(item);
        OnWriteObject?.Invoke(item);
    }

    public void WriteFailure(NodeFailure failure)
    {
        Check(nameof(WriteFailure));
        Failures.Add(failure);
        Events.Add(failure);
    }

    public void WriteProgress(PiNode node, string activity, string status, int percentComplete)
    {
        Check(nameof(WriteProgress));
        Progress.Add((node, activity, status, percentComplete));
    }

    public void WriteVerbose(string message)
    {
        Check(nameof(WriteVerbose));
        Verbose.Add(message);
    }

    public List<string> Warnings { get; } = new();

    public void WriteWarning(string message)
    {
        Check(nameof(WriteWarning));
        Warnings.Add(message);
        Events.Add("Warning " + message);
    }

    public bool ShouldProcess(PiNode node, string action)
    {
        Check(nameof(ShouldProcess));
        ShouldProcessCalls.Add((node, action));
        Events.Add($"ShouldProcess {node.Name}");
        return Answer(node, action);
    }

    private void Check(string call)
    {
        if (Environment.CurrentManagedThreadId != _thread) WrongThreadCalls.Add(call);
    }
}
