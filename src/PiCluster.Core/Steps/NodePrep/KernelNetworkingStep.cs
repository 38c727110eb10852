using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Loads overlay and br_netfilter now and at every boot, sets the bridge-netfilter and forwarding sysctls to 1 now and at
/// every boot, reports the iptables backend and, when asked, switches it to legacy.
/// </summary>
public sealed class KernelNetworkingStep : NodePrepStep
{
    /// <summary>Creates the step.</summary>
    /// <param name="wantedBackend">Switch iptables to this backend; null leaves it as it is.</param>
    public KernelNetworkingStep(IptablesBackend? wantedBackend = null) => WantedBackend = wantedBackend;

    /// <summary>The backend to switch to, or null.</summary>
    public IptablesBackend? WantedBackend { get; }

    /// <inheritdoc />
    public override string Name => "KernelNetworking";

    /// <summary>What the plan found and will do.</summary>
    public sealed record Facts(IReadOnlyList<FileEdit> Files, bool LoadModules, bool ApplySysctls, IptablesBackend Backend, IptablesBackend? SwitchTo);

    /// <summary>The backend a node uses, from update-alternatives' value or `iptables --version`.</summary>
    public static IptablesBackend ParseBackend(string alternative, string version)
    {
        if (alternative.EndsWith("-legacy", StringComparison.Ordinal)) return IptablesBackend.Legacy;
        if (alternative.EndsWith("-nft", StringComparison.Ordinal)) return IptablesBackend.Nft;
        if (version.Contains("(nf_tables)")) return IptablesBackend.Nft;
        if (version.Contains("(legacy)")) return IptablesBackend.Legacy;
        return version.Length > 0 ? IptablesBackend.Legacy : IptablesBackend.None;
    }

    private static readonly RemoteCommand FactsCommand = FactCommand("prep-kernelnet-facts");

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context) => new[] { FactsCommand };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var facts = await GatherFactsAsync(context, FactsCommand).ConfigureAwait(false);
        var files = new List<FileEdit>
        {
            FileEdit.ToText(KernelNetworkingFiles.ModulesPath, FileFact(facts, "modules"), KernelNetworkingFiles.ModulesFile),
            FileEdit.ToText(KernelNetworkingFiles.SysctlPath, FileFact(facts, "sysctl"), KernelNetworkingFiles.SysctlFile),
        };
        var changes = files.Where(f => f.IsNeeded).Select(f => f.ToChange()).ToList();

        var loaded = Lines(facts, "loaded");
        var missing = KernelNetworkingFiles.Modules.Where(m => !loaded.Contains(m)).ToList();
        if (missing.Count > 0) changes.Add(new Change($"load {string.Join(", ", missing)} (modprobe -a {string.Join(" ", KernelNetworkingFiles.Modules)})"));

        var notOne = Lines(facts, "sysctls").Where(l => !l.EndsWith("=1", StringComparison.Ordinal)).ToList();
        if (notOne.Count > 0) changes.Add(new Change($"apply sysctls now (sysctl --system): {string.Join(", ", notOne)}"));

        var backend = ParseBackend(facts.GetOr("iptables_alternative", ""), facts.GetOr("iptables_version", ""));
        IptablesBackend? switchTo = null;
        if (WantedBackend is { } wanted && wanted != backend && wanted != IptablesBackend.None)
        {
            if (backend == IptablesBackend.None || (wanted == IptablesBackend.Legacy && facts.GetOr("legacy_available", "no") != "yes"))
                throw new NodeException(NodeErrorKind.InvalidNodeState, $"{context.Node}: cannot switch iptables to {wanted}: iptables{(backend == IptablesBackend.None ? "" : "-legacy")} is not installed.");
            switchTo = wanted;
            changes.Add(new Change($"switch the iptables backend {backend} -> {wanted} (update-alternatives)"));
        }
        context.Verbose($"{context.Node}: iptables backend is {backend}");
        return new StepPlan(changes, new Facts(files, missing.Count > 0, notOne.Count > 0, backend, switchTo));
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var facts = (Facts)plan.Facts!;
        await ApplyScriptAsync(context, "prep-kernelnet-apply", "set up kernel networking", new Dictionary<string, string>
        {
            ["PICLUSTER_MODULES"] = string.Join(" ", KernelNetworkingFiles.Modules),
            ["PICLUSTER_SYSCTLS"] = string.Join(" ", KernelNetworkingFiles.Sysctls),
            ["PICLUSTER_RELOAD_SYSCTLS"] = facts.ApplySysctls || facts.Files.Any(f => f.IsNeeded) ? "yes" : "no",
            ["PICLUSTER_IPTABLES"] = facts.SwitchTo switch { IptablesBackend.Legacy => "legacy", null => "", _ => "nft" },
        }, facts.Files).ConfigureAwait(false);
        return facts.SwitchTo ?? facts.Backend;
    }
}
