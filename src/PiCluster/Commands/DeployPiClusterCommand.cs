using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using PiCluster.ControlPlane;
using PiCluster.Deploy;
using PiCluster.Engine;
using PiCluster.Hosting;
using PiCluster.Steps.Kubeconfig;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Commands;

/// <summary>
/// Deploy-PiCluster: every phase from preflight to the kubeconfig export (<see cref="DeployPlan"/>) as one run, one
/// connection and one lock per node; then a <see cref="DeployResult"/>. Safe to run again at any point.
/// </summary>
[Cmdlet("Deploy", "PiCluster", DefaultParameterSetName = NodeSet, SupportsShouldProcess = true)]
[OutputType(typeof(StepResult), typeof(DeployResult))]
public sealed class DeployPiClusterCommand : PiNodeCommandBase
{
    /// <summary>NTP servers (node preparation).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidatePiValue(PiValue.NtpServer)]
    public string[] NtpServer { get; set; } = new List<string>(NodePreparationOptions.DefaultNtpServers).ToArray();

    /// <summary>Fallback NTP servers (node preparation).</summary>
    [Parameter]
    [ValidatePiValue(PiValue.NtpServer)]
    public string[] FallbackNtpServer { get; set; } = new List<string>(NodePreparationOptions.DefaultFallbackNtpServers).ToArray();

    /// <summary>Switch iptables to this backend (node preparation).</summary>
    [Parameter]
    [ValidateSet(nameof(Steps.NodePrep.IptablesBackend.Legacy), nameof(Steps.NodePrep.IptablesBackend.Nft))]
    public string? IptablesBackend { get; set; }

    /// <summary>Seconds a node may take to come back from the reboot.</summary>
    [Parameter]
    [ValidateRange(10, 3600)]
    public int RebootTimeout { get; set; } = 300;

    /// <summary>Seconds to wait for the apt/dpkg lock (runtime and packages).</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeout { get; set; } = 300;

    /// <summary>Minutes the control-plane image pull may take.</summary>
    [Parameter]
    [ValidateRange(1, 240)]
    public int ImagePullTimeout { get; set; } = 30;

    /// <summary>Minutes kubeadm init may take.</summary>
    [Parameter]
    [ValidateRange(1, 240)]
    public int InitTimeout { get; set; } = 30;

    /// <summary>Seconds to wait for the pod network's DaemonSet pods to run, and for each joined worker to be Ready.</summary>
    [Parameter]
    [ValidateRange(10, 3600)]
    public int ReadyTimeout { get; set; } = 300;

    /// <summary>The kubeconfig on this machine to merge the cluster's admin kubeconfig into; without it, ~/.kube/config.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KubeconfigPath { get; set; }

    /// <summary>The API address to write into the kubeconfig instead of admin.conf's: a VIP, a DNS name or a tunnel, as an https URL.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Server { get; set; }

    /// <summary>Make the cluster's context current even when the kubeconfig has another current context.</summary>
    [Parameter]
    public SwitchParameter SwitchContext { get; set; }

    /// <summary>Leave the kubeconfig on this machine alone (no kubeconfig phase).</summary>
    [Parameter]
    public SwitchParameter SkipKubeconfig { get; set; }

    /// <inheritdoc />
    private protected override string? ProgressParentActivity => "Deploy-PiCluster";

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation)
    {
        var options = Options();
        // Problems of the arguments and the file stop the deploy before any connection.
        if (KubeconfigMerge.ServerProblem(Server) is { } problem)
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException(problem, nameof(Server)), "InvalidServer", ErrorCategory.InvalidArgument, Server));
        if (DeployPlan.PackageSourceProblem(options, nodes) is { } source)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(source.Message, source.Field), "InvalidPackageSource", ErrorCategory.InvalidArgument, source.Field));
        if (nodes.All(n => n.Role != NodeRole.ControlPlane))
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("None of the nodes is a control-plane node: a deploy needs one (role: control-plane in the cluster file)."),
                "NoControlPlaneNode", ErrorCategory.InvalidArgument, nodes));

        var recorder = new DeployRecorder(host, nodes);
        RunPhases(nodes, DeployPlan.Phases(options), recorder, cancellation);
        host.WriteObject(recorder.Result(nodes[0].Cluster?.Name ?? ""));
    }

    private DeployOptions Options() => new()
    {
        Preparation = new NodePreparationOptions
        {
            NtpServers = NtpServer, FallbackNtpServers = FallbackNtpServer,
            IptablesBackend = CoreEnum.ParseOptional<IptablesBackend>(IptablesBackend), RebootTimeout = TimeSpan.FromSeconds(RebootTimeout),
        },
        Runtime = { LockTimeout = TimeSpan.FromSeconds(LockTimeout) },
        Packages = { LockTimeout = TimeSpan.FromSeconds(LockTimeout) },
        ImagePullTimeout = TimeSpan.FromMinutes(ImagePullTimeout),
        InitTimeout = TimeSpan.FromMinutes(InitTimeout),
        PodNetworkReadyTimeout = TimeSpan.FromSeconds(ReadyTimeout),
        Join = new Workers.JoinOptions { ReadyTimeout = TimeSpan.FromSeconds(ReadyTimeout) },
        Kubeconfig = SkipKubeconfig ? null : new KubeconfigOptions(
            KubeconfigFilePath(KubeconfigPath),
            Server, SwitchContext),
    };
}
