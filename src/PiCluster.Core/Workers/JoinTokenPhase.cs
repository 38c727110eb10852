using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.Workers;

/// <summary>What the leader knows of the cluster that decides whether a worker is in it.</summary>
/// <param name="CaPin">The pin of the cluster's CA (the leader's /etc/kubernetes/pki/ca.crt).</param>
/// <param name="RegisteredNodes">The names of the nodes registered in the cluster.</param>
public sealed record JoinCluster(string CaPin, IReadOnlyList<string> RegisteredNodes)
{
    /// <summary>In the cluster: registered under its name, with a kubelet that trusts this cluster's CA.</summary>
    public bool HasJoined(string node, WorkerKubelet kubelet) =>
        kubelet.HasKubeletConf && kubelet.CaPin == CaPin && RegisteredNodes.Contains(node, StringComparer.Ordinal);

    /// <inheritdoc />
    public override string ToString() => $"CA {CaPin}, {RegisteredNodes.Count} nodes registered";
}

/// <summary>What the token phase planned: tokens to delete, whether to make one, and the CA pin to check it against.</summary>
/// <param name="StaleTokenIds">Ids of tokens earlier PiCluster runs left behind.</param>
/// <param name="Joining">The workers to join; none: no token is made.</param>
/// <param name="CaPin">The pin of the leader's ca.crt.</param>
public sealed record JoinTokenPlan(IReadOnlyList<string> StaleTokenIds, IReadOnlyList<string> Joining, string CaPin);

/// <summary>
/// On the leader: deletes bootstrap tokens earlier PiCluster runs left behind (recognised by their description), and,
/// when a worker has to join, makes this run's one token with a short TTL. kubeadm generates it; it travels only on the
/// leader's stdout and is registered with the run's redactor before anything reads that output. The CA hash kubeadm
/// prints must equal the pin computed here from ca.crt. After the run, whatever happened, the token is deleted.
/// </summary>
public sealed class JoinTokenPhase : ClusterPhase
{
    /// <summary>The cluster's CA pin and registered nodes.</summary>
    public static readonly PhaseOutput<JoinCluster> Cluster = new("JoinCluster", "cluster's CA and nodes");

    /// <summary>This run's bootstrap token.</summary>
    public static readonly PhaseOutput<JoinToken> Token = new("JoinToken", "join token");

    private static readonly PhaseOutput[] OutputList = { Cluster, Token };

    private static readonly Regex JoinCommand = new(
        @"kubeadm join\s+(?<endpoint>\S+)\s+--token\s+(?<token>\S+)\s+--discovery-token-ca-cert-hash\s+(?<hash>sha256:[0-9a-f]{64})", RegexOptions.CultureInvariant);

    private readonly JoinOptions _options;
    private int _tokenRequested;

    /// <summary>Creates the phase.</summary>
    public JoinTokenPhase(JoinOptions options) => _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc />
    public override string Name => "JoinToken";

    /// <inheritdoc />
    public override PhaseTargets Targets => PhaseTargets.Leader;

    /// <inheritdoc />
    public override IReadOnlyList<PhaseOutput> Outputs => OutputList;

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(PhaseContext context) => new[] { FactsCommand };

    private static RemoteCommand FactsCommand { get; } = BootstrapTokens.Command("join-leader-facts",
        "JoinToken: read the cluster's CA, its nodes and tokens left by earlier runs");

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(PhaseContext context)
    {
        var result = await context.Session.RunAsync(FactsCommand, context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"could not read the cluster's state on the leader: {ControlPlaneNodes.Tail(result.Stderr)}");
        var output = SectionedOutput.Parse(result.Stdout);
        if (output.GetOr("admin_conf", "no") != "yes")
        {
            // A dry run of a run that also makes the cluster (Init declined): plan every join on the CA to come.
            if (context.State.TryGet(KubeadmConfigPhase.Status, out var status) && status.IsKnown && !status.Value.ClusterRunning)
                return Plan(context, new JoinCluster("<CA of the cluster phase Init creates>", Array.Empty<string>()), Array.Empty<string>());
            throw new NodeException(NodeErrorKind.InvalidNodeState,
                "no cluster runs on the leader (no /etc/kubernetes/admin.conf): run Initialize-PiControlPlane before Join-PiWorker.");
        }
        var ca = output.GetBytes("ca") ?? throw new NodeException(NodeErrorKind.InvalidNodeState,
            "the leader holds admin.conf but no /etc/kubernetes/pki/ca.crt, which the workers' CA pin is computed from.");
        string pin;
        try { pin = CaPin.Of(ca); }
        catch (ArgumentException e) { throw new NodeException(NodeErrorKind.InvalidNodeState, $"the leader's /etc/kubernetes/pki/ca.crt is {e.Message}", e); }
        var nodes = output.GetBytes("nodes") ?? throw new NodeException(
            JoinPhase.IsUnreachable(output.GetOr("nodes_error", "")) ? NodeErrorKind.ApiUnreachable : NodeErrorKind.StepFailed,
            $"kubectl get nodes failed on the leader: {ControlPlaneNodes.Tail(output.GetOr("nodes_error", ""), 3)}");
        return Plan(context, new JoinCluster(pin, JoinPhase.Nodes(nodes).Select(n => n.Name).ToList()), Lines(output.GetOr("stale", "")));
    }

    private StepPlan Plan(PhaseContext context, JoinCluster cluster, IReadOnlyList<string> stale)
    {
        context.Set(Cluster, cluster);
        var joining = context.State.Workers
            .Where(w => context.State.TryGet(WorkerFactsPhase.Kubelet, w, out var kubelet) && kubelet.IsKnown && !cluster.HasJoined(w.Name, kubelet.Value))
            .Select(w => w.Name).ToList();
        var changes = new List<Change>();
        if (stale.Count > 0)
            changes.Add(new Change($"delete {stale.Count} bootstrap token(s) an earlier PiCluster run left behind ({string.Join(", ", stale)})"));
        if (joining.Count > 0)
            changes.Add(new Change($"create one bootstrap token for {string.Join(", ", joining)} (TTL {Ttl}, description '{BootstrapTokens.Description}'); it is deleted when the run ends"));
        return new StepPlan(changes, new JoinTokenPlan(stale, joining, cluster.CaPin));
    }

    private string Ttl => ((int)Math.Ceiling(_options.TokenTtl.TotalMinutes)).ToString(CultureInfo.InvariantCulture) + "m";

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, PhaseContext context)
    {
        var planned = (JoinTokenPlan)plan.Facts!;
        var create = planned.Joining.Count > 0;
        // Before the command: a run stopped while kubeadm makes the token still deletes it afterwards.
        if (create) Interlocked.Exchange(ref _tokenRequested, 1);
        var result = await context.Session.RunAsync(BootstrapTokens.Command("join-token-create",
            $"{Name}: delete tokens earlier runs left{(create ? $", create this run's (TTL {Ttl})" : "")}", new Dictionary<string, string>
            {
                ["PICLUSTER_TTL"] = Ttl,
                ["PICLUSTER_CREATE"] = create ? "yes" : "no",
            }), context.Cancellation).ConfigureAwait(false);
        // First, before any of this text can reach a message or a stream.
        KubeadmInitPhase.RegisterSecrets(context.Redactor, result.Stdout + "\n" + result.Stderr);
        var output = SectionedOutput.Parse(result.Stdout);
        var deleted = Lines(output.GetOr("deleted", ""));
        if (deleted.Count > 0) context.Verbose($"{context.Node.Name}: {Name}: {string.Join(", ", deleted)} (left by an earlier run)");
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, context.Redactor.Redact(
                $"could not {(create ? "create the bootstrap token" : "delete the tokens earlier runs left")} (exit code {result.ExitCode}): {ControlPlaneNodes.Tail(result.Stderr + "\n" + result.Stdout, 4)}"));
        if (!create) return null;

        var join = JoinCommand.Match(output.GetOr("join", ""));
        if (!join.Success)
            throw new NodeException(NodeErrorKind.StepFailed, "kubeadm token create --print-join-command printed no join command PiCluster could read.");
        var hash = join.Groups["hash"].Value;
        if (hash != planned.CaPin)
            throw new NodeException(NodeErrorKind.CaPinRefused,
                $"refused: kubeadm's discovery hash {hash} is not the SHA-256 of the public key of the leader's /etc/kubernetes/pki/ca.crt ({planned.CaPin}); no worker is joined with a pin PiCluster cannot confirm.");
        var token = new JoinToken(join.Groups["endpoint"].Value, join.Groups["token"].Value, hash);
        context.Set(Token, token);
        context.Verbose($"{context.Node.Name}: {Name}: created {token} (TTL {Ttl}), CA pin {hash} confirmed");
        return null;
    }

    /// <summary>Deletes the run's token (and any other PiCluster token) once the run ends, under the run-end limit.</summary>
    public override async Task AfterRunAsync(PhaseContext context, CancellationToken cancellation)
    {
        if (Interlocked.Exchange(ref _tokenRequested, 0) == 0) return;
        var result = await context.Session.RunAsync(BootstrapTokens.Delete($"{Name}: delete this run's bootstrap token"), cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed,
                $"could not delete the run's bootstrap token (it expires after {Ttl}; the next run deletes it): {ControlPlaneNodes.Tail(result.Stderr, 3)}");
        context.Verbose($"{context.Node.Name}: {Name}: {ControlPlaneNodes.Tail(result.Stdout, 5)} (the run is over)");
    }

    private static List<string> Lines(string text) =>
        text.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
}
