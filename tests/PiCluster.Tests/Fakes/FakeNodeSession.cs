using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Tests.Fakes;

/// <summary>A node session whose answers come from a handler; records every command it was asked to run.</summary>
public sealed class FakeNodeSession : INodeSession
{
    private readonly Func<RemoteCommand, CommandResult> _handler;

    public FakeNodeSession(PiNode node, Func<RemoteCommand, CommandResult> handler)
    {
        Node = node;
        _handler = handler;
    }

    public PiNode Node { get; }
    public List<RemoteCommand> Commands { get; } = new();
    public int RoundTrips => Commands.Count;
    public int Connections => 1 + Reconnects;
    public int Reconnects { get; private set; }

    public Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Commands.Add(command);
        return Task.FromResult(_handler(command));
    }

    public Func<CommandRunner, CancellationToken, Task>? AfterImplicitReconnect { get; set; }

    /// <summary>The last ReconnectAsync's requireNewBoot.</summary>
    public bool? LastRequireNewBoot { get; private set; }

    public Task ReconnectAsync(TimeSpan timeout, bool requireNewBoot, CancellationToken cancellationToken)
    {
        Reconnects++;
        LastRequireNewBoot = requireNewBoot;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => default;

    public static CommandResult Ok(string stdout = "") => new(0, stdout, "");
}
