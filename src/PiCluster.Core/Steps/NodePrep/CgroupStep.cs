using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Puts <c>cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1</c> on the kernel command line: in
/// /boot/firmware/cmdline.txt or /boot/cmdline.txt (Raspberry Pi firmware), or in GRUB_CMDLINE_LINUX plus update-grub.
/// The edit takes effect at the next boot; <see cref="RestartStep"/> reboots and verifies /proc/cmdline.
/// </summary>
public sealed class CgroupStep : NodePrepStep
{
    /// <inheritdoc />
    public override string Name => "Cgroup";

    /// <summary>What the plan found: the boot file and how to apply.</summary>
    public sealed record Facts(string BootFile, FileEdit Edit, bool RunUpdateGrub, string UpdateGrub);

    private static readonly RemoteCommand FactsCommand = FactCommand("prep-cgroup-facts");

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context) => new[] { FactsCommand };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var facts = await GatherFactsAsync(context, FactsCommand).ConfigureAwait(false);
        var bootFile = facts.GetOr("bootfile", "");
        var content = FileFact(facts, "content");
        if (bootFile.Length == 0 || content is null)
            throw new NodeException(NodeErrorKind.InvalidNodeState,
                $"{context.Node}: no boot command line found (looked for /boot/firmware/cmdline.txt, /boot/cmdline.txt and /etc/default/grub).");

        var isGrub = bootFile == "/etc/default/grub";
        var edit = new FileEdit(bootFile, content, isGrub ? GrubDefaults.Edit(content) : BootCommandLine.EditCmdlineTxt(content), rebootRequired: true);
        var changes = new List<Change>();
        if (edit.IsNeeded) changes.Add(edit.ToChange($"add {string.Join(" ", BootCommandLine.CgroupFlags)} to {bootFile}"));
        var updateGrub = facts.GetOr("update_grub", "");
        // An interrupted run can leave /etc/default/grub edited but grub.cfg not regenerated: that still needs doing.
        var runUpdateGrub = isGrub && (edit.IsNeeded || facts.GetOr("grub_cfg_has_flags", "no") != "yes");
        if (isGrub && updateGrub.Length == 0)
            throw new NodeException(NodeErrorKind.InvalidNodeState, $"{context.Node}: /etc/default/grub is the boot configuration but neither update-grub nor grub-mkconfig is installed.");
        if (runUpdateGrub) changes.Add(new Change($"regenerate /boot/grub/grub.cfg ({updateGrub})", rebootRequired: true));
        return new StepPlan(changes, new Facts(bootFile, edit, runUpdateGrub, updateGrub));
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var facts = (Facts)plan.Facts!;
        var result = await ApplyScriptAsync(context, "prep-cgroup-apply", $"edit {facts.BootFile}", new Dictionary<string, string>
        {
            ["PICLUSTER_BOOTFILE"] = facts.BootFile,
            ["PICLUSTER_UPDATE_GRUB"] = facts.RunUpdateGrub ? facts.UpdateGrub : "",
        }, new[] { facts.Edit }).ConfigureAwait(false);
        var backup = result.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("backup ", StringComparison.Ordinal))?.Substring(7);
        if (backup is not null) context.Verbose($"{context.Node}: the previous {facts.BootFile} is kept as {backup}");
        return null;
    }
}
