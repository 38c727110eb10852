using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Hosting;
using PiCluster.Steps.Runtime;

namespace PiCluster.Commands;

/// <summary>Install-PiContainerRuntime: containerd (default) or CRI-O, configured the way kubelet needs, verified through the CRI socket.</summary>
[Cmdlet(VerbsLifecycle.Install, "PiContainerRuntime", SupportsShouldProcess = true, DefaultParameterSetName = NodeSet)]
[OutputType(typeof(StepResult))]
public sealed class InstallPiContainerRuntimeCommand : PiNodeCommandBase
{
    /// <summary>The runtime; without it, runtime.name from the cluster file (containerd when there is none).</summary>
    [Parameter]
    [ValidateSet(nameof(ContainerRuntime.Containerd), nameof(ContainerRuntime.CriO))]
    public string? Runtime { get; set; }

    /// <summary>The Kubernetes version the runtime serves (picks the pause image); without it, kubernetes.version from the cluster file.</summary>
    [Parameter]
    [ValidatePiValue(PiValue.KubernetesVersion)]
    public string? KubernetesVersion { get; set; }

    /// <summary>Seconds to wait for the apt/dpkg lock (held by unattended-upgrades at first boot, for example).</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeout { get; set; } = 300;

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) =>
        RunSteps(nodes, new NodeStep[]
        {
            new ContainerRuntimeStep(new ContainerRuntimeOptions { Runtime = CoreEnum.ParseOptional<ContainerRuntime>(Runtime), KubernetesVersion = KubernetesVersion, LockTimeout = TimeSpan.FromSeconds(LockTimeout) }),
        }, host, cancellation);
}
