using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Transport;

namespace PiCluster.Engine;

/// <summary>
/// What Invoke-PiCommand does: runs one command on many nodes in parallel (at most
/// <see cref="RunOptions.ThrottleLimit"/> at once) and emits one <see cref="CommandOutput"/> per node as each finishes.
/// A non-zero exit code is output, not an error; a node that cannot be reached yields a <see cref="NodeFailure"/>.
/// Takes no run lock: it is for looking at nodes, also while another run works on them.
/// </summary>
public sealed class AdHocCommandRunner
{
    /// <summary>The step name of failures.</summary>
    public const string StepName = "Command";

    private readonly INodeConnector _connector;
    private readonly RunOptions _options;

    /// <summary>Creates a runner that connects through <paramref name="connector"/>.</summary>
    public AdHocCommandRunner(INodeConnector connector, RunOptions options)
    {
        _connector = connector ?? throw new ArgumentNullException(nameof(connector));
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>Runs <paramref name="command"/> on <paramref name="nodes"/>, calling <paramref name="host"/> only on this thread.</summary>
    public void Run(IReadOnlyList<PiNode> nodes, RemoteCommand command, IRunHost host, CancellationToken cancellation)
    {
        if (nodes is null) throw new ArgumentNullException(nameof(nodes));
        if (command is null) throw new ArgumentNullException(nameof(command));
        if (host is null) throw new ArgumentNullException(nameof(host));
        var pump = new HostPump();
        var scope = new RunScope(_connector, _options, pump);
        pump.Run(host, token => Throttled.ForEachAsync(nodes, _options.ThrottleLimit, node => RunOneAsync(scope, node, command, token), token),
            cancellation);
    }

    private static async Task RunOneAsync(RunScope scope, PiNode node, RemoteCommand command, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        scope.Pump.Post(h => h.WriteProgress(node, StepName, "connecting", 0));
        var session = await scope.OpenAsync(node, StepName, cancellation).ConfigureAwait(false);
        if (session is null) return;
        try
        {
            scope.Pump.Post(h => h.WriteProgress(node, StepName, "running", 50));
            var result = await session.RunAsync(command, cancellation).ConfigureAwait(false);
            var output = scope.Redacted(new CommandOutput(node, result.ExitCode, result.Stdout, result.Stderr, clock.Elapsed));
            scope.Pump.Post(h =>
            {
                h.WriteObject(output);
                h.WriteProgress(node, StepName, "done", 100);
            });
        }
        catch (Exception e) { scope.Fail(node, StepName, e, cancellation); }
        finally { await scope.CloseAllAsync(new[] { session }).ConfigureAwait(false); }
    }
}
