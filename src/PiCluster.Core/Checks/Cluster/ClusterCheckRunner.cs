using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.ControlPlane;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Checks.Cluster;

/// <summary>
/// What Test-PiCluster does: one connection and one round trip per node, in parallel (control planes also read the
/// cluster through admin.conf and their certificates in it), the API asked from this machine meanwhile, then
/// <see cref="ClusterChecks"/> on all of it. A node that cannot be read fails its checks with the reason; no error
/// record is written and the other checks still run. Changes nothing and takes no lock.
/// </summary>
public sealed class ClusterCheckRunner
{
    /// <summary>How long the API may take to answer /readyz from this machine.</summary>
    public static readonly TimeSpan DefaultApiTimeout = TimeSpan.FromSeconds(10);

    private readonly INodeConnector _connector;
    private readonly RunOptions _options;
    private readonly string _kubeconfigPath;
    private readonly TimeSpan _apiTimeout;
    private readonly Func<DateTimeOffset> _clock;

    /// <summary>Creates a runner.</summary>
    /// <param name="connector">Connects to the nodes.</param>
    /// <param name="options">Throttle limit and connection options.</param>
    /// <param name="kubeconfigPath">The merged kubeconfig on this machine whose context named after the cluster is used for the API check.</param>
    /// <param name="apiTimeout">Bound of the API check; <see cref="DefaultApiTimeout"/> by default.</param>
    /// <param name="clock">The time certificates are measured against (tests).</param>
    public ClusterCheckRunner(INodeConnector connector, RunOptions options, string kubeconfigPath, TimeSpan? apiTimeout = null, Func<DateTimeOffset>? clock = null)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _kubeconfigPath = kubeconfigPath ?? throw new ArgumentNullException(nameof(kubeconfigPath));
        _apiTimeout = apiTimeout ?? DefaultApiTimeout;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
    }

    /// <summary>Checks the cluster of <paramref name="nodes"/>, calling <paramref name="host"/> only on this thread.</summary>
    /// <exception cref="ArgumentException">The nodes come from no cluster file, from several, or none is a control plane (before any connection).</exception>
    public void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation)
    {
        if (nodes is null) throw new ArgumentNullException(nameof(nodes));
        if (host is null) throw new ArgumentNullException(nameof(host));
        if (nodes.Any(n => n.Cluster is null))
            throw new ArgumentException("Test-PiCluster needs the cluster file (its name, nodes and network plugin): use -Path, or pipe nodes read from it.", nameof(nodes));
        if (nodes.Select(n => n.Cluster!.Name).Distinct(StringComparer.Ordinal).Count() > 1)
            throw new ArgumentException("The nodes come from more than one cluster: test one cluster at a time.", nameof(nodes));
        if (nodes.All(n => n.Role != NodeRole.ControlPlane))
            throw new ArgumentException("None of the nodes is a control plane: Test-PiCluster reads the cluster there; include one (all of the file's nodes by default).", nameof(nodes));
        var pump = new HostPump();
        var scope = new RunScope(_connector, _options, pump);
        pump.Run(host, token => RunAsync(scope, nodes, token), cancellation);
    }

    private async Task RunAsync(RunScope scope, IReadOnlyList<PiNode> nodes, CancellationToken cancellation)
    {
        var cluster = nodes[0].Cluster!;
        var api = ApiReachability.ProbeAsync(_kubeconfigPath, cluster.Name, _apiTimeout, cancellation);
        var outcomes = new ConcurrentDictionary<PiNode, NodeOutcome>();
        await Throttled.ForEachAsync(nodes, _options.ThrottleLimit, async node =>
        {
            scope.Pump.Post(h => h.WriteProgress(node, "Test-PiCluster", "connecting", 0));
            var (session, error) = await scope.TryOpenAsync(node, cancellation).ConfigureAwait(false);
            if (session is null)
            {
                outcomes[node] = new NodeOutcome(node, null, scope.Redactor.Redact(error!.Message));
                return;
            }
            try
            {
                scope.Pump.Post(h => h.WriteProgress(node, "Test-PiCluster", "reading facts", 50));
                var result = await session.RunAsync(NodeCheckFacts.Command(node.Role == NodeRole.ControlPlane), cancellation).ConfigureAwait(false);
                outcomes[node] = result.Succeeded
                    ? new NodeOutcome(node, NodeCheckFacts.Parse(result.Stdout))
                    : new NodeOutcome(node, null, scope.Redactor.Redact($"the check script failed (exit code {result.ExitCode}): {ClusterJson.OneLine(result.Stderr)}"));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                outcomes[node] = new NodeOutcome(node, null, scope.Redactor.Redact(e.Message));
            }
            finally
            {
                await scope.CloseAllAsync(new[] { session }).ConfigureAwait(false);
                scope.Pump.Post(h => h.WriteProgress(node, "Test-PiCluster", "done", 100));
            }
        }, cancellation).ConfigureAwait(false);

        var pin = CniManifests.For(cluster.Network.Plugin);
        var results = ClusterChecks.Evaluate(new ClusterCheckInput(cluster.Name, nodes.Select(n => outcomes[n]).ToList(),
            cluster.Nodes.Select(n => n.Name).ToList(), pin.DaemonSetNamespace, pin.DaemonSetName, await api.ConfigureAwait(false), _clock()));
        scope.Pump.Post(h => { foreach (var r in results) h.WriteObject(scope.Redacted(r)); });
    }
}
