using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Checks.Cluster;
using PiCluster.Engine;
using PiCluster.Hosting;
using PiCluster.Steps.Kubeconfig;

namespace PiCluster.Commands;

/// <summary>
/// Test-PiCluster: checks a running cluster against its cluster file, one result per check and node (nodes registered
/// in their roles and Ready, no unknown node, versions within the skew policy, system pods, the API from this machine,
/// certificates, swap and cgroup drift). Reads only.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PiCluster", DefaultParameterSetName = NodeSet)]
[OutputType(typeof(ClusterCheckResult))]
[OutputType(typeof(bool))]
public sealed class TestPiClusterCommand : PiNodeCommandBase
{
    /// <summary>The kubeconfig with the cluster's context (named after the cluster) for the API check; without it, ~/.kube/config.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KubeconfigPath { get; set; }

    /// <summary>Write one boolean instead of the results: $true when every check passed.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) => Check(nodes, host, Quiet, cancellation);

    /// <summary>The checks, or with <paramref name="quiet"/> their verdict alone (cmdlet-logic tests call this: a switch cannot be set outside PowerShell).</summary>
    internal void Check(IReadOnlyList<PiNode> nodes, IRunHost host, bool quiet, CancellationToken cancellation)
    {
        var path = KubeconfigFilePath(KubeconfigPath);
        var runner = new ClusterCheckRunner(CreateConnector(), CreateRunOptions(), path);
        if (!quiet)
        {
            runner.Run(nodes, host, cancellation);
            return;
        }
        var verdict = new PassFailHost(host);
        runner.Run(nodes, verdict, cancellation);
        host.WriteObject(verdict.AllPassed);
    }
}
