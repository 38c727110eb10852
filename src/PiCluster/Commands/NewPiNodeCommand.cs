using System.Management.Automation;
using PiCluster.Clusters;
using PiCluster.Engine;
using PiCluster.Hosting;

namespace PiCluster.Commands;

/// <summary>New-PiNode: a node object from parameters, for use without a cluster file.</summary>
[Cmdlet(VerbsCommon.New, "PiNode")]
[OutputType(typeof(PiNode))]
public sealed class NewPiNodeCommand : PSCmdlet
{
    /// <summary>The node's name (its hostname once prepared).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidatePiValue(PiValue.NodeName)]
    public string Name { get; set; } = "";

    /// <summary>Where SSH reaches the node.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidatePiValue(PiValue.Address)]
    public string Address { get; set; } = "";

    /// <summary>Control plane or worker.</summary>
    /// <remarks>
    /// A string, not <see cref="NodeRole"/>: PowerShell loads this type before the module's load context can find
    /// PiCluster.Core, and an enum property would need Core to load (see Loading/ModuleInitializer).
    /// </remarks>
    [Parameter]
    [ValidateSet(nameof(NodeRole.ControlPlane), nameof(NodeRole.Worker))]
    public string Role { get; set; } = nameof(NodeRole.Worker);

    /// <summary>SSH login user.</summary>
    [Parameter]
    [ValidatePiValue(PiValue.SshUser)]
    public string? User { get; set; }

    /// <summary>SSH port.</summary>
    [Parameter]
    [ValidateRange(ValueRules.MinPort, ValueRules.MaxPort)]
    public int Port { get; set; }

    /// <summary>SSH private key file.</summary>
    [Parameter]
    [ValidatePiValue(PiValue.FilePath)]
    public string? IdentityFile { get; set; }

    /// <summary>An ssh_config file to use instead of the user's own (e.g. the lab's).</summary>
    [Parameter]
    [ValidatePiValue(PiValue.FilePath)]
    public string? ConfigFile { get; set; }

    /// <summary>The node's SSH transport (OpenSsh or SshNet); without it, -SshTransport of the run or the platform's default.</summary>
    [Parameter]
    [ValidateSet(nameof(PiCluster.Transport.SshTransport.OpenSsh), nameof(PiCluster.Transport.SshTransport.SshNet))]
    public string? SshTransport { get; set; }

    /// <summary>The node's static LAN address; defaults to Address.</summary>
    [Parameter]
    [ValidatePiValue(PiValue.LanAddress)]
    public string? LanAddress { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() =>
        WriteObject(new PiNode(Name, Address, CoreEnum.Parse<NodeRole>(Role), User, Port == 0 ? null : Port, FileSystemPath(IdentityFile),
            FileSystemPath(ConfigFile), LanAddress, transport: CoreEnum.ParseOptional<PiCluster.Transport.SshTransport>(SshTransport)));

    // PowerShell paths (~, relative to the current location, PSDrives) become file-system paths ssh understands.
    private string? FileSystemPath(string? path) =>
        string.IsNullOrEmpty(path) ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
