using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Transport;

namespace PiCluster.Checks;

/// <summary>
/// Test-PiNode's checks of one node as the first phase of a deploy: a failed Error check that node preparation does not
/// fix drops the node, with every such check and its remedy, before anything changed. Reads only.
/// </summary>
/// <remarks>
/// Excused here, because the run's later phases fix them: swap (Swap), the memory cgroup (Cgroup and the reboot), and a
/// duplicate hostname (Hostname, in <see cref="PreflightAcrossNodesPhase"/>). The sudo check is left out: the facts are
/// read as root, and a node whose sudo refuses fails while connecting, with the same remedy.
/// </remarks>
public sealed class PreflightPhase : ClusterPhase
{
    /// <summary>Per node: what the preflight script read, for <see cref="PreflightAcrossNodesPhase"/>.</summary>
    public static readonly PhaseOutput<PreflightFacts> Facts = new("PreflightFacts", "preflight facts", OutputScope.Node);

    /// <summary>The checks whose failure node preparation fixes, so that they do not drop a node from a deploy.</summary>
    public static readonly IReadOnlyCollection<string> FixedByPreparation = new[] { CheckNames.Swap, CheckNames.MemoryCgroup, CheckNames.HostnameUnique };

    private static readonly PhaseOutput[] OutputList = { Facts };

    /// <inheritdoc />
    public override string Name => "Preflight";

    /// <inheritdoc />
    public override IReadOnlyList<PhaseOutput> Outputs => OutputList;

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(PhaseContext context) => new[] { PreflightFacts.RootCommand };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(PhaseContext context)
    {
        var result = await context.Session.RunAsync(PreflightFacts.RootCommand, context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"the preflight script failed (exit code {result.ExitCode}): {result.Stderr.Trim()}");
        var facts = PreflightFacts.Parse(result.Stdout);
        context.Set(Facts, facts);
        var checks = PreflightRunner.Evaluate(context.Node, facts).Where(c => c.Check != CheckNames.Sudo).ToList();
        return Verdict(context, checks);
    }

    /// <inheritdoc />
    public override Task<object?> ApplyAsync(StepPlan plan, PhaseContext context) => Task.FromResult<object?>(null);

    /// <summary>
    /// Unchanged with the checks as data when the node may go on; warnings (and the failures preparation fixes) as
    /// verbose lines; throws <see cref="NodeErrorKind.InvalidNodeState"/> listing each blocking check with its remedy.
    /// </summary>
    internal static StepPlan Verdict(PhaseContext context, IReadOnlyList<CheckResult> checks)
    {
        foreach (var check in checks.Where(c => !c.Passed && (c.Severity != CheckSeverity.Error || FixedByPreparation.Contains(c.Check))))
            context.Verbose($"{context.Node.Name}: {check.Check}: {check.Detail}" + (FixedByPreparation.Contains(check.Check) ? " (node preparation fixes this)" : ""));
        var blocking = checks.Where(c => !c.Passed && c.Severity == CheckSeverity.Error && !FixedByPreparation.Contains(c.Check)).ToList();
        if (blocking.Count > 0)
            throw new NodeException(NodeErrorKind.InvalidNodeState,
                "preflight failed, nothing was changed: " + string.Join(" ", blocking.Select(c => $"{c.Check}: {c.Detail}. {c.Remedy}")));
        return StepPlan.Unchanged(checks);
    }
}
