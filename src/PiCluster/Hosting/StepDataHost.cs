using PiCluster.Engine;

namespace PiCluster.Hosting;

/// <summary>
/// A run host for cmdlets whose output is a step's own typed result: a <see cref="StepResult"/> is written as its
/// <see cref="StepResult.Data"/> when that is a <typeparamref name="T"/>, and not at all otherwise (a failed step's error
/// record says what happened). Everything else passes through.
/// </summary>
internal sealed class StepDataHost<T> : IRunHost where T : class
{
    private readonly IRunHost _inner;

    public StepDataHost(IRunHost inner) => _inner = inner;

    public void WriteObject(object item)
    {
        if (item is not StepResult result) _inner.WriteObject(item);
        else if (result.Data is T data) _inner.WriteObject(data);
    }

    public void WriteFailure(NodeFailure failure) => _inner.WriteFailure(failure);

    public void WriteProgress(PiNode node, string activity, string status, int percentComplete) => _inner.WriteProgress(node, activity, status, percentComplete);

    public void WriteVerbose(string message) => _inner.WriteVerbose(message);

    public void WriteWarning(string message) => _inner.WriteWarning(message);

    public bool ShouldProcess(PiNode node, string action) => _inner.ShouldProcess(node, action);
}
