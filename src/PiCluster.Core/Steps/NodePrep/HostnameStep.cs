using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>
/// Names the node after its cluster entry: /etc/hostname, the running hostname, and /etc/hosts (every node of the
/// cluster by LAN address in a managed block, and 127.0.1.1 for the node itself).
/// </summary>
public sealed class HostnameStep : NodePrepStep
{
    /// <inheritdoc />
    public override string Name => "Hostname";

    /// <summary>The nodes /etc/hosts lists: the whole cluster when the node came from a cluster file, else this run's nodes.</summary>
    public static IReadOnlyList<(string Name, string Address)> ClusterNodes(StepContext context)
    {
        var cluster = context.Node.Cluster;
        if (cluster is not null && cluster.Nodes.Count > 0)
            return cluster.Nodes.Select(n => (n.Name, string.IsNullOrEmpty(n.LanAddress) ? n.Address : n.LanAddress!)).ToList();
        return context.AllNodes.Select(n => (n.Name, n.LanAddress)).ToList();
    }

    private static readonly RemoteCommand FactsCommand = FactCommand("prep-hostname-facts");

    /// <inheritdoc />
    public override IEnumerable<RemoteCommand> FactCommands(StepContext context) => new[] { FactsCommand };

    /// <inheritdoc />
    public override async Task<StepPlan> PlanAsync(StepContext context)
    {
        var facts = await GatherFactsAsync(context, FactsCommand).ConfigureAwait(false);
        var name = context.Node.Name;
        byte[] hosts;
        try { hosts = HostsFile.Edit(FileFact(facts, "etc_hosts") ?? System.Array.Empty<byte>(), name, ClusterNodes(context)); }
        catch (System.ArgumentException e) { throw new NodeException(NodeErrorKind.InvalidNodeState, $"{context.Node}: {e.Message}", e); }
        var edits = new List<FileEdit>
        {
            // The hosts file first: sudo resolves the new name as soon as the hostname changes.
            new("/etc/hosts", FileFact(facts, "etc_hosts"), hosts),
            FileEdit.ToText("/etc/hostname", FileFact(facts, "etc_hostname"), name + "\n"),
        };
        var changes = edits.Where(e => e.IsNeeded).Select(e => e.ToChange()).ToList();
        var running = facts.GetOr("hostname", "");
        if (running != name) changes.Add(new Change($"set the running hostname {running} -> {name}"));
        return new StepPlan(changes, edits);
    }

    /// <inheritdoc />
    public override async Task<object?> ApplyAsync(StepPlan plan, StepContext context)
    {
        var edits = (IReadOnlyList<FileEdit>)plan.Facts!;
        await ApplyScriptAsync(context, "prep-hostname-apply", "set the hostname",
            new Dictionary<string, string> { ["PICLUSTER_HOSTNAME"] = context.Node.Name }, edits).ConfigureAwait(false);
        return null;
    }
}
