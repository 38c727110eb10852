using System;
using System.Collections.Generic;
using System.Text;
using System.Threading.Tasks;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.Workers;

/// <summary>What a worker's kubelet is set up for.</summary>
/// <param name="HasKubeletConf">/etc/kubernetes/kubelet.conf exists: the node has joined some cluster.</param>
/// <param name="CaPin">The pin of the CA the worker trusts (its pki/ca.crt, else kubelet.conf's CA data); null when it has none.</param>
public sealed record WorkerKubelet(bool HasKubeletConf, string? CaPin)
{
    /// <inheritdoc />
    public override string ToString() => HasKubeletConf ? $"kubelet.conf present, CA {CaPin ?? "unknown"}" : "not joined (no kubelet.conf)";
}

/// <summary>Reads each worker's kubelet state (read-only), for the token and join phases.</summary>
public sealed class WorkerFactsPhase : ClusterPhase
{
    /// <summary>Per worker: its kubelet state.</summary>
    public static readonly PhaseOutput<WorkerKubelet> Kubelet = new("WorkerKubelet", "worker's kubelet state", OutputScope.Node);

    private static readonly PhaseOutput[] OutputList = { Kubelet };

    private static readonly RemoteCommand Facts = new(RemoteScripts.Compose("join-worker-facts"),
        asRoot: true, display: "WorkerFacts: read kubelet.conf and the CA the worker trusts");

    /// <inheritdoc />
    public override string Name => "WorkerFacts";

    /// <inheritdoc />
    public override PhaseTargets Targets => PhaseTargets.Workers;

    /// <inheritdoc />
    public override IReadOnlyList<PhaseOutput> Outputs => OutputList;

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(PhaseContext context) => new[] { Facts };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(PhaseContext context)
    {
        var result = await context.Session.RunAsync(Facts, context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"could not read the worker's kubelet state: {ControlPlaneNodes.Tail(result.Stderr)}");
        var output = SectionedOutput.Parse(result.Stdout);
        var ca = output.GetBytes("ca") ?? CaData(output.GetOr("ca_data", ""));
        string? pin = null;
        if (ca is not null)
        {
            try { pin = CaPin.Of(ca); }
            catch (ArgumentException e) { context.Verbose($"{context.Node.Name}: {Name}: the CA on the worker is unreadable ({e.Message}); it counts as another cluster's"); }
        }
        var kubelet = new WorkerKubelet(output.GetOr("kubelet_conf", "no") == "yes", pin);
        context.Set(Kubelet, kubelet);
        return StepPlan.Unchanged(kubelet);
    }

    /// <inheritdoc />
    public override Task<object?> ApplyAsync(StepPlan plan, PhaseContext context) => Task.FromResult<object?>(null);

    private static byte[]? CaData(string base64)
    {
        if (base64.Length == 0) return null;
        try { return Convert.FromBase64String(base64); }
        catch (FormatException) { return Encoding.ASCII.GetBytes(base64); }
    }
}
