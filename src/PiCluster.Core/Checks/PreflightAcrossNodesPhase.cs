using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Engine.Phases;

namespace PiCluster.Checks;

/// <summary>
/// Test-PiNode's checks that compare nodes (hostname, machine-id, LAN address), once <see cref="PreflightPhase"/> has
/// read every node: a node that shares its machine-id or LAN address with another is dropped before anything changed.
/// Reads nothing on the nodes.
/// </summary>
public sealed class PreflightAcrossNodesPhase : ClusterPhase
{
    /// <inheritdoc />
    public override string Name => "PreflightAcrossNodes";

    /// <inheritdoc />
    public override Task<StepPlan> PlanAsync(PhaseContext context)
    {
        var read = context.State.Nodes
            .Select(n => (Node: n, Known: context.State.TryGet(PreflightPhase.Facts, n, out var facts) && facts.IsKnown ? facts.Value : null))
            .Where(p => p.Known is not null)
            .Select(p => new KeyValuePair<PiNode, PreflightFacts>(p.Node, p.Known!)).ToList();
        var checks = PreflightRunner.EvaluateAcrossNodes(read).Where(c => ReferenceEquals(c.Node, context.Node)).ToList();
        return Task.FromResult(PreflightPhase.Verdict(context, checks));
    }

    /// <inheritdoc />
    public override Task<object?> ApplyAsync(StepPlan plan, PhaseContext context) => Task.FromResult<object?>(null);
}
