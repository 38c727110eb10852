using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Steps.NodePrep;
using PiCluster.Transport;

namespace PiCluster.ControlPlane;

/// <summary>
/// Writes the kubeadm configuration (<see cref="KubeadmConfiguration"/>) to the leader, mode 0600, shown as a diff under
/// -WhatIf, after refusing subnets that overlap a node's LAN address or networks. On a leader that already runs a
/// cluster it changes nothing: it reports the settings that differ from the file (a warning and a Skipped result).
/// </summary>
public sealed class KubeadmConfigPhase : ClusterPhase
{
    /// <summary>Whether a cluster runs already, for the image-pull and init phases.</summary>
    public static readonly PhaseOutput<ControlPlaneStatus> Status = new("ControlPlaneStatus", "control-plane status");

    private static readonly PhaseOutput[] OutputList = { Status };

    private static readonly RemoteCommand Facts = new(
        RemoteScripts.Compose("control-plane-facts", new Dictionary<string, string> { ["PICLUSTER_CONFIG"] = KubeadmConfiguration.RemotePath }),
        asRoot: true, display: "KubeadmConfig: read kubeadm's version, the configuration and whether a cluster runs");

    private readonly Func<string, byte[]> _readLocalFile;

    /// <summary>Creates the phase.</summary>
    /// <param name="readLocalFile">Reads network.manifest when it is a file on this machine (tests replace it).</param>
    public KubeadmConfigPhase(Func<string, byte[]>? readLocalFile = null) => _readLocalFile = readLocalFile ?? System.IO.File.ReadAllBytes;

    /// <inheritdoc />
    public override string Name => "KubeadmConfig";

    /// <inheritdoc />
    public override PhaseTargets Targets => PhaseTargets.Leader;

    /// <inheritdoc />
    public override IReadOnlyList<PhaseOutput> Outputs => OutputList;

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(PhaseContext context) => new[] { Facts };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(PhaseContext context)
    {
        var node = context.Node;
        var cluster = ControlPlaneNodes.ClusterOf(node);
        var definition = ControlPlaneNodes.DefinitionOf(cluster, node);
        var result = await context.Session.RunAsync(Facts, context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"could not read the control plane's state: {ControlPlaneNodes.Tail(result.Stderr)}");
        var output = SectionedOutput.Parse(result.Stdout);
        var facts = new ControlPlaneFacts(output.GetOr("kubeadm_version", ""), node.LanAddress, output.GetOr("hostname", ""),
            CriSockets.ForRuntime(cluster.Runtime.Name));

        if (output.GetOr("admin_conf", "no") == "yes")
            return Running(context, cluster, definition, facts, output);

        ControlPlaneNodes.RefuseConflicts(CidrSafety.Check(cluster,
            ControlPlaneNodes.NetworksOf(cluster, name => Networks(context, name)), LocalManifestPools(cluster)));
        context.Set(Status, new ControlPlaneStatus(false, Array.Empty<SettingDifference>()));
        if (output.GetOr("kubeadm_installed", "yes") == "no")
            return BeforeKubeadm(cluster, definition, facts, output.GetBytes("config"));
        var problems = KubeadmConfiguration.Check(cluster, definition, facts);
        if (problems.Count > 0)
            throw new NodeException(NodeErrorKind.InvalidNodeState, string.Join(" ", problems));
        var edit = FileEdit.ToText(KubeadmConfiguration.RemotePath, output.GetBytes("config"),
            KubeadmConfiguration.Generate(cluster, definition, facts), mode: "0600");
        return new StepPlan(edit.IsNeeded ? new[] { edit.ToChange($"write the kubeadm configuration {KubeadmConfiguration.RemotePath} (mode 0600)") } : Array.Empty<Change>(), edit);
    }

    /// <summary>The plan on a node without kubeadm: shown, never applied (the configuration names kubeadm's exact version).</summary>
    private sealed record WithoutKubeadm(string Version);

    // Without kubeadm (-WhatIf before Install-PiKubernetes, or Deploy-PiCluster -WhatIf on a fresh node) the plan shows the
    // configuration kubeadm of the file's version would get, the patch a placeholder unless the file pins one; the
    // apply refuses.
    private static StepPlan BeforeKubeadm(Clusters.ClusterDefinition cluster, Clusters.NodeDefinition definition, ControlPlaneFacts facts, byte[]? existing)
    {
        var wanted = cluster.Kubernetes.Version;
        var pinned = wanted.Count(c => c == '.') == 2;
        var assumed = facts with { KubeadmVersion = "v" + FirstPatch(wanted) };
        var problems = KubeadmConfiguration.Check(cluster, definition, assumed);
        if (problems.Count > 0)
            throw new NodeException(NodeErrorKind.InvalidNodeState, string.Join(" ", problems));
        var version = pinned ? $"v{wanted}" : $"<the newest {wanted} patch, which the Packages phase (Install-PiKubernetes) installs>";
        var text = KubeadmConfiguration.Generate(cluster, definition, assumed);
        if (!pinned) text = text.Replace($"kubernetesVersion: {assumed.KubeadmVersion}\n", $"kubernetesVersion: {version}\n", StringComparison.Ordinal);
        var edit = FileEdit.ToText(KubeadmConfiguration.RemotePath, existing, text, mode: "0600");
        var change = edit.ToChange($"write the kubeadm configuration {KubeadmConfiguration.RemotePath} (mode 0600) for kubeadm {(pinned ? version : wanted + ".x")}, " +
                                   "once kubeadm is installed (it is not yet)");
        return new StepPlan(new[] { change }, new WithoutKubeadm(version));
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, PhaseContext context)
    {
        if (plan.Facts is WithoutKubeadm)
            throw new NodeException(NodeErrorKind.InvalidNodeState,
                "kubeadm is not installed, and the configuration names its exact version: run Install-PiKubernetes first (Deploy-PiCluster does, in its Packages phase).");
        var edit = (FileEdit)plan.Facts!;
        var result = await context.Session.RunAsync(new RemoteCommand(RemoteScripts.Compose("prep-write-files", FileEdit.Writes(edit)), asRoot: true,
            display: $"{Name}: write {edit.Path}"), context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw FileEdit.DiskFullError(context.Node, Name, result)
                ?? new NodeException(NodeErrorKind.StepFailed, $"could not write {edit.Path}: {ControlPlaneNodes.Tail(result.Stderr)}");
        return null;
    }

    // A network.manifest on this machine is checked now, before init: its pool must be patchable to the pod subnet.
    // A URL or the pin is fetched and checked by Install-PiPodNetwork.
    private IReadOnlyList<CniPoolSetting>? LocalManifestPools(Clusters.ClusterDefinition cluster)
    {
        var source = CniManifests.Resolve(cluster);
        if (source.Origin != ManifestOrigin.ClusterFile || source.Location.Contains("://", StringComparison.Ordinal))
            return null;
        byte[] content;
        try { content = _readLocalFile(source.Location); }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException)
        {
            throw new NodeException(NodeErrorKind.StepFailed, $"could not read network.manifest {source.Location}: {e.Message}", e);
        }
        try { return CniManifestPatcher.Patch(source.Plugin, Encoding.UTF8.GetString(content), cluster.Kubernetes.PodSubnet).Pools; }
        catch (CniManifestException e)
        {
            throw new NodeException(NodeErrorKind.SubnetConflict,
                $"refused before any change: the {source.Plugin} pool of network.manifest {source.Location} cannot be set to kubernetes.podSubnet {cluster.Kubernetes.PodSubnet}: {e.Message}", e);
        }
    }

    private static NodeNetworkFacts? Networks(PhaseContext context, string name)
    {
        var node = context.State.Nodes.FirstOrDefault(n => n.Name == name);
        return node is not null && context.State.TryGet(NetworkFactsPhase.Networks, node, out var facts) && facts.IsKnown ? facts.Value : null;
    }

    // A running cluster is never initialised again, nor "fixed": what differs from the file is reported.
    private StepPlan Running(PhaseContext context, Clusters.ClusterDefinition cluster, Clusters.NodeDefinition definition, ControlPlaneFacts facts, SectionedOutput output)
    {
        var running = output.GetBytes("running");
        if (running is null)
            throw new NodeException(NodeErrorKind.InvalidNodeState,
                $"the node holds /etc/kubernetes/admin.conf but its cluster's kubeadm-config could not be read, so PiCluster will not touch it: {output.GetOr("running_error", "")}");
        string runningConfiguration;
        try
        {
            using var json = JsonDocument.Parse(running);
            runningConfiguration = json.RootElement.GetProperty("data").GetProperty("ClusterConfiguration").GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new NodeException(NodeErrorKind.InvalidNodeState, $"the kubeadm-config ConfigMap has no readable ClusterConfiguration: {e.Message}", e);
        }
        // The desired file may not generate (kubeadm was upgraded past the file's version): compare the file's own values then.
        var desired = KubeadmConfiguration.Check(cluster, definition, facts).Count == 0
            ? KubeadmConfiguration.Generate(cluster, definition, facts)
            : KubeadmConfiguration.Generate(cluster, definition, facts with { KubeadmVersion = "v" + FirstPatch(cluster.Kubernetes.Version) });
        var differences = KubeadmConfiguration.DifferencesFromRunning(runningConfiguration, desired);
        var status = new ControlPlaneStatus(true, differences);
        context.Set(Status, status);
        if (differences.Count == 0)
            return StepPlan.Unchanged(status);
        var message = $"the cluster running on {context.Node.Name} differs from the cluster file, and PiCluster does not change a running cluster's settings (that means rebuilding it): {ControlPlaneNodes.Describe(differences)}";
        context.Warning(message);
        return new StepPlan(Array.Empty<Change>(), status, skipReason: message);
    }

    // kubernetes.version "1.34" stands for its first patch when only the file's values are compared.
    private static string FirstPatch(string version) => version.Count(c => c == '.') == 1 ? version + ".0" : version;
}
