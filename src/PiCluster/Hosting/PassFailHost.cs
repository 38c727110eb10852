using PiCluster.Checks.Cluster;
using PiCluster.Engine;

namespace PiCluster.Hosting;

/// <summary>
/// A run host for -Quiet: swallows the check results and remembers whether every one passed; everything else passes
/// through. <see cref="AllPassed"/> is false when no result came at all.
/// </summary>
internal sealed class PassFailHost : IRunHost
{
    private readonly IRunHost _inner;
    private bool _anyResult;
    private bool _anyFailed;

    public PassFailHost(IRunHost inner) => _inner = inner;

    /// <summary>At least one result came and none failed.</summary>
    public bool AllPassed => _anyResult && !_anyFailed;

    public void WriteObject(object item)
    {
        if (item is not ClusterCheckResult result)
        {
            _inner.WriteObject(item);
            return;
        }
        _anyResult = true;
        _anyFailed |= !result.Passed;
    }

    public void WriteFailure(NodeFailure failure)
    {
        _anyFailed = true;
        _inner.WriteFailure(failure);
    }

    public void WriteProgress(PiNode node, string activity, string status, int percentComplete) => _inner.WriteProgress(node, activity, status, percentComplete);

    public void WriteVerbose(string message) => _inner.WriteVerbose(message);

    public void WriteWarning(string message) => _inner.WriteWarning(message);

    public bool ShouldProcess(PiNode node, string action) => _inner.ShouldProcess(node, action);
}
