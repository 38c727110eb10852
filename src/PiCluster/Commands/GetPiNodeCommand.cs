using System.Management.Automation;
using PiCluster.Engine;
using PiCluster.Hosting;

namespace PiCluster.Commands;

/// <summary>Get-PiNode: the nodes of a cluster file. Reads the file only; contacts no node.</summary>
[Cmdlet(VerbsCommon.Get, "PiNode")]
[OutputType(typeof(PiNode))]
public sealed class GetPiNodeCommand : PSCmdlet
{
    /// <summary>The cluster file.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Node names to return; wildcards allowed. All nodes when omitted.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() =>
        WriteObject(ClusterFileNodes.SelectFor(this, Path, Name), enumerateCollection: true);
}
