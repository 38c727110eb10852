using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.ControlPlane;

/// <summary>
/// Reads every node's routing tables (read-only, in the run's one fact round trip), so that the kubeadm configuration
/// phase can refuse pod and service subnets that overlap a network any node already reaches.
/// </summary>
public sealed class NetworkFactsPhase : ClusterPhase
{
    /// <summary>Per node: its LAN address and routes.</summary>
    public static readonly PhaseOutput<NodeNetworkFacts> Networks = new("Networks", "routing tables", OutputScope.Node);

    private static readonly PhaseOutput[] OutputList = { Networks };

    // As root although it needs no privilege: then it joins the other phases' root facts in the run's one round trip.
    private static readonly RemoteCommand Facts = new(RemoteScripts.Compose("network-facts"), asRoot: true, display: "Networks: read the routing tables (ip -j route)");

    /// <inheritdoc />
    public override string Name => "Networks";

    /// <inheritdoc />
    public override IReadOnlyList<PhaseOutput> Outputs => OutputList;

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(PhaseContext context) => new[] { Facts };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(PhaseContext context)
    {
        var result = await context.Session.RunAsync(Facts, context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"could not read the routing tables: {result.Stderr.Trim()}");
        var output = SectionedOutput.Parse(result.Stdout);
        IReadOnlyList<RouteFact> routes;
        try
        {
            routes = RouteFact.ParseIpJson(output.GetOr("routes4", "[]")).Concat(RouteFact.ParseIpJson(output.GetOr("routes6", "[]"))).ToList();
        }
        catch (FormatException e)
        {
            throw new NodeException(NodeErrorKind.StepFailed, $"could not read the routing tables: {e.Message}", e);
        }
        var facts = new NodeNetworkFacts(context.Node.Name, context.Node.LanAddress, routes);
        context.Set(Networks, facts);
        return new StepPlan(Array.Empty<Change>(), facts);
    }

    /// <inheritdoc />
    public override Task<object?> ApplyAsync(StepPlan plan, PhaseContext context) => Task.FromResult<object?>(null);
}
