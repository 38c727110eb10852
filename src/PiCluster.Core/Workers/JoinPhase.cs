using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.Workers;

/// <summary>What the join phase planned on a worker.</summary>
/// <param name="Reset">The worker's kubelet belongs to another cluster (or to a join this cluster does not know): reset first.</param>
/// <param name="CriSocket">The container runtime's CRI endpoint.</param>
public sealed record WorkerJoinPlan(bool Reset, string CriSocket);

/// <summary>A node as <c>kubectl get nodes -o json</c> reports it.</summary>
/// <param name="Name">The node's name.</param>
/// <param name="Ready">Its Ready condition is True.</param>
/// <param name="Reason">The Ready condition's reason and message, when not Ready.</param>
public sealed record RegisteredNode(string Name, bool Ready, string Reason);

/// <summary>
/// On each worker not yet in the cluster: resets a kubelet of another cluster, writes the JoinConfiguration (mode 0600,
/// from stdin, removed after the join), runs <c>kubeadm join --config</c> and waits, bounded, for the node to be Ready.
/// A failed join is undone (<c>kubeadm reset -f</c> and what it leaves) so a re-run starts clean; a node that joined but
/// is not Ready in time stays joined (it is registered, and often only waits for the pod network).
/// </summary>
public sealed class JoinPhase : ClusterPhase
{
    private const string TokenStandIn = "<bootstrap token>";

    private static readonly Regex ErrorLine = new(@"^(\[ERROR|error|.*couldn't|.*unable to|.*failed|.*timed out)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    private readonly JoinOptions _options;
    private readonly ConcurrentDictionary<string, bool> _joined = new(StringComparer.Ordinal);

    /// <summary>Creates the phase.</summary>
    public JoinPhase(JoinOptions options) => _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc />
    public override string Name => "Join";

    /// <inheritdoc />
    public override PhaseTargets Targets => PhaseTargets.Workers;

    /// <inheritdoc />
    public override bool NeedsLeader => true;

    /// <inheritdoc />
    public override Task<StepPlan> PlanAsync(PhaseContext context)
    {
        var node = context.Node;
        var kubelet = context.State.Get(WorkerFactsPhase.Kubelet, node).Value;
        var cluster = context.State.Get(JoinTokenPhase.Cluster).Value;
        if (cluster.HasJoined(node.Name, kubelet))
            return Task.FromResult(StepPlan.Unchanged($"registered as {node.Name}; its kubelet trusts the cluster's CA {cluster.CaPin}"));

        var criSocket = CriSockets.ForRuntime(ControlPlaneNodes.ClusterOf(node).Runtime.Name);
        var endpoint = context.State.TryGet(JoinTokenPhase.Token, out var token) && token.IsKnown ? token.Value.ApiServerEndpoint
            : token?.PlaceholderText ?? "<API server from phase JoinToken>";
        var changes = new List<Change>();
        if (kubelet.HasKubeletConf)
            changes.Add(new Change(kubelet.CaPin == cluster.CaPin
                ? $"reset the node (kubeadm reset -f): its kubelet.conf is of this cluster, but no node {node.Name} is registered"
                : $"reset the node (kubeadm reset -f): its kubelet.conf is of another cluster (CA {kubelet.CaPin ?? "unknown"}, this cluster's is {cluster.CaPin})"));
        var config = JoinConfiguration.Generate(endpoint, TokenStandIn, cluster.CaPin, node.Name, criSocket, node.LanAddress, _options.DiscoveryTimeout);
        changes.Add(new Change($"kubeadm join --config {JoinConfiguration.RemotePath} (mode 0600, removed after the join) through {endpoint}, CA pinned to {cluster.CaPin}",
            $"--- /dev/null\n+++ {JoinConfiguration.RemotePath}\n" + string.Concat(config.TrimEnd('\n').Split('\n').Select(l => "+" + l + "\n"))));
        changes.Add(new Change($"wait up to {_options.ReadyTimeout.TotalSeconds:0} s for node {node.Name} to be Ready"));
        return Task.FromResult(new StepPlan(changes, new WorkerJoinPlan(kubelet.HasKubeletConf, criSocket)));
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, PhaseContext context)
    {
        var planned = (WorkerJoinPlan)plan.Facts!;
        var node = context.Node;
        var token = context.State.Get(JoinTokenPhase.Token);
        if (!token.IsKnown)
            throw new NodeException(NodeErrorKind.InvalidNodeState, "no bootstrap token was made in this run (its phase JoinToken was declined), so the node cannot join.");
        if (planned.Reset)
        {
            await ResetAsync(context).ConfigureAwait(false);
            context.Verbose($"{node.Name}: {Name}: reset the kubelet of another cluster");
        }

        var config = JoinConfiguration.Generate(token.Value.ApiServerEndpoint, token.Value.Token, token.Value.CaPin, node.Name, planned.CriSocket, node.LanAddress,
            _options.DiscoveryTimeout);
        var result = await context.Session.RunAsync(new RemoteCommand(
            RemoteScripts.Compose("join-apply", new Dictionary<string, string> { ["PICLUSTER_CONFIG"] = JoinConfiguration.RemotePath }),
            asRoot: true, input: config, timeout: _options.JoinTimeout, display: $"{Name}: kubeadm join --config {JoinConfiguration.RemotePath}"),
            context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw JoinFailure(result, context.Redactor);
        _joined[node.Name] = true;
        context.Verbose($"{node.Name}: {Name}: kubeadm join done through {token.Value.ApiServerEndpoint}");

        var ready = await WaitReadyAsync(context).ConfigureAwait(false);
        context.Verbose($"{node.Name}: {Name}: node {ready.Name} is Ready");
        return null;
    }

    /// <summary>After a failed join: kubeadm reset -f and what it leaves, so a re-run starts clean. A joined node stays.</summary>
    public override async Task CleanUpAsync(StepPlan plan, PhaseContext context)
    {
        if (_joined.ContainsKey(context.Node.Name)) return;
        await ResetAsync(context).ConfigureAwait(false);
        context.Verbose($"{context.Node.Name}: {Name}: reset after the failed join");
    }

    private static async Task ResetAsync(PhaseContext context)
    {
        var script = RemoteScripts.Compose("join-reset", new Dictionary<string, string> { ["PICLUSTER_CONFIG"] = JoinConfiguration.RemotePath });
        var result = await context.Session.RunAsync(new RemoteCommand(script, asRoot: true, timeout: TimeSpan.FromMinutes(5),
            display: "Join: kubeadm reset -f and remove what it leaves"), context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"kubeadm reset -f failed: {ControlPlaneNodes.Tail(result.Stderr)}");
    }

    private async Task<RegisteredNode> WaitReadyAsync(PhaseContext context)
    {
        var command = new RemoteCommand(RemoteScripts.Compose("join-nodes"), asRoot: true, display: $"{Name}: is node {context.Node.Name} Ready");
        // A monotonic clock: the wall clock may jump while a session is paused.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var last = "it is not registered yet";
        while (true)
        {
            var result = await context.LeaderSession.RunAsync(command, context.Cancellation).ConfigureAwait(false);
            if (result.Succeeded)
            {
                var node = Nodes(Encoding.UTF8.GetBytes(result.Stdout)).FirstOrDefault(n => n.Name == context.Node.Name);
                if (node is { Ready: true }) return node;
                if (node is not null) last = $"it is NotReady ({node.Reason})";
            }
            else
            {
                last = $"kubectl on the leader failed: {ControlPlaneNodes.Tail(result.Stderr, 2)}";
            }
            if (clock.Elapsed + _options.PollInterval > _options.ReadyTimeout) break;
            await Task.Delay(_options.PollInterval, context.Cancellation).ConfigureAwait(false);
        }
        throw new NodeException(NodeErrorKind.NodeNotReady,
            $"the node joined, but after {_options.ReadyTimeout.TotalSeconds:0} s {last}; it stays joined (a pod network may be missing: Install-PiPodNetwork); see kubectl describe node {context.Node.Name}.");
    }

    /// <summary>The error for a failed kubeadm join, by what kubeadm said: a refused CA pin, an API it cannot reach, or else JoinFailed.</summary>
    internal static NodeException JoinFailure(CommandResult result, Redactor redactor)
    {
        var text = result.Stderr + "\n" + result.Stdout;
        var lines = text.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => ErrorLine.IsMatch(l)).ToList();
        var said = redactor.Redact(lines.Count > 0 ? string.Join(" | ", lines.TakeLast(6)) : ControlPlaneNodes.Tail(text));
        const string reset = "PiCluster resets the node (kubeadm reset -f) so that a re-run starts clean";
        if (text.Contains("are pinned", StringComparison.Ordinal) || text.Contains("none of the public keys", StringComparison.Ordinal))
            return new NodeException(NodeErrorKind.CaPinRefused,
                $"kubeadm join refused the API server: its CA is not the one pinned (the cluster's CA changed, or the endpoint is another cluster's); {reset}. kubeadm said: {said}");
        if (IsUnreachable(text))
            return new NodeException(NodeErrorKind.ApiUnreachable,
                $"kubeadm join could not reach the API server (check the leader's address, port 6443 and any firewall between the nodes); {reset}. kubeadm said: {said}");
        return new NodeException(NodeErrorKind.JoinFailed, $"kubeadm join failed (exit code {result.ExitCode}); {reset}. kubeadm said: {said}");
    }

    /// <summary>Whether kubeadm's or kubectl's text says the API server could not be reached.</summary>
    internal static bool IsUnreachable(string text) =>
        new[] { "connection refused", "i/o timeout", "no route to host", "network is unreachable", "context deadline exceeded", "Client.Timeout exceeded" }
            .Any(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>The nodes of <c>kubectl get nodes -o json</c>.</summary>
    internal static IReadOnlyList<RegisteredNode> Nodes(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
                return Array.Empty<RegisteredNode>();
            return items.EnumerateArray().Select(item =>
            {
                var name = item.GetProperty("metadata").GetProperty("name").GetString() ?? "";
                var ready = item.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions)
                    && conditions.ValueKind == JsonValueKind.Array
                    ? conditions.EnumerateArray().FirstOrDefault(c => Text(c, "type") == "Ready") : default;
                return ready.ValueKind == JsonValueKind.Object
                    ? new RegisteredNode(name, Text(ready, "status") == "True", $"{Text(ready, "reason")}: {Text(ready, "message")}".Trim(' ', ':'))
                    : new RegisteredNode(name, false, "no Ready condition yet");
            }).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new NodeException(NodeErrorKind.StepFailed, $"kubectl get nodes did not print the JSON expected: {e.Message}", e);
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
