using PiCluster.Engine;

namespace PiCluster.Checks.Cluster;

/// <summary>
/// The outcome of one Test-PiCluster check: Test-PiNode's shape (<see cref="CheckResult"/>) with the cluster's name.
/// Checks of the whole cluster (unknown nodes, CoreDNS, the API from this machine) are reported on the leader.
/// </summary>
public sealed class ClusterCheckResult
{
    /// <summary>Creates a result.</summary>
    public ClusterCheckResult(string cluster, PiNode node, string check, bool passed, CheckSeverity severity, string detail, string remedy = "")
    {
        Cluster = cluster;
        Node = node;
        Check = check;
        Passed = passed;
        Severity = severity;
        Detail = detail;
        Remedy = remedy;
    }

    /// <summary>The cluster's name (the cluster file's <c>name</c>).</summary>
    public string Cluster { get; }

    /// <summary>The node checked; for checks of the whole cluster, the leader.</summary>
    public PiNode Node { get; }

    /// <summary>The check's name, e.g. "NodeReady" (<see cref="ClusterCheckNames"/>).</summary>
    public string Check { get; }

    /// <summary>The cluster is as it should be as far as this check goes. A check that could not be evaluated fails.</summary>
    public bool Passed { get; }

    /// <summary>Error for what breaks the cluster, Warning for what will (certificates near their end), Info when passed.</summary>
    public CheckSeverity Severity { get; }

    /// <summary>What was found.</summary>
    public string Detail { get; }

    /// <summary>What to do about it; empty when nothing needs doing.</summary>
    public string Remedy { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Cluster}/{Node.Name} {Check}: {(Passed ? "passed" : "FAILED")} ({Detail})";
}
