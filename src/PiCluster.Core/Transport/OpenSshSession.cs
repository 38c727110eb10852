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
    // A safety net only: if PiCluster dies without closing the master, it ends after this long without clients. A run
    // that holds the lock renews it every few seconds, so its master is never idle that long; an orphaned master does
    // not keep the lock anyway (its lease runs out, see Scripts/node-lock.sh).
    private static readonly TimeSpan MasterPersist = TimeSpan.FromMinutes(5);

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
    private bool _inReconnectHook;

    private readonly SshConfigCheck? _config;

    internal OpenSshSession(PiNode node, ConnectOptions options, string directory, Redactor redactor, SshConfigCheck? config = null)
    {
        Node = node;
        _config = config;
        _options = options;
        _directory = directory;
        _controlPath = Path.Combine(directory, "c");
        _redactor = redactor;
        _sudoPassword = BootstrapProtocol.SudoPassword(node, options, redactor);
    }

    /// <inheritdoc />
    public PiNode Node { get; }

    /// <inheritdoc />
    public SshTransport Transport => SshTransport.OpenSsh;

    /// <inheritdoc />
    public int RoundTrips => Volatile.Read(ref _roundTrips);

    /// <inheritdoc />
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The node's boot id as last seen, or null before the first command.</summary>
    public string? BootId => _bootId;

    /// <inheritdoc />
    public Func<CommandRunner, CancellationToken, Task>? AfterImplicitReconnect { get; set; }

    /// <summary>The ControlMaster socket (tests find the master process through it).</summary>
    internal string ControlPath => _controlPath;

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
            throw new NodeException(NodeErrorKind.NodeUnreachable, $"{Node.Name}: no SSH connection to {SshErrors.Destination(Node)} within {limit.TotalSeconds:0} s.");
        if (outcome.ExitCode != 0)
        {
            var error = SshErrors.Classify(Node, outcome.Stderr, _redactor, _config);
            if (error.Kind == NodeErrorKind.HostKeyUnknown)
                error = SshErrors.Classify(Node, outcome.Stderr, _redactor, _config, await OfferedKeyAsync(limit, cancellation).ConfigureAwait(false));
            throw error;
        }
        _masterUp = true;
    }

    /// <summary>
    /// The fingerprint of the key an unknown node offers, for the error message: one more strict attempt with -v, which
    /// prints it and stops at the host-key check (the key is not recorded, nothing is authenticated).
    /// </summary>
    private async Task<string?> OfferedKeyAsync(TimeSpan limit, CancellationToken cancellation)
    {
        var strict = _options.WithConnectTimeout(_options.ConnectTimeout);
        strict.AcceptNewHostKey = false;
        var args = SshCommandLine.Common(Node, strict, "none");
        args.AddRange(new[] { "-v", "-o", "ControlMaster=no", "-T", "--", Node.Address, "true" });
        try
        {
            var probe = await SshProcess.RunAsync(args, null, false, limit, cancellation).ConfigureAwait(false);
            return SshErrors.OfferedKey(probe.Stderr);
        }
        catch (InvalidOperationException) { return null; }
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
        // A master that ended (killed, or idle past ControlPersist) is reopened, and the run's hook redone on it.
        if (!_masterUp || !File.Exists(_controlPath)) await ReopenAsync(cancellation).ConfigureAwait(false);
        var outcome = await RunOnMasterAsync(command, cancellation).ConfigureAwait(false);
        if (outcome.NeverStarted)
        {
            // The master process died but left its socket: the command never reached the node, so it is safe to reopen
            // and run it once more.
            await ReopenAsync(cancellation).ConfigureAwait(false);
            outcome = await RunOnMasterAsync(command, cancellation).ConfigureAwait(false);
        }
        return Finish(command, outcome);
    }

    private sealed class Attempt
    {
        public Attempt(SshProcess.Outcome outcome, string stderr, bool reported, TimeSpan timeout)
        {
            Outcome = outcome;
            Stderr = stderr;
            Reported = reported;
            Timeout = timeout;
        }

        public SshProcess.Outcome Outcome { get; }
        public string Stderr { get; }
        // The bootstrap's trailer came back: the command ran on the node.
        public bool Reported { get; }
        public TimeSpan Timeout { get; }

        // ssh's mux client could not reach the master, and with ProxyCommand=false it could not connect by itself either.
        public bool NeverStarted => !Outcome.TimedOut && !Reported && Stderr.Contains("Control socket connect(", StringComparison.Ordinal);
    }

    private async Task<Attempt> RunOnMasterAsync(RemoteCommand command, CancellationToken cancellation)
    {
        var timeout = command.Timeout ?? _options.CommandTimeout;
        Interlocked.Increment(ref _roundTrips);
        var outcome = await SshProcess.RunAsync(SshCommandLine.Command(Node, _options, _controlPath), BootstrapProtocol.Request(command, _sudoPassword), true, timeout, cancellation)
            .ConfigureAwait(false);
        var stderr = outcome.Stderr.Replace("\r\n", "\n");
        var reported = BootstrapProtocol.HasTrailer(stderr);
        if (!outcome.TimedOut && !reported) _masterUp = false;
        return new Attempt(outcome, stderr, reported, timeout);
    }

    private CommandResult Finish(RemoteCommand command, Attempt attempt)
    {
        if (attempt.Outcome.TimedOut)
            throw new NodeException(NodeErrorKind.Timeout,
                $"{Node.Name}: '{CommandSummary.Describe(command, _redactor)}' did not finish within {attempt.Timeout.TotalSeconds:0} s and was stopped.");
        if (!BootstrapProtocol.TryParse(Node, attempt.Stderr, out var parsed)) throw SshErrors.Classify(Node, attempt.Stderr, _redactor, _config);
        if (parsed.BootId.Length > 0) _bootId = parsed.BootId;
        return new CommandResult(parsed.ExitCode, attempt.Outcome.Stdout, parsed.Stderr);
    }

    /// <summary>
    /// A new connection in place of a lost one, then <see cref="AfterImplicitReconnect"/> on it before anything else
    /// runs (not nested: a connection lost again inside the hook is reopened without it). If the hook fails, the
    /// connection is dropped again, so that every later command tries the hook again rather than running without it.
    /// </summary>
    private async Task ReopenAsync(CancellationToken cancellation)
    {
        await CloseMasterAsync().ConfigureAwait(false);
        await ConnectAsync(_options.ConnectTimeout, cancellation).ConfigureAwait(false);
        var hook = AfterImplicitReconnect;
        if (hook is null || _inReconnectHook) return;
        _inReconnectHook = true;
        try { await hook(RunOneAsync, cancellation).ConfigureAwait(false); }
        catch
        {
            await CloseMasterAsync().ConfigureAwait(false);
            throw;
        }
        finally { _inReconnectHook = false; }
    }

    /// <summary>
    /// Closes the old connection and waits until the node answers over SSH again; with <paramref name="requireNewBoot"/>
    /// (after a reboot) from a new boot (a node that has not gone down yet still answers with its old boot id).
    /// Host-key and authentication failures end the wait at once; running out of time throws <see cref="NodeException"/>
    /// with kind Timeout.
    /// </summary>
    public async Task ReconnectAsync(TimeSpan timeout, bool requireNewBoot, CancellationToken cancellationToken)
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
                    await RunOneAsync(new RemoteCommand(RemoteScripts.Compose("noop"), display: "check the boot id"), cancellationToken).ConfigureAwait(false);
                    if (!requireNewBoot || oldBoot is null || _bootId != oldBoot) return;
                    last = null;
                }
                catch (NodeException e) when (e.Kind is NodeErrorKind.NodeUnreachable or NodeErrorKind.Timeout) { last = e; }
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }
            throw new NodeException(NodeErrorKind.Timeout, last is null && requireNewBoot
                ? $"{Node.Name}: the node did not reboot within {timeout.TotalSeconds:0} s (it kept answering from the same boot)."
                : $"{Node.Name}: the node did not answer over SSH again within {timeout.TotalSeconds:0} s{(requireNewBoot ? " after the reboot" : "")}. Last error: {last?.Message ?? "none"}", last);
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
        // A master that was killed leaves its socket behind, and a new master cannot listen where a socket exists.
        try { File.Delete(_controlPath); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
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
