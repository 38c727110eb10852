using System;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.ControlPlane;

/// <summary>
/// Pulls the control-plane images before <c>kubeadm init</c> (<c>kubeadm config images pull --config</c>): on an SD
/// card this takes minutes, and as its own phase it shows its own progress and fails with its own error.
/// </summary>
public sealed class ImagePullPhase : ClusterPhase
{
    /// <summary>Creates the phase.</summary>
    /// <param name="timeout">How long the pull may take.</param>
    public ImagePullPhase(TimeSpan timeout) => Timeout = timeout;

    /// <summary>How long the pull may take.</summary>
    public TimeSpan Timeout { get; }

    /// <inheritdoc />
    public override string Name => "Images";

    /// <inheritdoc />
    public override PhaseTargets Targets => PhaseTargets.Leader;

    /// <inheritdoc />
    public override Task<StepPlan> PlanAsync(PhaseContext context) => ControlPlaneNodes.UnlessClusterRunning(context,
        $"pull the control-plane images (kubeadm config images pull --config {KubeadmConfiguration.RemotePath})");

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, PhaseContext context)
    {
        var command = ControlPlaneNodes.KubeadmCommand("kubeadm-images", $"{Name}: kubeadm config images pull --config {KubeadmConfiguration.RemotePath}", Timeout);
        var result = await context.Session.RunAsync(command, context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed,
                $"kubeadm config images pull failed (exit code {result.ExitCode}): {ControlPlaneNodes.Tail(result.Stderr + "\n" + result.Stdout)}");
        var pulled = result.Stdout.Split('\n').Count(l => l.Contains("Pulled", StringComparison.Ordinal));
        context.Verbose($"{context.Node.Name}: {Name}: pulled {pulled} images");
        return null;
    }
}
