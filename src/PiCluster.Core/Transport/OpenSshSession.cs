using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;

namespace PiCluster.Transport;

/// <summary>
/// One node's connection for one run through the system OpenSSH client: a ControlMaster connection that every command
/// shares (its socket in a private temporary folder), each command a <c>bash -s</c> that reads a small bootstrap and
/// then the script and its input from stdin (Scripts/ssh-bootstrap.sh). Commands run one at a time.
/// </summary>
public sealed class OpenSshSession : ITransportSession
{
    // A safety net only: if PiCluster dies without closing the master, it ends after this long without clients.
    private static readonly TimeSpan MasterPersist = TimeSpan.FromMinutes(30);

    private readonly ConnectOptions _options;
    private readonly string _directory;
    private readonly string _controlPath;
    private readonly string? _sudoPassword;
    private readonly Redactor _redactor;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _roundTrips;
    private int _connections;
    private string? _bootId;
    private bool _masterUp;

    internal OpenSshSession(PiNode node, ConnectOptions options, string directory, Redactor redactor)
    {
        Node = node;
        _options = options;
        _directory = directory;
        _controlPath = Path.Combine(directory, "c");
        _redactor = redactor;
        if (options.SudoPassword is not null)
        {
            _sudoPassword = new NetworkCredential("", options.SudoPassword).Password;
            if (_sudoPassword.IndexOfAny(new[] { '\n', '\r', '\0' }) >= 0)
                throw new NodeException(NodeErrorKind.SudoFailed, $"{node.Name}: the sudo password contains a line break, which sudo cannot read.");
            _redactor.Add(_sudoPassword);
        }
    }

    /// <inheritdoc />
    public PiNode Node { get; }

    /// <inheritdoc />
    public SshTransport Transport => SshTransport.OpenSsh;

    /// <inheritdoc />
    public int RoundTrips => Volatile.Read(ref _roundTrips);

    /// <summary>How many SSH connections (masters) this session has opened: one, plus one per reconnect.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The node's boot id as last seen, or null before the first command.</summary>
    public string? BootId => _bootId;

    /// <summary>Opens the master connection. Throws <see cref="NodeException"/> (host key, authentication, unreachable).</summary>
    internal async Task ConnectAsync(TimeSpan connectTimeout, CancellationToken cancellation)
    {
        var options = connectTimeout == _options.ConnectTimeout ? _options : _options.WithConnectTimeout(connectTimeout);
        // ConnectTimeout covers TCP only; allow for key exchange and authentication on a slow board too.
        var limit = connectTimeout + TimeSpan.FromSeconds(20);
        var outcome = await SshProcess.RunAsync(SshCommandLine.Master(Node, options, _controlPath, MasterPersist), null, false, limit, cancellation)
            .ConfigureAwait(false);
        Interlocked.Increment(ref _connections);
        if (outcome.TimedOut)
            throw new NodeException(NodeErrorKind.NodeUnreachable, $"{Node.Name} ({Node.Endpoint}): no SSH connection within {limit.TotalSeconds:0} s.");
        if (outcome.ExitCode != 0) throw SshErrors.Classify(Node, outcome.Stderr, _redactor);
        _masterUp = true;
    }

    /// <inheritdoc />
    public async Task<CommandResult> RunAsync(RemoteCommand command, CancellationToken cancellationToken)
    {
        if (command is null) throw new ArgumentNullException(nameof(command));
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await RunOneAsync(command, cancellationToken).ConfigureAwait(false); }
        finally { _gate.Release(); }
    }

    private async Task<CommandResult> RunOneAsync(RemoteCommand command, CancellationToken cancellation)
    {
        // A master that ended (e.g. idle past ControlPersist while other nodes worked) is reopened once.
        if (!_masterUp || !File.Exists(_controlPath)) await ConnectAsync(_options.ConnectTimeout, cancellation).ConfigureAwait(false);
        var timeout = command.Timeout ?? _options.CommandTimeout;
        Interlocked.Increment(ref _roundTrips);
        var outcome = await SshProcess.RunAsync(SshCommandLine.Command(Node, _options, _controlPath), BootstrapProtocol.Request(command, _sudoPassword), true, timeout, cancellation)
            .ConfigureAwait(false);
        if (outcome.TimedOut)
            throw new NodeException(NodeErrorKind.Timeout,
                $"{Node.Name}: '{CommandSummary.Describe(command, _redactor)}' did not finish within {timeout.TotalSeconds:0} s and was stopped.");
        if (!BootstrapProtocol.TryParse(Node, outcome.Stderr, out var parsed))
        {
            _masterUp = false;
            throw SshErrors.Classify(Node, outcome.Stderr.Replace("\r\n", "\n"), _redactor);
        }
        if (parsed.BootId.Length > 0) _bootId = parsed.BootId;
        return new CommandResult(parsed.ExitCode, outcome.Stdout, parsed.Stderr);
    }

    /// <summary>
    /// After a reboot: closes the old connection and waits until the node answers over SSH again from a new boot
    /// (a node that has not gone down yet still answers with its old boot id). Host-key and authentication failures end
    /// the wait at once; running out of time throws <see cref="NodeException"/> with kind Timeout.
    /// </summary>
    public async Task ReconnectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var clock = Stopwatch.StartNew();
            var oldBoot = _bootId;
            NodeException? last = null;
            while (true)
            {
                await CloseMasterAsync().ConfigureAwait(false);
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero) break;
                try
                {
                    await ConnectAsync(left < _options.ConnectTimeout ? left : _options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
                    await RunOneAsync(new RemoteCommand("true", display: "check the boot id"), cancellationToken).ConfigureAwait(false);
                    if (oldBoot is null || _bootId != oldBoot) return;
                    last = null;
                }
                catch (NodeException e) when (e.Kind is NodeErrorKind.NodeUnreachable or NodeErrorKind.Timeout) { last = e; }
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }
            throw new NodeException(NodeErrorKind.Timeout, last is null
                ? $"{Node.Name}: the node did not reboot within {timeout.TotalSeconds:0} s (it kept answering from the same boot)."
                : $"{Node.Name}: the node did not answer over SSH again within {timeout.TotalSeconds:0} s after the reboot. Last error: {last.Message}", last);
        }
        finally { _gate.Release(); }
    }

    private async Task CloseMasterAsync()
    {
        if (!_masterUp && !File.Exists(_controlPath)) return;
        _masterUp = false;
        try
        {
            await SshProcess.RunAsync(SshCommandLine.Exit(Node, _options, _controlPath), null, false, TimeSpan.FromSeconds(10), CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (InvalidOperationException) { /* no ssh at all: nothing to close */ }
    }

    /// <summary>Closes the connection and removes its private folder.</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseMasterAsync().ConfigureAwait(false);
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        _gate.Dispose();
    }
}
