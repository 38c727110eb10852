using System;
using System.Collections.Generic;
using PiCluster.Engine;

namespace PiCluster.Hosting;

/// <summary>
/// The nodes piped into a cmdlet, each once and in arrival order. Results chain into the next cmdlet, and a node with
/// several results (one per failed check, say) must still be worked on once: two runs on one node would collide on its
/// lock. Two objects for the same name and SSH endpoint are the same node.
/// </summary>
internal sealed class NodeCollector
{
    private readonly HashSet<(string Name, string Endpoint)> _seen = new();

    public List<PiNode> Nodes { get; } = new();

    public void Add(IEnumerable<PiNode> nodes)
    {
        foreach (var node in nodes)
            if (_seen.Add((node.Name, node.Endpoint))) Nodes.Add(node);
    }
}
