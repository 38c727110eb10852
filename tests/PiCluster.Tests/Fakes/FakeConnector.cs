using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Tests.Fakes;

/// <summary>
/// Opens <see cref="FakeNodeSession"/>s whose answers come from one handler for all nodes. Answers the run lock script
/// itself (acquired, unless the node is in <see cref="LockedNodes"/>), and can make nodes unreachable.
/// </summary>
public sealed class FakeConnector : INodeConnector
{
    private readonly Func<PiNode, RemoteCommand, CommandResult> _handler;

    public FakeConnector(Func<PiNode, RemoteCommand, CommandResult>? handler = null) =>
        _handler = handler ?? ((_, _) => FakeNodeSession.Ok());

    /// <summary>Node names whose connection fails with NodeUnreachable.</summary>
    public HashSet<string> Unreachable { get; } = new();

    /// <summary>Node names whose lock another run holds.</summary>
    public HashSet<string> LockedNodes { get; } = new();

    /// <summary>Sessions opened, by node name.</summary>
    public ConcurrentDictionary<string, FakeNodeSession> Sessions { get; } = new();

    /// <summary>How many times each node was connected to.</summary>
    public ConcurrentDictionary<string, int> Opens { get; } = new();

    /// <summary>Sessions disposed, by node name.</summary>
    public ConcurrentBag<string> Closed { get; } = new();

    /// <summary>An optional delay before a connection opens.</summary>
    public TimeSpan OpenDelay { get; set; }

    public async Task<INodeSession> OpenAsync(PiNode node, ConnectOptions options, CancellationToken cancellationToken)
    {
        Opens.AddOrUpdate(node.Name, 1, (_, n) => n + 1);
        if (OpenDelay > TimeSpan.Zero) await Task.Delay(OpenDelay, cancellationToken);
        if (Unreachable.Contains(node.Name))
            throw new NodeException(NodeErrorKind.NodeUnreachable, $"{node.Name}: ssh: connect to host {node.Address} port 22: Connection refused");
        var session = new FakeNodeSession(node, command => command.Script.Contains(NodeLock.ScriptMarker)
            ? Lock(node, command)
            : _handler(node, command));
        Sessions[node.Name] = session;
        return new ClosingSession(session, () => Closed.Add(node.Name));
    }

    private CommandResult Lock(PiNode node, RemoteCommand command) =>
        command.Script.Contains("PICLUSTER_LOCK_ACTION='release'") ? FakeNodeSession.Ok("@@ lock\nreleased\n")
        : LockedNodes.Contains(node.Name)
            ? FakeNodeSession.Ok("@@ lock\nheld\n@@ holder\nrun=0123456789ab pid=42 start=1 boot=x since=2026-01-01T00:00:00Z by=ann@desk\n")
            : FakeNodeSession.Ok("@@ lock\nacquired\n");

    /// <summary>Records when a session is disposed.</summary>
    private sealed class ClosingSession : INodeSession
    {
        private readonly FakeNodeSession _inner;
        private readonly Action _closed;

        public ClosingSession(FakeNodeSession inner, Action closed)
        {
            _inner = inner;
            _closed = closed;
        }

        public PiNode Node => _inner.Node;
        public int RoundTrips => _inner.RoundTrips;
        public int Connections => _inner.Connections;
        public Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken) => _inner.RunAsync(command, cancellationToken);
        public Func<CommandRunner, CancellationToken, Task>? AfterImplicitReconnect
        {
            get => _inner.AfterImplicitReconnect;
            set => _inner.AfterImplicitReconnect = value;
        }

        public Task ReconnectAsync(TimeSpan timeout, bool requireNewBoot, CancellationToken cancellationToken) =>
            _inner.ReconnectAsync(timeout, requireNewBoot, cancellationToken);

        public ValueTask DisposeAsync()
        {
            _closed();
            return _inner.DisposeAsync();
        }
    }
}
