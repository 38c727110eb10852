using System.Collections.Generic;
using System;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.ControlPlane;

/// <summary>
/// Runs <c>kubeadm init --config</c> on the leader. Its output holds the bootstrap token and, with uploaded
/// certificates, the certificate key: both are registered with the run's redactor before any of the output is used,
/// and the join command is never shown. A failed init is undone (<c>kubeadm reset -f</c> and what reset leaves behind)
/// so that a re-run starts clean.
/// </summary>
public sealed class KubeadmInitPhase : ClusterPhase
{
    // "--token abcdef.0123456789abcdef", "--certificate-key <64 hex>", and any bare token kubeadm prints.
    private static readonly Regex Secrets = new(
        @"--token[ =]+(\S+)|--certificate-key[ =]+(\S+)|(?<![a-z0-9])([a-z0-9]{6}\.[a-z0-9]{16})(?![a-z0-9])", RegexOptions.CultureInvariant);

    private static readonly Regex ErrorLine = new(@"^(\[ERROR|error|\[preflight\] Some fatal|.*: error|.*failed)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    /// <summary>Creates the phase.</summary>
    /// <param name="timeout">How long kubeadm init may take (a Pi is slow).</param>
    public KubeadmInitPhase(TimeSpan timeout) => Timeout = timeout;

    /// <summary>How long kubeadm init may take.</summary>
    public TimeSpan Timeout { get; }

    /// <inheritdoc />
    public override string Name => "Init";

    /// <inheritdoc />
    public override PhaseTargets Targets => PhaseTargets.Leader;

    /// <inheritdoc />
    public override Task<StepPlan> PlanAsync(PhaseContext context) => ControlPlaneNodes.UnlessClusterRunning(context,
        $"kubeadm init --config {KubeadmConfiguration.RemotePath}: the control plane on {context.Node.LanAddress}:{KubeadmConfiguration.BindPort}");

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, PhaseContext context)
    {
        var command = ControlPlaneNodes.KubeadmCommand("kubeadm-init", $"{Name}: kubeadm init --config {KubeadmConfiguration.RemotePath}", Timeout);
        var result = await context.Session.RunAsync(command, context.Cancellation).ConfigureAwait(false);
        // First, before any of this text can reach a message or a stream.
        RegisterSecrets(context.Redactor, result.Stdout + "\n" + result.Stderr);
        if (!result.Succeeded)
        {
            var lines = result.Stderr.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => ErrorLine.IsMatch(l)).ToList();
            var detail = lines.Count > 0 ? string.Join(" | ", lines.TakeLast(10)) : ControlPlaneNodes.Tail(result.Stderr + "\n" + result.Stdout);
            throw new NodeException(NodeErrorKind.KubeadmInitFailed, context.Redactor.Redact(
                $"kubeadm init failed (exit code {result.ExitCode}); PiCluster resets the node (kubeadm reset -f) so that a re-run starts clean. kubeadm said: {detail}"));
        }
        context.Verbose($"{context.Node.Name}: {Name}: kubeadm init done; the API server answers on {context.Node.LanAddress}:{KubeadmConfiguration.BindPort}");

        // kubeadm init always makes a bootstrap token (the configuration gives it PiCluster's description and a short TTL).
        // Joins make their own, one per run: this one goes now instead of lingering.
        var deleted = await context.Session.RunAsync(BootstrapTokens.Delete($"{Name}: delete the bootstrap token kubeadm init made"), context.Cancellation).ConfigureAwait(false);
        if (!deleted.Succeeded)
            context.Warning($"{context.Node.Name}: {Name}: could not delete the bootstrap token kubeadm init made (it expires after {KubeadmConfiguration.InitTokenTtl}): {ControlPlaneNodes.Tail(deleted.Stderr, 3)}");
        return null;
    }

    /// <inheritdoc />
    public override async Task CleanUpAsync(StepPlan plan, PhaseContext context)
    {
        var result = await context.Session.RunAsync(new RemoteCommand(RemoteScripts.Compose("kubeadm-reset"), asRoot: true, timeout: TimeSpan.FromMinutes(5),
            display: $"{Name}: kubeadm reset -f and remove what it leaves"), context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"kubeadm reset -f failed: {ControlPlaneNodes.Tail(result.Stderr)}");
        context.Verbose($"{context.Node.Name}: {Name}: reset after the failed init ({ControlPlaneNodes.Tail(result.Stdout, 20)})");
    }

    /// <summary>Registers every bootstrap token and certificate key found in kubeadm's output.</summary>
    internal static void RegisterSecrets(Redactor redactor, string output)
    {
        foreach (Match match in Secrets.Matches(output))
            for (var group = 1; group <= 3; group++)
                if (match.Groups[group].Success)
                    redactor.Add(match.Groups[group].Value.Trim('"', '\'', '\\'));
    }
}
