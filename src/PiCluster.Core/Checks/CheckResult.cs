using PiCluster.Engine;

namespace PiCluster.Checks;

/// <summary>The outcome of one preflight check on one node (Test-PiNode emits one per check and node).</summary>
public sealed class CheckResult
{
    /// <summary>Creates a result.</summary>
    public CheckResult(PiNode node, string check, bool passed, CheckSeverity severity, string detail, string remedy = "")
    {
        Node = node;
        Check = check;
        Passed = passed;
        Severity = severity;
        Detail = detail;
        Remedy = remedy;
    }

    /// <summary>The node checked.</summary>
    public PiNode Node { get; }

    /// <summary>The check's name, e.g. "Swap".</summary>
    public string Check { get; }

    /// <summary>The node is fit as far as this check goes.</summary>
    public bool Passed { get; }

    /// <summary>How much the finding matters: Error and Warning come with a remedy; a passed check is Info or Warning.</summary>
    public CheckSeverity Severity { get; }

    /// <summary>What was found.</summary>
    public string Detail { get; }

    /// <summary>What to do about it; empty when nothing needs doing.</summary>
    public string Remedy { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Node.Name} {Check}: {(Passed ? "passed" : "FAILED")} ({Detail})";
}
