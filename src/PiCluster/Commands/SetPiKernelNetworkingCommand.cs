using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Hosting;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Commands;

/// <summary>
/// Set-PiKernelNetworking: overlay and br_netfilter loaded now and at boot, the bridge-netfilter and forwarding sysctls
/// 1 now and at boot; reports the iptables backend and switches it with -IptablesBackend.
/// </summary>
[Cmdlet(VerbsCommon.Set, "PiKernelNetworking", DefaultParameterSetName = NodeSet, SupportsShouldProcess = true)]
[OutputType(typeof(StepResult))]
public sealed class SetPiKernelNetworkingCommand : PiNodeCommandBase
{
    /// <summary>Switch iptables to this backend (Legacy or Nft); omitted, the backend is only reported.</summary>
    [Parameter]
    [ValidateSet(nameof(Steps.NodePrep.IptablesBackend.Legacy), nameof(Steps.NodePrep.IptablesBackend.Nft))]
    public string? IptablesBackend { get; set; }

    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) =>
        RunSteps(nodes, new NodeStep[] { new KernelNetworkingStep(CoreEnum.ParseOptional<IptablesBackend>(IptablesBackend)) }, host, cancellation);
}
