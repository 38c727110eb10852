namespace PiCluster.Engine;

/// <summary>
/// The caller's side of a run: in the module, a cmdlet (PowerShell needs every Write* on its pipeline thread, so the
/// runner calls these only on the thread that started the run); in tests, a recording stand-in.
/// </summary>
public interface IRunHost
{
    /// <summary>Emits an output object (a <see cref="StepResult"/>, a check result, command output...).</summary>
    void WriteObject(object item);

    /// <summary>Emits a non-terminating error for one node.</summary>
    void WriteFailure(NodeFailure failure);

    /// <summary>Reports progress of one node.</summary>
    void WriteProgress(PiNode node, string activity, string status, int percentComplete);

    /// <summary>Writes a verbose line (already redacted).</summary>
    void WriteVerbose(string message);

    /// <summary>Writes a warning (already redacted), e.g. that -Force took over another run's lock.</summary>
    void WriteWarning(string message);

    /// <summary>Asks whether to make these changes on this node (-WhatIf answers no and prints them; -Confirm asks).</summary>
    bool ShouldProcess(PiNode node, string action);
}
