using System.Collections.Generic;
using System.Management.Automation;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Hosting;

/// <summary>
/// The PowerShell side of a run: forwards the runner's output, errors, progress, verbose lines and ShouldProcess
/// questions to the cmdlet. The runner calls it only on the pipeline thread, which is what PowerShell requires.
/// Every text it hands PowerShell (verbose lines, progress, ShouldProcess actions) goes through the run's redactor once
/// more, so that a cmdlet's own text (Invoke-PiCommand's command in its -WhatIf line) cannot show -Credential either;
/// errors come from <see cref="NodeFailure"/>, which is redacted already.
/// </summary>
internal sealed class PowerShellRunHost : IRunHost
{
    // Node records count from 1; with a parent, id 0 is the parent's.
    private const int ParentId = 0;

    private readonly PSCmdlet _cmdlet;
    private readonly Dictionary<PiNode, int> _activityIds = new();
    private readonly HashSet<PiNode> _completed = new();
    private readonly Redactor _redactor;

    /// <param name="cmdlet">The cmdlet that writes.</param>
    /// <param name="activity">The activity shown for a node's failure.</param>
    /// <param name="redactor">The run's redactor.</param>
    /// <param name="parentActivity">
    /// When set, a parent record with this activity shows the phase that runs and the run's progress, and each node's
    /// record is its child (Deploy-PiCluster); else each node has a record of its own, "phase: node".
    /// </param>
    public PowerShellRunHost(PSCmdlet cmdlet, string activity, Redactor? redactor = null, string? parentActivity = null)
    {
        _cmdlet = cmdlet;
        Activity = activity;
        _redactor = redactor ?? new Redactor();
        ParentActivity = parentActivity;
    }

    /// <summary>The progress activity shown for each node, e.g. "Test-PiNode".</summary>
    public string Activity { get; }

    /// <summary>The parent record's activity, or null for none.</summary>
    public string? ParentActivity { get; }

    public void WriteObject(object item) => _cmdlet.WriteObject(item);

    public void WriteFailure(NodeFailure failure)
    {
        WriteProgress(failure.Node, Activity, "failed", 100);
        _cmdlet.WriteError(NodeErrorRecords.ForNode(failure));
    }

    public void WriteProgress(PiNode node, string activity, string status, int percentComplete)
    {
        if (!_activityIds.TryGetValue(node, out var id)) _activityIds[node] = id = _activityIds.Count + 1;
        var percent = percentComplete < 0 ? -1 : System.Math.Min(percentComplete, 100);
        var done = percentComplete >= 100;
        status = string.IsNullOrEmpty(status) ? " " : _redactor.Redact(status);
        if (ParentActivity is null)
        {
            _cmdlet.WriteProgress(new ProgressRecord(id, $"{activity}: {node.Name}", status)
            {
                PercentComplete = percent, RecordType = done ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            });
            return;
        }
        if (done) _completed.Add(node);
        else _completed.Remove(node);
        var allDone = _completed.Count == _activityIds.Count;
        // The parent follows the run (the runner's percentages are of the whole run), and ends when every node has.
        _cmdlet.WriteProgress(new ProgressRecord(ParentId, ParentActivity, done ? "finishing" : $"phase {activity}")
        {
            PercentComplete = allDone ? 100 : percent, RecordType = allDone ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        });
        _cmdlet.WriteProgress(new ProgressRecord(id, node.Name, $"{activity}: {status}")
        {
            ParentActivityId = ParentId, PercentComplete = percent, RecordType = done ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        });
    }

    public void WriteVerbose(string message) => _cmdlet.WriteVerbose(_redactor.Redact(message));

    public void WriteWarning(string message) => _cmdlet.WriteWarning(_redactor.Redact(message));

    public bool ShouldProcess(PiNode node, string action) => _cmdlet.ShouldProcess(node.Name, _redactor.Redact(action));
}
