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
    private readonly PSCmdlet _cmdlet;
    private readonly Dictionary<PiNode, int> _activityIds = new();
    private readonly Redactor _redactor;

    public PowerShellRunHost(PSCmdlet cmdlet, string activity, Redactor? redactor = null)
    {
        _cmdlet = cmdlet;
        Activity = activity;
        _redactor = redactor ?? new Redactor();
    }

    /// <summary>The progress activity shown for each node, e.g. "Test-PiNode".</summary>
    public string Activity { get; }

    public void WriteObject(object item) => _cmdlet.WriteObject(item);

    public void WriteFailure(NodeFailure failure)
    {
        WriteProgress(failure.Node, Activity, "failed", 100);
        _cmdlet.WriteError(NodeErrorRecords.ForNode(failure));
    }

    public void WriteProgress(PiNode node, string activity, string status, int percentComplete)
    {
        if (!_activityIds.TryGetValue(node, out var id)) _activityIds[node] = id = _activityIds.Count + 1;
        var record = new ProgressRecord(id, $"{activity}: {node.Name}", string.IsNullOrEmpty(status) ? " " : _redactor.Redact(status))
        {
            PercentComplete = percentComplete < 0 ? -1 : System.Math.Min(percentComplete, 100),
            RecordType = percentComplete >= 100 ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        _cmdlet.WriteProgress(record);
    }

    public void WriteVerbose(string message) => _cmdlet.WriteVerbose(_redactor.Redact(message));

    public void WriteWarning(string message) => _cmdlet.WriteWarning(_redactor.Redact(message));

    public bool ShouldProcess(PiNode node, string action) => _cmdlet.ShouldProcess(node.Name, _redactor.Redact(action));
}
