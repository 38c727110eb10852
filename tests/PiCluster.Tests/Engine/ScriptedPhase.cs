using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.Tests.Engine;

/// <summary>A phase whose plan, apply and clean-up are delegates, for phase runner tests.</summary>
public sealed class ScriptedPhase : ClusterPhase
{
    private readonly Func<PhaseContext, Task<StepPlan>> _plan;

    public ScriptedPhase(string name, Func<PhaseContext, Task<StepPlan>> plan, PhaseTargets targets = PhaseTargets.All,
        PhaseConcurrency concurrency = PhaseConcurrency.Parallel, bool? needsLeader = null, params PhaseOutput[] outputs)
    {
        Name = name;
        _plan = plan;
        Targets = targets;
        Concurrency = concurrency;
        NeedsLeader = needsLeader ?? targets == PhaseTargets.Leader;
        Outputs = outputs;
    }

    public Func<StepPlan, PhaseContext, Task<object?>> Apply { get; init; } = (_, _) => Task.FromResult<object?>(null);
    public Func<StepPlan, PhaseContext, Task>? CleanUp { get; init; }
    public Func<PhaseContext, IEnumerable<RemoteCommand>>? Facts { get; init; }

    public override string Name { get; }
    public override PhaseTargets Targets { get; }
    public override PhaseConcurrency Concurrency { get; }
    public override bool NeedsLeader { get; }
    public override IReadOnlyList<PhaseOutput> Outputs { get; }
    public override IEnumerable<RemoteCommand> FactCommands(PhaseContext context) => Facts?.Invoke(context) ?? Array.Empty<RemoteCommand>();
    public override Task<StepPlan> PlanAsync(PhaseContext context) => _plan(context);
    public override Task<object?> ApplyAsync(StepPlan plan, PhaseContext context) => Apply(plan, context);
    public override Task CleanUpAsync(StepPlan plan, PhaseContext context) => CleanUp?.Invoke(plan, context) ?? Task.CompletedTask;

    public static Task<StepPlan> Change(string description = "change it") => Task.FromResult(ScriptedStep.OneChange(description));
    public static Task<StepPlan> Unchanged() => Task.FromResult(StepPlan.Unchanged());
}
