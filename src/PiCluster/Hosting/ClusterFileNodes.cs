using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using PiCluster.Clusters;
using PiCluster.Engine;

namespace PiCluster.Hosting;

/// <summary>The nodes of a cluster file, filtered by -Name: shared by Get-PiNode and every cmdlet's -Path.</summary>
internal static class ClusterFileNodes
{
    /// <summary>
    /// Loads and validates <paramref name="path"/> and returns its nodes whose names match <paramref name="names"/>.
    /// Throws <see cref="ClusterFileException"/> with every problem when the file is invalid, before any node is contacted.
    /// </summary>
    /// <param name="path">The cluster file (a file-system path).</param>
    /// <param name="names">Name patterns with wildcards; null or empty selects all nodes.</param>
    /// <param name="unmatchedNames">Names without wildcards that matched no node.</param>
    public static List<PiNode> Select(string path, IReadOnlyCollection<string>? names, out List<string> unmatchedNames) =>
        NamePattern.Filter(ClusterNodes.ToPiNodes(ClusterFileLoader.Load(path)), n => n.Name, names, out unmatchedNames);

    /// <summary>
    /// <see cref="Select"/> for a cmdlet: resolves a PowerShell path, writes a NodeNotFound error for each plain name that
    /// matches nothing, and stops the cmdlet with one terminating error listing every problem of an invalid file.
    /// </summary>
    public static List<PiNode> SelectFor(PSCmdlet cmdlet, string path, IReadOnlyCollection<string>? names)
    {
        string? fullPath = null;
        try
        {
            fullPath = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            var nodes = Select(fullPath, names, out var unmatched);
            foreach (var name in unmatched) cmdlet.WriteError(NodeErrorRecords.ForMissingNode(name, path));
            return nodes;
        }
        catch (ClusterFileException e)
        {
            cmdlet.ThrowTerminatingError(NodeErrorRecords.ForClusterFile(e, path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cmdlet.ThrowTerminatingError(NodeErrorRecords.ForUnreadableFile(e, path, fullPath));
        }
        return new List<PiNode>(); // not reached: ThrowTerminatingError throws
    }

    /// <summary>Node names in the file that start like <paramref name="wordToComplete"/>; nothing when the file cannot be loaded.</summary>
    public static IEnumerable<string> CompleteNames(string? path, string? wordToComplete)
    {
        if (string.IsNullOrEmpty(path)) return Array.Empty<string>();
        try
        {
            var pattern = new NamePattern((wordToComplete ?? "").Trim('\'', '"') + "*");
            return ClusterFileLoader.Load(path!).Nodes.Select(n => n.Name).Where(pattern.IsMatch).ToList();
        }
        catch (Exception e) when (e is ClusterFileException or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return Array.Empty<string>();
        }
    }
}
