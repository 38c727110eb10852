using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Hosting;
using PiCluster.Steps.Kubeconfig;

namespace PiCluster.Commands;

/// <summary>
/// Export-PiKubeconfig: merges the cluster's admin kubeconfig into a kubeconfig on this machine (~/.kube/config) as a
/// context named after the cluster, touching nothing else; 0600, atomic, with a backup.
/// </summary>
[Cmdlet(VerbsData.Export, "PiKubeconfig", SupportsShouldProcess = true, DefaultParameterSetName = NodeSet)]
[OutputType(typeof(KubeconfigResult))]
public sealed class ExportPiKubeconfigCommand : PiNodeCommandBase
{
    /// <summary>The kubeconfig to merge into; without it, ~/.kube/config. (-Path names the cluster file, as everywhere.)</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KubeconfigPath { get; set; }

    /// <summary>The API address to write instead of admin.conf's: a VIP, a DNS name or a tunnel, as an https URL.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Server { get; set; }

    /// <summary>Make the cluster's context current even when the kubeconfig has another current context.</summary>
    [Parameter]
    public SwitchParameter SwitchContext { get; set; }

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation)
    {
        // A bad address or no control-plane node stops the run before any connection.
        if (KubeconfigMerge.ServerProblem(Server) is { } problem)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException(problem, nameof(Server)), "InvalidServer", ErrorCategory.InvalidArgument, Server));
        var node = KubeconfigStep.ChooseNode(nodes);
        if (node is null)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("None of the nodes is a control-plane node: give the one to read admin.conf from (-Name, or pipe it)."),
                "NoControlPlaneNode", ErrorCategory.InvalidArgument, nodes));
        var path = KubeconfigFilePath(KubeconfigPath);
        host.WriteVerbose($"{node!.Name}: merging its admin.conf into {path}");
        RunSteps(new[] { node }, new NodeStep[] { new KubeconfigStep(new KubeconfigOptions(path, Server, SwitchContext)) },
            new StepDataHost<KubeconfigResult>(host), cancellation);
    }
}
