using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.ControlPlane;

/// <summary>What the pod-network phase planned to apply.</summary>
/// <param name="Source">Where the manifest came from and the hash it was checked against.</param>
/// <param name="Manifest">The patched manifest, as it goes to kubectl on stdin.</param>
/// <param name="Sha256">The patched manifest's SHA-256, recorded on the leader once its DaemonSet runs.</param>
/// <param name="Pods">The plugin's DaemonSet pods as they were when planned.</param>
public sealed record PodNetworkPlan(ManifestSource Source, string Manifest, string Sha256, IReadOnlyList<PodState> Pods)
{
    /// <inheritdoc />
    public override string ToString() => $"{Source.Plugin} {Source.Pin.Version} manifest {Sha256}";
}

/// <summary>One pod of the plugin's DaemonSet.</summary>
/// <param name="Name">The pod's name.</param>
/// <param name="Phase">Its status.phase (Pending, Running, ...).</param>
/// <param name="Ready">Every container reports ready.</param>
public sealed record PodState(string Name, string Phase, bool Ready)
{
    /// <summary>Running with every container ready.</summary>
    public bool IsRunning => Phase == "Running" && Ready;

    /// <inheritdoc />
    public override string ToString() => IsRunning ? $"{Name} Running" : $"{Name} {Phase}{(Phase == "Running" ? " (not ready)" : "")}";
}

/// <summary>
/// Installs the CNI plugin from the leader: the manifest (the product's pin, or the cluster file's network.manifest,
/// fetched with curl on the leader when it is a URL) is checked against its SHA-256, patched to the pod subnet
/// (<see cref="CniManifestPatcher"/>, the diff shown under -WhatIf), applied with the admin kubeconfig on stdin, and
/// verified by the plugin's DaemonSet pods. Unchanged when the leader's record of the applied manifest matches and the
/// pods run.
/// </summary>
public sealed class PodNetworkPhase : ClusterPhase
{
    /// <summary>Where the leader records the SHA-256 of the manifest PiCluster applied and verified (mode 0600).</summary>
    public const string RecordPath = "/etc/kubernetes/picluster-cni.sha256";

    // pod-network-apply.sh's exit code when the leader holds no admin.conf.
    private const int NoClusterExitCode = 3;

    private readonly string? _plugin;
    private readonly Func<string, byte[]> _readLocalFile;

    /// <summary>Creates the phase.</summary>
    /// <param name="plugin">flannel, calico or canal; null for the cluster file's network.plugin.</param>
    /// <param name="readyTimeout">How long to wait for the DaemonSet's pods to run.</param>
    /// <param name="pollInterval">How often to look at them meanwhile.</param>
    /// <param name="readLocalFile">Reads a manifest file on this machine (tests replace it).</param>
    public PodNetworkPhase(string? plugin, TimeSpan readyTimeout, TimeSpan? pollInterval = null, Func<string, byte[]>? readLocalFile = null)
    {
        _plugin = plugin;
        ReadyTimeout = readyTimeout;
        PollInterval = pollInterval ?? TimeSpan.FromSeconds(5);
        _readLocalFile = readLocalFile ?? File.ReadAllBytes;
    }

    /// <summary>How long to wait for the DaemonSet's pods to run.</summary>
    public TimeSpan ReadyTimeout { get; }

    /// <summary>How often to look at the pods while waiting.</summary>
    public TimeSpan PollInterval { get; }

    /// <inheritdoc />
    public override string Name => "PodNetwork";

    /// <inheritdoc />
    public override PhaseTargets Targets => PhaseTargets.Leader;

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(PhaseContext context) =>
        context.Node.Cluster is { } cluster ? new[] { FactsCommand(CniManifests.Resolve(cluster, _plugin)) } : Array.Empty<RemoteCommand>();

    private RemoteCommand FactsCommand(ManifestSource source) => new(
        RemoteScripts.Compose("pod-network-facts", new Dictionary<string, string>
        {
            ["PICLUSTER_URL"] = IsUrl(source.Location) ? source.Location : "",
            ["PICLUSTER_RECORD"] = RecordPath,
        }),
        asRoot: true, display: $"{Name}: read the {source.Plugin} DaemonSet's pods{(IsUrl(source.Location) ? " and fetch " + source.Location : "")}");

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(PhaseContext context)
    {
        var cluster = ControlPlaneNodes.ClusterOf(context.Node);
        var source = CniManifests.Resolve(cluster, _plugin);
        var result = await context.Session.RunAsync(FactsCommand(source), context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"could not read the pod network's state: {ControlPlaneNodes.Tail(result.Stderr)}");
        var output = SectionedOutput.Parse(result.Stdout);
        // Without a cluster the plan still shows the checked, patched manifest (-WhatIf before Initialize-PiControlPlane);
        // the apply refuses.
        var clusterRuns = output.GetOr("admin_conf", "no") == "yes";
        // In a run whose Init phase comes first (Deploy-PiCluster), no cluster yet is what that phase is for.
        var initFirst = context.State.TryGet(KubeadmConfigPhase.Status, out var status) && status.IsKnown && !status.Value.ClusterRunning;
        if (!clusterRuns && !initFirst)
            context.Warning($"{context.Node.Name}: no cluster runs here yet (no /etc/kubernetes/admin.conf): run Initialize-PiControlPlane before Install-PiPodNetwork.");

        byte[] content;
        try { content = ManifestBytes(source, output); }
        catch (NodeException e) when (source.ExpectedSha256 is null)
        {
            // Nothing could be trusted even if it had come: say what to do about the missing hash first.
            throw new NodeException(NodeErrorKind.ManifestUntrusted,
                $"PiCluster has no SHA-256 to check {source.Plugin} {source.Pin.Version}'s manifest {source.Location} against ({e.Message}): download and verify the file, then set network.manifest to it and network.manifestSha256 to its hash.", e);
        }
        var check = ManifestIntegrity.Check(source, content);
        if (!check.Passed)
            throw new NodeException(NodeErrorKind.ManifestUntrusted, check.Message);
        context.Verbose($"{context.Node.Name}: {Name}: {check.Message}");

        ManifestPatch patch;
        try { patch = CniManifestPatcher.Patch(source.Plugin, Encoding.UTF8.GetString(content), cluster.Kubernetes.PodSubnet); }
        catch (CniManifestException e) { throw new NodeException(NodeErrorKind.StepFailed, $"the {source.Plugin} manifest {source.Location} cannot be patched to the pod subnet: {e.Message}", e); }
        ControlPlaneNodes.RefuseConflicts(CidrSafety.Check(cluster, ControlPlaneNodes.NetworksOf(cluster, _ => null), patch.Pools));

        var sha = ManifestIntegrity.Sha256(Encoding.UTF8.GetBytes(patch.Patched));
        var pods = output.GetBytes("pods") is { } json ? PodsOf(json, source.Pin.DaemonSetNamespace, source.Pin.DaemonSetName) : Array.Empty<PodState>();
        var planned = new PodNetworkPlan(source, patch.Patched, sha, pods);
        var recorded = output.GetBytes("record") is { } record ? Encoding.UTF8.GetString(record).Trim() : "";
        if (recorded == sha && pods.Count > 0 && pods.All(p => p.IsRunning))
            return StepPlan.Unchanged(planned);

        var what = $"apply the {source.Plugin} {source.Pin.Version} manifest ({source.Location}, SHA-256 verified)"
            + (patch.Changed ? $" patched to the pod subnet {cluster.Kubernetes.PodSubnet}" : "")
            + $" and wait for DaemonSet {source.Pin.DaemonSetNamespace}/{source.Pin.DaemonSetName}"
            + (clusterRuns ? "" : " (once the Init phase has created the cluster)");
        var label = Path.GetFileName(source.Location.Split('?')[0]);
        return new StepPlan(new[] { new Change(what, patch.Changed ? patch.Diff(label.Length > 0 ? label : "manifest") : null) }, planned);
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, PhaseContext context)
    {
        var planned = (PodNetworkPlan)plan.Facts!;
        var pin = planned.Source.Pin;
        // The manifest is data on stdin, never part of the script.
        var applied = await context.Session.RunAsync(new RemoteCommand(RemoteScripts.Compose("pod-network-apply"), asRoot: true, input: planned.Manifest,
            timeout: TimeSpan.FromMinutes(5), display: $"{Name}: kubectl apply -f - (the patched {pin.Plugin} manifest)"), context.Cancellation).ConfigureAwait(false);
        if (applied.ExitCode == NoClusterExitCode)
            throw new NodeException(NodeErrorKind.InvalidNodeState, "no cluster runs here (no /etc/kubernetes/admin.conf): run Initialize-PiControlPlane first.");
        if (!applied.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"kubectl apply of the {pin.Plugin} manifest failed (exit code {applied.ExitCode}): {ControlPlaneNodes.Tail(applied.Stderr + "\n" + applied.Stdout)}");
        context.Verbose($"{context.Node.Name}: {Name}: {ControlPlaneNodes.Tail(applied.Stdout, 40)}");

        var pods = await WaitForPodsAsync(context, pin).ConfigureAwait(false);
        var recorded = await context.Session.RunAsync(new RemoteCommand(RemoteScripts.Compose("pod-network-record",
            new Dictionary<string, string> { ["PICLUSTER_RECORD"] = RecordPath, ["PICLUSTER_SHA256"] = planned.Sha256 }), asRoot: true,
            display: $"{Name}: record the applied manifest's SHA-256 in {RecordPath}"), context.Cancellation).ConfigureAwait(false);
        if (!recorded.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"could not write {RecordPath}: {ControlPlaneNodes.Tail(recorded.Stderr)}");
        return planned with { Pods = pods };
    }

    private async Task<IReadOnlyList<PodState>> WaitForPodsAsync(PhaseContext context, PinnedManifest pin)
    {
        var command = new RemoteCommand(RemoteScripts.Compose("pod-network-pods",
            new Dictionary<string, string> { ["PICLUSTER_NAMESPACE"] = pin.DaemonSetNamespace }), asRoot: true,
            display: $"{Name}: read the pods of DaemonSet {pin.DaemonSetNamespace}/{pin.DaemonSetName}");
        var deadline = DateTime.UtcNow + ReadyTimeout;
        IReadOnlyList<PodState> pods = Array.Empty<PodState>();
        var last = "";
        while (true)
        {
            var result = await context.Session.RunAsync(command, context.Cancellation).ConfigureAwait(false);
            if (result.Succeeded)
            {
                pods = PodsOf(Encoding.UTF8.GetBytes(result.Stdout), pin.DaemonSetNamespace, pin.DaemonSetName);
                if (pods.Count > 0 && pods.All(p => p.IsRunning))
                {
                    context.Verbose($"{context.Node.Name}: {Name}: {string.Join(", ", pods)}");
                    return pods;
                }
            }
            else
            {
                last = ControlPlaneNodes.Tail(result.Stderr, 3);
            }
            if (DateTime.UtcNow + PollInterval > deadline) break;
            await Task.Delay(PollInterval, context.Cancellation).ConfigureAwait(false);
        }
        var state = pods.Count == 0 ? $"it has no pods yet{(last.Length > 0 ? " (kubectl: " + last + ")" : "")}"
            : "not Running: " + string.Join(", ", pods.Where(p => !p.IsRunning));
        throw new NodeException(NodeErrorKind.Timeout,
            $"the manifest was applied, but after {ReadyTimeout.TotalSeconds:0} s the pods of DaemonSet {pin.DaemonSetNamespace}/{pin.DaemonSetName} are {state}; see kubectl -n {pin.DaemonSetNamespace} describe pods.");
    }

    private byte[] ManifestBytes(ManifestSource source, SectionedOutput output)
    {
        if (IsUrl(source.Location))
            return output.GetBytes("manifest") ?? throw new NodeException(NodeErrorKind.StepFailed,
                $"could not fetch {source.Location} on the leader: {output.GetOr("manifest_error", "curl printed nothing")}");
        try { return _readLocalFile(source.Location); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeException(NodeErrorKind.StepFailed, $"could not read the manifest {source.Location} (network.manifest): {e.Message}", e);
        }
    }

    private static bool IsUrl(string location) =>
        location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The pods DaemonSet <paramref name="namespace"/>/<paramref name="daemonSet"/> owns, from <c>kubectl get pods -o json</c>.</summary>
    internal static IReadOnlyList<PodState> PodsOf(byte[] json, string @namespace, string daemonSet)
    {
        var pods = new List<PodState>();
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array) return pods;
            foreach (var pod in items.EnumerateArray())
            {
                var metadata = pod.GetProperty("metadata");
                // The facts list every namespace's pods (the cluster checks' question, asked once per batch).
                if (Text(metadata, "namespace") is { Length: > 0 } podNamespace && podNamespace != @namespace) continue;
                var owned = metadata.TryGetProperty("ownerReferences", out var owners) && owners.ValueKind == JsonValueKind.Array
                    && owners.EnumerateArray().Any(o => Text(o, "kind") == "DaemonSet" && Text(o, "name") == daemonSet);
                if (!owned) continue;
                var status = pod.TryGetProperty("status", out var s) ? s : default;
                var phase = status.ValueKind == JsonValueKind.Object ? Text(status, "phase") : "";
                var ready = status.ValueKind == JsonValueKind.Object && status.TryGetProperty("containerStatuses", out var containers)
                    && containers.ValueKind == JsonValueKind.Array && containers.GetArrayLength() > 0
                    && containers.EnumerateArray().All(c => c.TryGetProperty("ready", out var r) && r.ValueKind == JsonValueKind.True);
                pods.Add(new PodState(Text(metadata, "name"), phase.Length > 0 ? phase : "Unknown", ready));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new NodeException(NodeErrorKind.StepFailed, $"kubectl get pods did not print the JSON expected: {e.Message}", e);
        }
        return pods;
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
