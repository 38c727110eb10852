using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using PiCluster.Engine;
using PiCluster.Engine.Phases;

namespace PiCluster.Deploy;

/// <summary>
/// A run host that passes everything on and remembers, per node, what each phase did (results, failures, the plans
/// a dry run declined), for the <see cref="DeployResult"/> written at the end. Works for any list of phases.
/// </summary>
public sealed class DeployRecorder : IRunHost
{
    private readonly IRunHost _inner;
    private readonly IReadOnlyList<PiNode> _nodes;
    private readonly Dictionary<PiNode, List<StepResult>> _results = new();
    private readonly Dictionary<PiNode, List<string>> _planned = new();
    private readonly Dictionary<PiNode, NodeFailure> _failures = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Records a run over <paramref name="nodes"/> while passing every call to <paramref name="inner"/>.</summary>
    public DeployRecorder(IRunHost inner, IReadOnlyList<PiNode> nodes)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _nodes = nodes ?? throw new ArgumentNullException(nameof(nodes));
        foreach (var node in nodes)
        {
            _results[node] = new List<StepResult>();
            _planned[node] = new List<string>();
        }
    }

    /// <inheritdoc />
    public void WriteObject(object item)
    {
        if (item is StepResult result && _results.TryGetValue(result.Node, out var list)) list.Add(result);
        _inner.WriteObject(item);
    }

    /// <inheritdoc />
    public void WriteFailure(NodeFailure failure)
    {
        if (failure is null) throw new ArgumentNullException(nameof(failure));
        if (_results.ContainsKey(failure.Node) && !_failures.ContainsKey(failure.Node)) _failures[failure.Node] = failure;
        _inner.WriteFailure(failure);
    }

    /// <inheritdoc />
    public void WriteProgress(PiNode node, string activity, string status, int percentComplete) => _inner.WriteProgress(node, activity, status, percentComplete);

    /// <inheritdoc />
    public void WriteVerbose(string message) => _inner.WriteVerbose(message);

    /// <inheritdoc />
    public void WriteWarning(string message) => _inner.WriteWarning(message);

    /// <inheritdoc />
    public bool ShouldProcess(PiNode node, string action)
    {
        var approved = _inner.ShouldProcess(node, action);
        // The runner's action text begins with the phase's name: "Init: 1 change ...".
        if (!approved && _planned.TryGetValue(node, out var planned) && action?.IndexOf(':') is > 0 and var colon)
            planned.Add(action.Substring(0, colon));
        return approved;
    }

    /// <summary>What a node that had not failed is told when the run was stopped before its end.</summary>
    public const string StoppedMessage = "The run was stopped before its last phase: run it again to finish.";

    /// <summary>
    /// The summary of what was recorded so far. <paramref name="stopped"/>: the run was cancelled (Ctrl+C) before its
    /// end, so no node that had not failed went through every phase: each is Incomplete, and the deploy did not succeed.
    /// </summary>
    public DeployResult Result(string cluster, bool stopped = false) =>
        new(cluster, _nodes.Select(n => Summarize(n, stopped)).ToList(), _clock.Elapsed,
            _results.Values.SelectMany(r => r).Select(r => r.Data).OfType<IReadOnlyList<Checks.Cluster.ClusterCheckResult>>().FirstOrDefault(),
            stopped);

    private DeployNodeResult Summarize(PiNode node, bool stopped)
    {
        var results = _results[node];
        var changed = results.Where(r => r.Status == StepStatus.Changed).ToList();
        var changes = changed.SelectMany(r => r.Changes.Select(c => $"{r.Step}: {c.Description}")).ToList();
        var reboots = changed.Count(r => r.Data is IEnumerable<string> lines && lines.Contains(Steps.NodePrep.InitializeNodeStep.RebootedLine));
        var notRun = results.FirstOrDefault(r => r.Status == StepStatus.Skipped && r.Message.StartsWith(PhaseRunner.NotRunPrefix, StringComparison.Ordinal));
        var failure = _failures.TryGetValue(node, out var f) ? f : null;
        var planned = _planned[node];
        var status = failure is not null ? DeployNodeStatus.Failed
            : notRun is not null || stopped ? DeployNodeStatus.Incomplete
            : planned.Count > 0 ? DeployNodeStatus.Planned
            : changed.Count > 0 ? DeployNodeStatus.Changed
            : DeployNodeStatus.Unchanged;
        var duration = results.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Duration);
        return new DeployNodeResult(node, status, changed.Select(r => r.Step).ToList(), planned.ToList(), changes, reboots, duration,
            failure?.Step, failure?.Detail ?? notRun?.Message ?? (stopped ? StoppedMessage : null));
    }
}
