using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine.Phases;

/// <summary>
/// Runs a <see cref="NodeStep"/> as a phase on every node, unchanged: the step sees its <see cref="StepContext"/> as
/// before, with <see cref="StepContext.Shared"/> holding what earlier steps returned ("Step/node", and "Step" for the
/// first non-null value in node order), which this phase keeps as its per-node <see cref="Output"/>.
/// </summary>
public sealed class NodeStepPhase : ClusterPhase
{
    private readonly PhaseOutput[] _outputs;
    private readonly PhaseTargets _targets;

    /// <summary>Wraps <paramref name="step"/>, to run on the nodes <paramref name="targets"/> selects (every node by default).</summary>
    public NodeStepPhase(NodeStep step, PhaseTargets targets = PhaseTargets.All)
    {
        Step = step ?? throw new ArgumentNullException(nameof(step));
        _targets = targets;
        Output = new PhaseOutput<object?>(step.Name, $"data of step {step.Name}", OutputScope.Node, isStepData: true);
        _outputs = new PhaseOutput[] { Output };
    }

    /// <summary>The wrapped step.</summary>
    public NodeStep Step { get; }

    /// <summary>Per node: what the step's apply returned, or its plan's facts when nothing had to change.</summary>
    public PhaseOutput<object?> Output { get; }

    /// <inheritdoc />
    public override string Name => Step.Name;

    /// <inheritdoc />
    public override PhaseTargets Targets => _targets;

    /// <inheritdoc />
    public override IReadOnlyList<PhaseOutput> Outputs => _outputs;

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(PhaseContext context) => Step.FactCommands(StepContext(context));

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(PhaseContext context)
    {
        var plan = await Step.PlanAsync(StepContext(context)).ConfigureAwait(false);
        if (plan.SkipReason is null && plan.Changes.Count == 0) context.Set(Output, plan.Facts);
        return plan;
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, PhaseContext context)
    {
        var data = await Step.ApplyAsync(plan, StepContext(context)).ConfigureAwait(false);
        context.Set(Output, data);
        return data;
    }

    private static StepContext StepContext(PhaseContext context) =>
        new(context.Session, context.State.Nodes, context.Verbose, context.Cancellation, context.State.StepData(), context.Redactor);
}
