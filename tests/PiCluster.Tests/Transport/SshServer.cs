using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using PiCluster.Engine;
using PiCluster.Transport;
using Xunit;

namespace PiCluster.Tests.Transport;

/// <summary>
/// A throwaway OpenSSH server on 127.0.0.1 for tests of the real transport without VMs: its own host key, an
/// authorized client key, a high port, LogLevel VERBOSE into a log file that tests read to count connections and
/// sessions. Needs /usr/sbin/sshd (Debian: openssh-server). Logs in as the current user.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SshServer : IDisposable
{
    public const string SshdPath = "/usr/sbin/sshd";
    private Process? _sshd;

    private SshServer(string? fakeSudo)
    {
        if (!File.Exists(SshdPath))
            throw new InvalidOperationException($"{SshdPath} is missing: install openssh-server (apt-get install openssh-server) to run the Ssh tests.");
        Directory = Path.Combine("/tmp", "pcs-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Keygen("host_key");
        Keygen("client_key");
        File.Copy(ClientKey + ".pub", Path.Combine(Directory, "authorized_keys"));
        File.SetUnixFileMode(Path.Combine(Directory, "authorized_keys"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(ClientConfig, $"UserKnownHostsFile {KnownHosts}\nGlobalKnownHostsFile /dev/null\nLogLevel ERROR\n");
        File.WriteAllText(KnownHosts, "");
        Port = FreePort();
        File.WriteAllText(Path.Combine(Directory, "sshd_config"), string.Join("\n",
            $"Port {Port}", "ListenAddress 127.0.0.1", $"HostKey {Path.Combine(Directory, "host_key")}",
            $"AuthorizedKeysFile {Path.Combine(Directory, "authorized_keys")}", $"PidFile {Path.Combine(Directory, "sshd.pid")}",
            "PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
            "StrictModes no", "LogLevel VERBOSE", "MaxSessions 50",
            // Keep the login away from the real home's shell start-up files (Debian's bash reads ~/.bashrc for ssh commands).
            // The run lock goes in the test folder, so parallel test servers on this machine do not share /run/lock.
            $"SetEnv HOME={Directory} PICLUSTER_LOCK_FILE={Path.Combine(Directory, "picluster.lock")} PICLUSTER_ADMIN_CONF={Path.Combine(Directory, "admin.conf")}" + FakeSudo(fakeSudo), "") );
        // Debian's sshd insists on its privilege separation folder.
        if (Environment.UserName == "root") System.IO.Directory.CreateDirectory("/run/sshd");
        Launch();
    }

    public string Directory { get; }
    public int Port { get; }
    public string ClientKey => Path.Combine(Directory, "client_key");
    public string ClientConfig => Path.Combine(Directory, "ssh_config");
    public string KnownHosts => Path.Combine(Directory, "known_hosts");
    public string LogFile => Path.Combine(Directory, "sshd.log");
    public string LockFile => Path.Combine(Directory, "picluster.lock");

    /// <summary>Where admin-conf-read.sh finds "the node's" admin.conf (PICLUSTER_ADMIN_CONF; it reads it only through sudo's environment).</summary>
    public string AdminConf => Path.Combine(Directory, "admin.conf");

    public static SshServer Start() => new(null);

    /// <summary>
    /// A server whose sessions find a stand-in <c>sudo</c> first on the PATH (this machine may have no sudo, and tests run
    /// as root): <c>"nopasswd"</c> never asks for a command, but <c>-v</c> asks and fails, as on Raspberry Pi OS (pi is
    /// in group sudo, whose entry asks); <c>"password:PW"</c> reads a password line from stdin on every call
    /// (-n fails), like sudo without a cached timestamp. It runs the command as the same user.
    /// </summary>
    public static SshServer StartWithFakeSudo(string mode) => new(mode);

    private string FakeSudo(string? mode)
    {
        if (mode is null) return "";
        var bin = Path.Combine(Directory, "bin");
        System.IO.Directory.CreateDirectory(bin);
        var script = Path.Combine(bin, "sudo");
        File.WriteAllText(script, """
            #!/bin/bash
            n=0 v=0
            while [ $# -gt 0 ]; do
              case $1 in -n) n=1; shift ;; -v) v=1; shift ;; -S) shift ;; -p) shift 2 ;; --) shift; break ;; -*) shift ;; *) break ;; esac
            done
            if [ "$FAKE_SUDO_MODE" = nopasswd ] && [ $v = 1 ]; then
              # As on Raspberry Pi OS: NOPASSWD comes from 010_pi-nopasswd, but %sudo's entry asks, and -v needs every
              # entry to be NOPASSWD (verifypw=all), so it asks for pi's (locked) password.
              IFS= read -r pw; echo "sudo: 1 incorrect password attempt" >&2; exit 1
            fi
            if [ "${FAKE_SUDO_MODE%%:*}" = password ]; then
              if [ $n = 1 ]; then echo "sudo: a password is required" >&2; exit 1; fi
              IFS= read -r pw || { echo "sudo: no password was provided" >&2; exit 1; }
              [ "$pw" = "${FAKE_SUDO_MODE#password:}" ] || { echo "sudo: 1 incorrect password attempt" >&2; exit 1; }
            fi
            [ $v = 1 ] && exit 0
            exec "$@"

            """.Replace("\r", ""));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return $" FAKE_SUDO_MODE={mode} PATH={bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    }

    /// <summary>A node that reaches this server. <paramref name="port"/> overrides the port (e.g. a closed one).</summary>
    public PiNode Node(string name = "node1", int? port = null, string? identityFile = null) =>
        new(name, "127.0.0.1", NodeRole.Worker, Environment.UserName, port ?? Port, identityFile ?? ClientKey, ClientConfig);

    /// <summary>Records the server's current host key in the client's known_hosts (as after a verified first contact).</summary>
    public void TrustHostKey()
    {
        var key = File.ReadAllText(Path.Combine(Directory, "host_key.pub")).Trim().Split(' ');
        File.WriteAllText(KnownHosts, $"[127.0.0.1]:{Port} {key[0]} {key[1]}\n");
    }

    /// <summary>Gives the server a new host key (as a reinstalled node, or an impostor, would have).</summary>
    public void ChangeHostKey()
    {
        Stop();
        File.Delete(Path.Combine(Directory, "host_key"));
        File.Delete(Path.Combine(Directory, "host_key.pub"));
        Keygen("host_key");
        Launch();
    }

    /// <summary>Client connections authenticated so far.</summary>
    public int Connections => LogLines().Count(l => l.Contains("Accepted publickey for"));

    /// <summary>Sessions (commands) started so far: one per round trip.</summary>
    public int Sessions => LogLines().Count(l => l.Contains("Starting session:"));

    public string[] LogLines()
    {
        if (!File.Exists(LogFile)) return Array.Empty<string>();
        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void Launch()
    {
        _sshd = Process.Start(new ProcessStartInfo(SshdPath)
        {
            ArgumentList = { "-D", "-f", Path.Combine(Directory, "sshd_config"), "-E", LogFile },
            UseShellExecute = false,
        })!;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (_sshd.HasExited) throw new InvalidOperationException("sshd did not start: " + string.Join("\n", LogLines()));
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) { Thread.Sleep(50); }
        }
        throw new TimeoutException("sshd did not listen within 10 s");
    }

    /// <summary>Kills the sshd processes that serve the open connections (not the listener): every client's connection drops.</summary>
    public void KillConnections()
    {
        if (_sshd is null || _sshd.HasExited) return;
        foreach (var pid in Descendants(_sshd.Id))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                process.WaitForExit(5000);
            }
            catch (ArgumentException) { /* gone already */ }
            catch (InvalidOperationException) { }
        }
    }

    // The processes below pid, from /proc/*/stat (its fourth field is the parent).
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in System.IO.Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
                parents[pid] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        var found = new List<int>();
        var queue = new Queue<int>(new[] { root });
        while (queue.Count > 0)
        {
            var parent = queue.Dequeue();
            foreach (var child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                found.Add(child);
                queue.Enqueue(child);
            }
        }
        return found;
    }

    private void Stop()
    {
        if (_sshd is null || _sshd.HasExited) return;
        _sshd.Kill(entireProcessTree: true);
        _sshd.WaitForExit();
    }

    private void Keygen(string name)
    {
        using var keygen = Process.Start(new ProcessStartInfo("ssh-keygen")
        {
            ArgumentList = { "-q", "-t", "ed25519", "-N", "", "-C", "pitest", "-f", Path.Combine(Directory, name) },
            UseShellExecute = false,
        })!;
        keygen.WaitForExit();
        if (keygen.ExitCode != 0) throw new InvalidOperationException("ssh-keygen failed");
    }

    public void Dispose()
    {
        Stop();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Both real transports, for theories that run every transport test over each.</summary>
public static class Transports
{
    /// <summary>
    /// The connect bound for the loopback sshd: a handshake takes well under a second, but in CI the unit tests run beside
    /// the lab's emulated nodes booting on two cores, and one SSH.NET handshake then ran out of a 5-second bound.
    /// </summary>
    public static readonly TimeSpan LoopbackConnectTimeout = TimeSpan.FromSeconds(30);

    public static TheoryData<SshTransport> Both => new() { SshTransport.OpenSsh, SshTransport.SshNet };

    public static INodeConnector Connector(SshTransport transport) =>
        transport == SshTransport.SshNet ? new SshNetConnector() : new OpenSshConnector();
}
