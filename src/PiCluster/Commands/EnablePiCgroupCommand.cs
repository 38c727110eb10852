using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;

namespace PiCluster.Commands;

/// <summary>
/// Enable-PiCgroup: adds the cgroup flags to the boot command line (cmdline.txt or GRUB), atomically with a backup.
/// Takes effect at the next boot (RebootRequired); Restart-PiNode then verifies /proc/cmdline.
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "PiCgroup", DefaultParameterSetName = NodeSet, SupportsShouldProcess = true)]
[OutputType(typeof(StepResult))]
public sealed class EnablePiCgroupCommand : PiNodeCommandBase
{
    /// <inheritdoc />
    protected override void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation) =>
        RunSteps(nodes, new NodeStep[] { new CgroupStep() }, host, cancellation);
}
