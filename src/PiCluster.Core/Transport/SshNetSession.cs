using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Engine;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace PiCluster.Transport;

/// <summary>
/// One node's connection for one run through SSH.NET, in process: one SSH connection, each command a channel running
/// <c>bash -s</c> fed the same bootstrap and framed request as the OpenSSH transport (<see cref="BootstrapProtocol"/>).
/// Input stays open while the command runs; closing it (timeout, cancellation) makes the bootstrap stop the remote work.
/// Host keys are checked against the same known_hosts files OpenSSH uses (<see cref="KnownHosts"/>), on every client,
/// including each ProxyJump hop under its own name.
/// </summary>
public sealed class SshNetSession : ITransportSession
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    private readonly ConnectOptions _options;
    private readonly string? _sudoPassword;
    private readonly Redactor _redactor;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<IDisposable> _hops = new();
    private EffectiveSshConfig? _config;
    private IPrivateKeySource[]? _keys;
    private SshClient? _client;
    private int _roundTrips;
    private int _connections;
    private string? _bootId;
    private bool _suppressHook;

    internal SshNetSession(PiNode node, ConnectOptions options, Redactor redactor)
    {
        Node = node;
        _options = options;
        _redactor = redactor;
        _sudoPassword = BootstrapProtocol.SudoPassword(node, options, redactor);
    }

    /// <inheritdoc />
    public PiNode Node { get; }

    /// <inheritdoc />
    public SshTransport Transport => SshTransport.SshNet;

    /// <inheritdoc />
    public int RoundTrips => Volatile.Read(ref _roundTrips);

    /// <inheritdoc />
    public int Connections => Volatile.Read(ref _connections);

    /// <inheritdoc />
    public string? BootId => _bootId;

    /// <inheritdoc />
    public Func<CommandRunner, CancellationToken, Task>? AfterImplicitReconnect { get; set; }

    /// <summary>The settings the connection uses (ssh -G), once connected.</summary>
    public EffectiveSshConfig? Config => _config;

    /// <summary>Opens the connection (through any ProxyJump hops). Throws <see cref="NodeException"/>.</summary>
    internal async Task ConnectAsync(TimeSpan connectTimeout, CancellationToken cancellation)
    {
        Close();
        _config ??= SshConfigEvaluation.Evaluate(Node, TimeSpan.FromSeconds(10));
        if (_config.ProxyCommand is not null)
            throw new NodeException(NodeErrorKind.NodeUnreachable, $"{Node.Name}: the node's ssh_config sets ProxyCommand, which the SSH.NET "
                + "transport does not run. Use ProxyJump, or -SshTransport OpenSsh.");
        _keys ??= LoadKeys(Node, _config, _options);
        Interlocked.Increment(ref _connections);

        string host = _config.HostName.Length > 0 ? _config.HostName : Node.Address;
        int port = _config.Port;
        // Each hop is a client of its own (host key checked under its real name) whose forwarded local port the next
        // client connects to.
        foreach (var hop in ProxyJumpHops(_config.ProxyJump))
        {
            var hopConfig = SshConfigEvaluation.Evaluate(hop.Host, hop.Port, hop.User, null, Node.ConfigFile, TimeSpan.FromSeconds(10));
            var hopHost = hopConfig.HostName.Length > 0 ? hopConfig.HostName : hop.Host;
            var hopKeys = LoadKeys(Node, hopConfig, _options, _keys);
            var (dialHost, dialPort) = _hops.Count == 0 ? (hopHost, hopConfig.Port) : LastForward();
            var hopClient = await OpenClientAsync(dialHost, dialPort, hopHost, hopConfig.Port, hopConfig, hopKeys, connectTimeout, cancellation, hop.Host)
                .ConfigureAwait(false);
            _hops.Add(hopClient);
            var forward = new ForwardedPortLocal("127.0.0.1", 0, host, (uint)port);
            hopClient.AddForwardedPort(forward);
            forward.Start();
            _hops.Add(forward);
        }
        var (dial, dialPortFinal) = _hops.Count == 0 ? (host, port) : LastForward();
        _client = await OpenClientAsync(dial, dialPortFinal, host, port, _config, _keys, connectTimeout, cancellation, null).ConfigureAwait(false);
    }

    private (string, int) LastForward()
    {
        var forward = (ForwardedPortLocal)_hops[_hops.Count - 1];
        return ("127.0.0.1", (int)forward.BoundPort);
    }

    // Connects one client: to dialHost:dialPort (the node, or a forwarded port), checking the key of realHost:realPort.
    private async Task<SshClient> OpenClientAsync(string dialHost, int dialPort, string realHost, int realPort, EffectiveSshConfig config,
        IPrivateKeySource[] keys, TimeSpan connectTimeout, CancellationToken cancellation, string? hopName)
    {
        var knownName = KnownHosts.HostName(realHost, realPort);
        var info = new ConnectionInfo(dialHost, dialPort, config.User, new PrivateKeyAuthenticationMethod(config.User, keys))
        {
            Timeout = connectTimeout,
        };
        PreferKnownKeyTypes(info, config.KnownHostsFiles, knownName);
        var client = new SshClient(info) { KeepAliveInterval = KeepAlive };
        NodeException? refused = null;
        // SSH.NET trusts any key when no handler says otherwise: this handler is on every client, hops included.
        client.HostKeyReceived += (_, e) =>
        {
            refused = CheckHostKey(knownName, config, e.HostKey, hopName);
            e.CanTrust = refused is null;
        };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var total = connectTimeout + TimeSpan.FromSeconds(20);
        limit.CancelAfter(total);
        try
        {
            await client.ConnectAsync(limit.Token).ConfigureAwait(false);
            return client;
        }
        catch (Exception e)
        {
            client.Dispose();
            if (refused is not null) throw refused;
            if (e is OperationCanceledException && cancellation.IsCancellationRequested) throw;
            throw MapConnectError(e, total, hopName);
        }
    }

    private NodeException MapConnectError(Exception e, TimeSpan limit, string? hopName)
    {
        var via = hopName is null ? "" : $"(ProxyJump {hopName}) ";
        var detail = via + _redactor.Redact(e.Message);
        return e switch
        {
            SshAuthenticationException when _keys is { Length: 0 } && _config is not null =>
                new NodeException(NodeErrorKind.AuthenticationFailed, NoKeyMessage(Node, _config), e),
            SshAuthenticationException => SshErrors.AuthenticationFailed(Node, detail, e),
            SocketException s => SshErrors.Unreachable(Node, via + SocketText(s), e),
            OperationCanceledException or SshOperationTimeoutException =>
                new NodeException(NodeErrorKind.NodeUnreachable, $"{Node.Name}: {via}no SSH connection to {SshErrors.Destination(Node)} within {limit.TotalSeconds:0} s.", e),
            ProxyException => SshErrors.Unreachable(Node, detail, e),
            SshConnectionException => SshErrors.Unreachable(Node, detail, e),
            _ => SshErrors.Failed(Node, detail, e),
        };
    }

    // The words OpenSSH prints for the common socket errors, so messages read the same on every platform.
    private static string SocketText(SocketException s) => s.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "Connection refused",
        SocketError.TimedOut => "Connection timed out",
        SocketError.HostUnreachable => "No route to host",
        SocketError.NetworkUnreachable => "Network is unreachable",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "Could not resolve hostname: " + s.Message,
        SocketError.ConnectionReset => "Connection reset by peer",
        _ => s.Message,
    };

    private NodeException? CheckHostKey(string knownName, EffectiveSshConfig config, byte[] key, string? hopName)
    {
        var fingerprint = KnownHosts.Fingerprint(key);
        var offered = $"{SshErrors.KeyType(KnownHosts.KeyType(key))} key {fingerprint}";
        // A hop's key is named as the hop; the node's under the name known_hosts records it by.
        var at = hopName is null ? null : $"the ProxyJump host {hopName} ({knownName})";
        var hop = hopName is null ? "" : $"ProxyJump host {hopName} ({knownName}): ";
        var shellName = SshConfigCheck.ShellWord(knownName);
        var verdict = KnownHosts.Check(config.KnownHostsFiles, knownName, key);
        switch (verdict.Status)
        {
            case HostKeyStatus.Known:
                return null;
            case HostKeyStatus.Changed:
                return SshErrors.HostKeyChanged(Node, offered, RecordFile(verdict.RecordedIn) ?? config.KnownHostsFiles.FirstOrDefault() ?? "~/.ssh/known_hosts",
                    shellName, $"{verdict.RecordedFingerprint} at {verdict.RecordedIn}", at);
            case HostKeyStatus.Revoked:
                return new NodeException(NodeErrorKind.HostKeyChanged, $"{Node.Name}: {hop}the node offers host key {offered}, which "
                    + $"known_hosts marks @revoked ({verdict.RecordedIn}). PiCluster refuses it; a revoked key is never accepted.");
        }
        var files = string.Join(", ", config.KnownHostsFiles);
        if (verdict.CertAuthorityOnly)
            return SshErrors.HostKeyUnknown(Node, offered, files, shellName, $"known_hosts has only @cert-authority entries for {knownName}, which the SSH.NET transport "
                + "does not honour (use -SshTransport OpenSsh for host certificates).", at);
        if (!_options.AcceptNewHostKey)
            return SshErrors.HostKeyUnknown(Node, offered, files, shellName, at: at);
        if (config.KnownHostsFiles.Count == 0)
            return SshErrors.HostKeyUnknown(Node, offered, "known_hosts", shellName, "There is no UserKnownHostsFile to record it in.", at);
        try { KnownHosts.Append(config.KnownHostsFiles[0], config.HashKnownHosts ? KnownHosts.Hash(knownName, NewSalt()) : knownName, key); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new NodeException(NodeErrorKind.SshConfigUnsafe, $"{Node.Name}: {hop}the host key was accepted but cannot be recorded in "
                + $"{config.KnownHostsFiles[0]} ({e.Message}), so it would not be checked next time. Check that the file is writable.", e);
        }
        return null;
    }

    // "file:line" of a known_hosts entry: the file.
    private static string? RecordFile(string? recordedIn)
    {
        if (string.IsNullOrEmpty(recordedIn)) return null;
        var colon = recordedIn!.LastIndexOf(':');
        return colon > 0 && int.TryParse(recordedIn.Substring(colon + 1), out _) ? recordedIn.Substring(0, colon) : recordedIn;
    }

    private static byte[] NewSalt()
    {
        var salt = new byte[20];
        System.Security.Cryptography.RandomNumberGenerator.Fill(salt);
        return salt;
    }

    // OpenSSH prefers host key algorithms whose keys known_hosts has for the host, so a node with several host keys is
    // checked against the one recorded. Certificates are not offered: @cert-authority is not honoured here.
    private static void PreferKnownKeyTypes(ConnectionInfo info, IReadOnlyList<string> files, string knownName)
    {
        var known = KnownHosts.KnownKeyTypes(files, knownName);
        var all = info.HostKeyAlgorithms.Where(a => !a.Key.Contains("-cert-", StringComparison.Ordinal)).ToList();
        static string TypeOf(string algorithm) => algorithm is "rsa-sha2-256" or "rsa-sha2-512" ? "ssh-rsa" : algorithm;
        var ordered = all.Where(a => known.Contains(TypeOf(a.Key))).Concat(all.Where(a => !known.Contains(TypeOf(a.Key)))).ToList();
        info.HostKeyAlgorithms.Clear();
        foreach (var a in ordered) info.HostKeyAlgorithms.Add(a.Key, a.Value);
    }

    internal static IPrivateKeySource[] LoadKeys(PiNode node, EffectiveSshConfig config, ConnectOptions options, IPrivateKeySource[]? fallback = null)
    {
        var passphrase = options.KeyPassphrase is null ? null : new NetworkCredential("", options.KeyPassphrase).Password;
        var keys = new List<IPrivateKeySource>();
        var named = !string.IsNullOrEmpty(node.IdentityFile) ? SshConfigEvaluation.ExpandHome(node.IdentityFile!, SshConfigEvaluation.Home()) : null;
        // ssh -G leaves out a named identity file that does not exist (with a warning); say so rather than fall back.
        if (named is not null && !File.Exists(named))
            throw new NodeException(NodeErrorKind.AuthenticationFailed, $"{node.Name}: the identity file {named} does not exist.");
        // As ssh: the agent's keys first, unless IdentitiesOnly; then the files. With IdentitiesOnly, an identity file's
        // key that the agent holds is still signed by the agent (an encrypted key then needs no passphrase here).
        var agent = AgentKeys(config, options.ConnectTimeout);
        if (!config.IdentitiesOnly) keys.AddRange(agent);
        foreach (var file in config.IdentityFiles.Distinct(StringComparer.Ordinal))
        {
            if (!File.Exists(file))
            {
                if (named is not null && PathsEqual(file, named))
                    throw new NodeException(NodeErrorKind.AuthenticationFailed, $"{node.Name}: the identity file {file} does not exist.");
                continue;
            }
            var held = HeldByAgent(file, agent);
            if (held is not null)
            {
                if (!keys.Contains(held)) keys.Add(held);
                continue;
            }
            try
            {
                keys.Add(string.IsNullOrEmpty(passphrase) ? new PrivateKeyFile(file) : new PrivateKeyFile(file, passphrase));
            }
            catch (SshPassPhraseNullOrEmptyException)
            {
                // As ssh in batch mode: an encrypted key without its passphrase is skipped, unless it is the one named.
                if (named is not null && PathsEqual(file, named))
                    throw new NodeException(NodeErrorKind.AuthenticationFailed, $"{node.Name}: the identity file {file} is encrypted. "
                        + "Give its passphrase with -KeyPassphrase (it is never logged), or add the key to ssh-agent (ssh-add).");
            }
            catch (Exception e) when (e is SshException or InvalidOperationException or ArgumentException or FormatException or NotSupportedException)
            {
                var wrong = e.Message.Contains("passphrase", StringComparison.OrdinalIgnoreCase);
                if (named is not null && PathsEqual(file, named) || wrong)
                    throw new NodeException(NodeErrorKind.AuthenticationFailed, wrong
                        ? $"{node.Name}: the passphrase given with -KeyPassphrase does not open the identity file {file}."
                        : $"{node.Name}: cannot read the identity file {file}: {e.Message} (OpenSSH, PEM, PKCS#8 and PuTTY keys are supported).", e);
            }
        }
        if (keys.Count > 0) return keys.ToArray();
        // No key: connect anyway (an unreachable node or an unknown host key is reported as such, as OpenSSH does);
        // authentication then fails with NoKeyMessage.
        return fallback is { Length: > 0 } ? fallback : Array.Empty<IPrivateKeySource>();
    }

    private static IReadOnlyList<AgentKey> AgentKeys(EffectiveSshConfig config, TimeSpan timeout)
    {
        var endpoint = SshAgent.Locate(config.IdentityAgent, Environment.GetEnvironmentVariable, OperatingSystem.IsWindows());
        return endpoint is null ? Array.Empty<AgentKey>() : SshAgent.Keys(endpoint, timeout);
    }

    // The agent's copy of an identity file's key, found by the file's .pub, as ssh does.
    private static AgentKey? HeldByAgent(string file, IReadOnlyList<AgentKey> agent)
    {
        if (agent.Count == 0 || !File.Exists(file + ".pub")) return null;
        var blob = SshAgent.PublicKeyBlob(File.ReadAllText(file + ".pub"));
        return blob is null ? null : agent.FirstOrDefault(k => k.Blob.AsSpan().SequenceEqual(blob));
    }

    /// <summary>Why authentication failed when neither an identity file nor ssh-agent offered a key.</summary>
    internal static string NoKeyMessage(PiNode node, EffectiveSshConfig config) =>
        $"{node.Name}: SSH authentication to {SshErrors.Destination(node)} failed: no usable identity file "
            + $"(looked for {string.Join(", ", config.IdentityFiles)}) and no key from ssh-agent"
            + (config.IdentitiesOnly ? " (IdentitiesOnly is set)" : "") + ". Name a key file "
            + "(ssh.identityFile in the cluster file, New-PiNode -IdentityFile, or IdentityFile in ssh_config; -KeyPassphrase if it is encrypted), "
            + "or add the key to ssh-agent (ssh-add; SSH_AUTH_SOCK must name the agent, or IdentityAgent in ssh_config).";

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    internal readonly record struct Hop(string? User, string Host, int? Port);

    /// <summary>ProxyJump "[user@]host[:port],..." (or ssh://user@host:port), in the order the connection passes them.</summary>
    internal static List<Hop> ProxyJumpHops(string? proxyJump)
    {
        var hops = new List<Hop>();
        if (string.IsNullOrEmpty(proxyJump)) return hops;
        foreach (var raw in proxyJump!.Split(','))
        {
            var text = raw.Trim();
            if (text.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase)) text = text.Substring(6);
            string? user = null;
            var at = text.LastIndexOf('@');
            if (at >= 0) { user = text.Substring(0, at); text = text.Substring(at + 1); }
            int? port = null;
            if (text.StartsWith("[", StringComparison.Ordinal) && text.IndexOf(']') is var close and > 0)
            {
                var rest = text.Substring(close + 1);
                text = text.Substring(1, close - 1);
                if (rest.StartsWith(":", StringComparison.Ordinal) && int.TryParse(rest.Substring(1), out var p1)) port = p1;
            }
            else if (text.Count(c => c == ':') == 1)
            {
                var colon = text.IndexOf(':');
                if (int.TryParse(text.Substring(colon + 1), out var p2)) port = p2;
                text = text.Substring(0, colon);
            }
            if (text.Length > 0) hops.Add(new Hop(user, text, port));
        }
        return hops;
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
        // A connection that ended between commands is reopened, and the run's hook redone on it, before the command.
        if (_client is null || !_client.IsConnected) await ReopenAsync(cancellation).ConfigureAwait(false);
        var timeout = command.Timeout ?? _options.CommandTimeout;
        SshCommand ssh;
        Task execution;
        Stream input;
        for (var attempt = 0; ; attempt++)
        {
            Interlocked.Increment(ref _roundTrips);
            SshCommand? opened = null;
            try
            {
                opened = _client!.CreateCommand(BootstrapProtocol.RemoteCommandLine, new UTF8Encoding(false));
                execution = opened.ExecuteAsync(CancellationToken.None);
                input = opened.CreateInputStream();
                ssh = opened;
                break;
            }
            catch (Exception e) when (e is SshException or SocketException or InvalidOperationException or ObjectDisposedException)
            {
                opened?.Dispose();
                Close();
                if (attempt > 0) throw SshErrors.ConnectionLost(Node, _redactor.Redact(e.Message), e);
            }
            // The connection had ended though it still looked open, and no channel opened: the command never reached
            // the node, so it is safe to reconnect (with the hook) and run it once more.
            await ReopenAsync(cancellation).ConfigureAwait(false);
        }
        using var channel = ssh;

        var timedOut = false;
        try
        {
            var request = BootstrapProtocol.Request(command, _sudoPassword);
            try
            {
                await input.WriteAsync(request, 0, request.Length, CancellationToken.None).ConfigureAwait(false);
                await input.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SshException or IOException or ObjectDisposedException) { /* the command ended early; see below */ }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            limit.CancelAfter(timeout);
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (limit.Token.Register(() => stopped.TrySetResult()))
            {
                if (await Task.WhenAny(execution, stopped.Task).ConfigureAwait(false) != execution)
                {
                    timedOut = !cancellation.IsCancellationRequested;
                    await StopAsync(ssh, input, execution).ConfigureAwait(false);
                }
            }
            try { await execution.ConfigureAwait(false); }
            catch (OperationCanceledException) when (timedOut || cancellation.IsCancellationRequested) { }
            catch (Exception e) when (e is SshException or SocketException or ObjectDisposedException)
            {
                if (!(timedOut || cancellation.IsCancellationRequested))
                {
                    Close();
                    throw SshErrors.ConnectionLost(Node, _redactor.Redact(e.Message), e);
                }
            }
        }
        finally
        {
            try { input.Dispose(); } catch (Exception e) when (e is SshException or IOException or ObjectDisposedException) { }
        }

        cancellation.ThrowIfCancellationRequested();
        if (timedOut)
            throw new NodeException(NodeErrorKind.Timeout,
                $"{Node.Name}: '{CommandSummary.Describe(command, _redactor)}' did not finish within {timeout.TotalSeconds:0} s and was stopped.");
        var stdout = ssh.Result;
        var stderr = ssh.Error;
        if (!BootstrapProtocol.TryParse(Node, stderr, out var parsed))
        {
            if (_client is null || !_client.IsConnected)
            {
                Close();
                throw SshErrors.ConnectionLost(Node, "the connection closed before the command reported its end");
            }
            throw new NodeException(NodeErrorKind.NodeUnreachable,
                $"{Node.Name}: ssh to {SshErrors.Destination(Node)} failed: the remote command ended without its report (exit {ssh.ExitStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}). "
                + _redactor.Redact(stderr.Length > 400 ? stderr.Substring(0, 400) : stderr).Trim());
        }
        if (parsed.BootId.Length > 0) _bootId = parsed.BootId;
        return new CommandResult(parsed.ExitCode, stdout, parsed.Stderr);
    }

    /// <summary>
    /// A new connection in place of a lost one, then <see cref="AfterImplicitReconnect"/> on it before anything else
    /// runs (not nested: a connection lost again inside the hook is reopened without it). If the hook fails, the
    /// connection is dropped again, so that every later command tries the hook again rather than running without it.
    /// </summary>
    private async Task ReopenAsync(CancellationToken cancellation)
    {
        await ConnectAsync(_options.ConnectTimeout, cancellation).ConfigureAwait(false);
        var hook = AfterImplicitReconnect;
        if (hook is null || _suppressHook) return;
        _suppressHook = true;
        try { await hook(RunOneAsync, cancellation).ConfigureAwait(false); }
        catch
        {
            Close();
            throw;
        }
        finally { _suppressHook = false; }
    }

    // End of input tells the bootstrap to stop the remote work and report; if it does not end soon, close the channel.
    private static async Task StopAsync(SshCommand ssh, Stream input, Task execution)
    {
        try { input.Dispose(); } catch (Exception e) when (e is SshException or IOException or ObjectDisposedException) { }
        if (await Task.WhenAny(execution, Task.Delay(StopGrace)).ConfigureAwait(false) == execution) return;
        try { ssh.CancelAsync(forceKill: true, millisecondsTimeout: 1000); }
        catch (Exception e) when (e is SshException or InvalidOperationException or ObjectDisposedException) { }
    }

    /// <summary>
    /// Closes the connection and waits until the node answers over SSH again; with <paramref name="requireNewBoot"/>
    /// (after a reboot) from a new boot (a node that has not gone down yet still answers with its old boot id).
    /// Host-key and authentication failures end the wait at once; running out of time throws <see cref="NodeException"/>
    /// with kind Timeout. <see cref="AfterImplicitReconnect"/> is not called: the caller takes care of that.
    /// </summary>
    public async Task ReconnectAsync(TimeSpan timeout, bool requireNewBoot, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var suppressed = _suppressHook;
        _suppressHook = true;
        try
        {
            var clock = Stopwatch.StartNew();
            var oldBoot = _bootId;
            NodeException? last = null;
            while (true)
            {
                Close();
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
        finally
        {
            _suppressHook = suppressed;
            _gate.Release();
        }
    }

    private void Close()
    {
        var client = _client;
        _client = null;
        if (client is not null)
        {
            try { client.Disconnect(); } catch (Exception e) when (e is SshException or SocketException or ObjectDisposedException or InvalidOperationException) { }
            client.Dispose();
        }
        for (var i = _hops.Count - 1; i >= 0; i--)
        {
            try
            {
                if (_hops[i] is ForwardedPortLocal forward && forward.IsStarted) forward.Stop();
                if (_hops[i] is SshClient hop) hop.Disconnect();
            }
            catch (Exception e) when (e is SshException or SocketException or ObjectDisposedException or InvalidOperationException) { }
            _hops[i].Dispose();
        }
        _hops.Clear();
    }

    /// <summary>Closes the connection.</summary>
    public ValueTask DisposeAsync()
    {
        Close();
        _gate.Dispose();
        return default;
    }
}
