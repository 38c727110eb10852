using System;
using System.Threading.Tasks;
using PiCluster.Engine;

namespace PiCluster.Tests.Engine;

/// <summary>A step whose plan and apply are delegates, for runner tests.</summary>
public sealed class ScriptedStep : NodeStep
{
    private readonly Func<StepContext, Task<StepPlan>> _plan;
    private readonly Func<StepPlan, StepContext, Task<object?>> _apply;

    public ScriptedStep(string name, Func<StepContext, Task<StepPlan>> plan, Func<StepPlan, StepContext, Task<object?>>? apply = null)
    {
        Name = name;
        _plan = plan;
        _apply = apply ?? ((_, _) => Task.FromResult<object?>(null));
    }

    public override string Name { get; }
    public override Task<StepPlan> PlanAsync(StepContext context) => _plan(context);
    public override Task<object?> ApplyAsync(StepPlan plan, StepContext context) => _apply(plan, context);

    public static StepPlan OneChange(string description = "change it", string? diff = null) =>
        new(new[] { new Change(description, diff) });
}
