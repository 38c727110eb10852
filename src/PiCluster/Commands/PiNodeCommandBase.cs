using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Engine.Phases;
using PiCluster.Hosting;
using PiCluster.Transport;

namespace PiCluster.Commands;

/// <summary>
/// The base of every cmdlet that works on nodes. It gathers the nodes (piped or given with -Node, or read from a
/// cluster file with -Path and -Name), then, once all input is in, calls <see cref="Run"/> once with all of them, so
/// that nodes run in parallel (-ThrottleLimit) and cross-node checks see every node.
/// </summary>
/// <remarks>
/// Adding a cmdlet (see also README, "Contributing"): one <c>public sealed class VerbNounCommand : PiNodeCommandBase</c>
/// per file in Commands/, with <c>[Cmdlet(verb, noun, DefaultParameterSetName = NodeSet)]</c> (an approved verb;
/// <c>SupportsShouldProcess = true</c> if it changes anything) and <c>[OutputType]</c>; implement <see cref="Run"/> in a
/// few lines by handing plain PiCluster.Core classes the nodes, <see cref="CreateRunOptions"/> and the host, e.g.
/// <c>RunSteps(nodes, steps, host, cancellation)</c>. Then add the cmdlet to CmdletsToExport in PiCluster.psd1, write
/// en-US/docs/Verb-Noun.md (copy a sibling), add a view to PiCluster.format.ps1xml for any new output type, and a row
/// to README's cmdlet table. The convention tests fail until all of that is done.
/// -Node is deliberately not positional: a cmdlet's own first positional parameter (Invoke-PiCommand's -Command) must
/// still bind when nodes come from the pipeline.
/// </remarks>
public abstract class PiNodeCommandBase : PSCmdlet
{
    /// <summary>Parameter set of -Node (and the pipeline); every node cmdlet's default set.</summary>
    public const string NodeSet = "Node";

    /// <summary>Parameter set of -Path / -Name.</summary>
    public const string PathSet = "Path";

    private readonly NodeCollector _nodes = new();
    private readonly CancellationTokenSource _cancellation = new();

    /// <summary>The nodes: PiNode objects, or any objects with a Node property (results of other PiCluster cmdlets).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = NodeSet)]
    [PiNodeTransformation]
    [ValidateNotNullOrEmpty]
    public PiNode[] Node { get; set; } = System.Array.Empty<PiNode>();

    /// <summary>A cluster file to read the nodes from.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>With -Path: only the nodes whose names match; wildcards allowed.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary>How many nodes to work on at the same time.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 8;

    /// <summary>The sudo password for the nodes (the user name is ignored). Never put on a command line or logged.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Accept and record the host key of a node that is not in known_hosts yet. A changed key is always refused.</summary>
    [Parameter]
    public SwitchParameter AcceptNewHostKey { get; set; }

    /// <summary>
    /// Take over a node's run lock that another run holds, with a warning. Only for a lock whose run is known to be gone
    /// (a crashed run's lock frees itself once its lease runs out, and at once when it ran on this machine).
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// Allow an ssh_config file named by a node (ssh.configFile, New-PiNode -ConfigFile) to run commands on this machine
    /// (ProxyCommand, LocalCommand, KnownHostsCommand, PermitLocalCommand, Match exec), which is refused otherwise.
    /// </summary>
    [Parameter]
    public SwitchParameter AllowSshConfigCommands { get; set; }

    /// <summary>
    /// The SSH transport for every node of this run: OpenSsh (the system ssh client) or SshNet (SSH.NET in process).
    /// Without it, each node's ssh.transport from the cluster file, else SshNet on Windows and OpenSsh elsewhere.
    /// A string, not the Core enum, so the cmdlet class loads before the module's load context (see Hosting/CoreEnum).
    /// </summary>
    [Parameter]
    [ValidateSet(nameof(Transport.SshTransport.OpenSsh), nameof(Transport.SshTransport.SshNet))]
    public string? SshTransport { get; set; }

    /// <summary>The passphrase of encrypted identity files (SSH.NET transport). Never logged or put on a command line.</summary>
    [Parameter]
    public System.Security.SecureString? KeyPassphrase { get; set; }

    /// <summary>Collects the nodes of this pipeline input (each node once).</summary>
    protected override void ProcessRecord() => _nodes.Add(Node);

    /// <summary>Runs on all collected nodes.</summary>
    protected override void EndProcessing()
    {
        var nodes = ParameterSetName == PathSet ? ClusterFileNodes.SelectFor(this, Path, Name) : _nodes.Nodes;
        Execute(nodes, new PowerShellRunHost(this, MyInvocation.MyCommand.Name, Redactor.ForRun(CreateRunOptions().Connect), ProgressParentActivity));
    }

    /// <summary>A parent progress record over the nodes' records (a cmdlet of many phases); null for none.</summary>
    private protected virtual string? ProgressParentActivity => null;

    /// <summary>
    /// Runs <see cref="Run"/> on the nodes and turns a Ctrl+C cancellation into the pipeline stop PowerShell expects.
    /// Cmdlet-logic tests call this with a recording host and a fake <see cref="Connector"/>.
    /// </summary>
    internal void Execute(IReadOnlyList<PiNode> nodes, IRunHost host)
    {
        if (nodes.Count == 0) return;
        try
        {
            Run(nodes, host, _cancellation.Token);
        }
        catch (System.OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>The connector to use instead of the real transports (tests).</summary>
    internal INodeConnector? Connector { get; set; }

    /// <summary>Ctrl+C: cancels the run, which stops remote work and closes the connections.</summary>
    protected override void StopProcessing() => _cancellation.Cancel();

    /// <summary>Does the cmdlet's work on all nodes, writing through <paramref name="host"/> only on this thread.</summary>
    protected abstract void Run(IReadOnlyList<PiNode> nodes, IRunHost host, CancellationToken cancellation);

    /// <summary>The run options from -ThrottleLimit, -Credential, -AcceptNewHostKey, -Force, -AllowSshConfigCommands, -SshTransport and -KeyPassphrase.</summary>
    protected RunOptions CreateRunOptions() => new()
    {
        ThrottleLimit = ThrottleLimit,
        TakeOverLock = Force,
        Connect = new ConnectOptions
        {
            AcceptNewHostKey = AcceptNewHostKey,
            SudoPassword = Credential?.Password,
            AllowSshConfigCommands = AllowSshConfigCommands,
            KeyPassphrase = KeyPassphrase,
            Transport = CoreEnum.ParseOptional<Transport.SshTransport>(SshTransport),
        },
    };

    /// <summary>The connector to the nodes: per node, the OpenSSH or the SSH.NET transport (<see cref="TransportConnector"/>).</summary>
    protected INodeConnector CreateConnector() => Connector ?? new TransportConnector();

    /// <summary>Runs steps over the nodes with the <see cref="ClusterRunner"/> (what most cmdlets do).</summary>
    protected void RunSteps(IReadOnlyList<PiNode> nodes, IReadOnlyList<NodeStep> steps, IRunHost host, CancellationToken cancellation) =>
        new ClusterRunner(CreateConnector(), CreateRunOptions()).Run(nodes, steps, host, cancellation);

    /// <summary>Runs cluster phases over the nodes with the <see cref="PhaseRunner"/> (cluster cmdlets: a leader, outputs between phases).</summary>
    protected void RunPhases(IReadOnlyList<PiNode> nodes, IReadOnlyList<ClusterPhase> phases, IRunHost host, CancellationToken cancellation) =>
        new PhaseRunner(CreateConnector(), CreateRunOptions()).Run(nodes, phases, host, cancellation);

    /// <summary>
    /// The kubeconfig file on this machine: <paramref name="given"/> relative to PowerShell's current location (not the
    /// process's), or ~/.kube/config. A full path needs no session state, so cmdlet-logic tests can run outside a runspace.
    /// </summary>
    protected string KubeconfigFilePath(string? given) => given is null ? Steps.Kubeconfig.KubeconfigFile.DefaultPath
        : System.IO.Path.IsPathFullyQualified(given) ? given : GetUnresolvedProviderPathFromPSPath(given);
}
