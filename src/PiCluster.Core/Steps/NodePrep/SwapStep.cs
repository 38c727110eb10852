using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Turns swap off for good (kubelet refuses to run with swap on): swapoff now; dphys-swapfile and zram/rpi-swap units
/// stopped, disabled and masked; swap lines in /etc/fstab commented out with a tag. With <c>enabled</c> it undoes
/// exactly what it did (the units it masked are listed in /var/lib/picluster/swap-masked-units).
/// </summary>
public sealed class SwapStep : NodePrepStep
{
    private const string MaskedList = "/var/lib/picluster/swap-masked-units";

    /// <summary>Creates the step.</summary>
    /// <param name="enabled">false: turn swap off (the Kubernetes way); true: undo.</param>
    public SwapStep(bool enabled = false) => Enabled = enabled;

    /// <summary>Whether swap is wanted on.</summary>
    public bool Enabled { get; }

    /// <inheritdoc />
    public override string Name => "Swap";

    /// <summary>The plan's actions.</summary>
    public sealed record Facts(FileEdit Fstab, IReadOnlyList<string> Units, bool SwapCommand);

    private static readonly RemoteCommand FactsCommand = FactCommand("prep-swap-facts");

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context) => new[] { FactsCommand };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var facts = await GatherFactsAsync(context, FactsCommand).ConfigureAwait(false);
        var fstab = FileFact(facts, "fstab") ?? Array.Empty<byte>();
        var swaps = Lines(facts, "swaps");
        var units = Lines(facts, "units").Select(l => l.Split(' ')).Where(p => p.Length >= 2)
            .Select(p => (Name: p[0], State: p[1], Active: p.Length > 2 ? p[2] : "")).ToList();
        var maskedByUs = Lines(facts, "masked_by_picluster");
        var changes = new List<Change>();

        var edit = new FileEdit("/etc/fstab", fstab, Enabled ? Fstab.EnableSwap(fstab) : Fstab.DisableSwap(fstab));
        if (edit.IsNeeded) changes.Add(edit.ToChange(Enabled ? "restore the swap lines PiCluster commented out in /etc/fstab" : "comment out swap lines in /etc/fstab"));

        List<string> unitActions;
        if (Enabled)
        {
            unitActions = units.Where(u => u.State == "masked" && maskedByUs.Contains(u.Name)).Select(u => u.Name).ToList();
            changes.AddRange(unitActions.Select(u => new Change($"unmask, enable and start {u}")));
        }
        else
        {
            unitActions = units.Where(u => u.State != "masked" || u.Active == "active").Select(u => u.Name).ToList();
            changes.AddRange(unitActions.Select(u => new Change($"stop, disable and mask {u}")));
        }

        var swapCommand = Enabled ? swaps.Count == 0 && (edit.IsNeeded || unitActions.Count > 0) : swaps.Count > 0;
        if (swapCommand)
            changes.Add(new Change(Enabled ? "turn swap on (swapon -a)" : $"turn swap off now (swapoff -a; active: {string.Join(", ", swaps.Select(s => s.Split(' ', '\t')[0]))})"));
        return new StepPlan(changes, new Facts(edit, unitActions, swapCommand));
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var facts = (Facts)plan.Facts!;
        var script = WriteFiles(new[] { facts.Fstab });
        if (Enabled)
        {
            foreach (var unit in facts.Units)
                script += $"systemctl unmask {ShellText.Quote(unit)} && systemctl enable --now {ShellText.Quote(unit)}\n" +
                          // The unit name is data: matched as a fixed whole line, never spliced into a sed program.
                          $"if [[ -f {MaskedList} ]]; then grep -vxF -e {ShellText.Quote(unit)} {MaskedList} >{MaskedList}.new || true; mv -f {MaskedList}.new {MaskedList}; fi\n";
            script += "systemctl daemon-reload\nswapon -a\n";
        }
        else
        {
            script += $"mkdir -p {System.IO.Path.GetDirectoryName(MaskedList)}\n";
            foreach (var unit in facts.Units)
                script += $"systemctl stop {ShellText.Quote(unit)} || true\nsystemctl disable {ShellText.Quote(unit)} 2>/dev/null || true\n" +
                          $"systemctl mask {ShellText.Quote(unit)}\ngrep -qx {ShellText.Quote(unit)} {MaskedList} 2>/dev/null || echo {ShellText.Quote(unit)} >>{MaskedList}\n";
            // daemon-reload drops the .swap units systemd generated from the fstab lines just commented out.
            script += "systemctl daemon-reload\nswapoff -a\n" +
                      "if [[ $(tail -n +2 /proc/swaps | wc -l) -ne 0 ]]; then echo \"swap still on: $(tail -n +2 /proc/swaps)\" >&2; exit 1; fi\n";
        }
        await ApplyGeneratedAsync(context, script, Enabled ? "turn swap on" : "turn swap off", new[] { facts.Fstab }).ConfigureAwait(false);
        return null;
    }
}
