using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace PiCluster.Transport;

/// <summary>Runs the system ssh once: arguments, bytes for its stdin, a time limit, cancellation.</summary>
internal static class SshProcess
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private static readonly UTF8Encoding Utf8 = new(false);

    internal sealed class Outcome
    {
        public Outcome(int exitCode, string stdout, string stderr, bool timedOut)
        {
            ExitCode = exitCode;
            Stdout = stdout;
            Stderr = stderr;
            TimedOut = timedOut;
        }

        public int ExitCode { get; }
        public string Stdout { get; }
        public string Stderr { get; }
        public bool TimedOut { get; }
    }

    /// <summary>
    /// Runs ssh. With <paramref name="holdStdin"/>, stdin stays open until ssh ends: closing it is how a running remote
    /// command is told to stop (see Scripts/ssh-bootstrap.sh). On timeout or cancellation stdin is closed, and ssh is
    /// killed if it does not end within a few seconds. Throws <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    public static Task<Outcome> RunAsync(IReadOnlyList<string> arguments, byte[]? stdin, bool holdStdin, TimeSpan timeout,
        CancellationToken cancellation) => RunAsync("ssh", arguments, stdin, holdStdin, timeout, cancellation);

    /// <summary>Runs another program of the OpenSSH client (ssh-keygen) the same way.</summary>
    public static async Task<Outcome> RunAsync(string program, IReadOnlyList<string> arguments, byte[]? stdin, bool holdStdin, TimeSpan timeout,
        CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Utf8,
            StandardErrorEncoding = Utf8,
            StandardInputEncoding = Utf8,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        using var process = new Process { StartInfo = start };
        try { process.Start(); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            throw new InvalidOperationException($"Cannot run the OpenSSH client '{program}': install it (Debian: apt install openssh-client) and put it on the PATH.", e);
        }
        // Bounded: Invoke-PiCommand runs whatever the user types, and `cat /dev/urandom` must not take this machine down.
        var stdout = BoundedCapture.ReadAsync(process.StandardOutput);
        var stderr = BoundedCapture.ReadAsync(process.StandardError);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, 0, stdin.Length, CancellationToken.None).ConfigureAwait(false);
                await process.StandardInput.BaseStream.FlushAsync().ConfigureAwait(false);
            }
            if (!holdStdin) process.StandardInput.Close();
        }
        catch (IOException) { /* ssh ended early; its stderr says why */ }

        var timedOut = false;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
        {
            limit.CancelAfter(timeout);
            try { await process.WaitForExitAsync(limit.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                timedOut = !cancellation.IsCancellationRequested;
                await StopAsync(process).ConfigureAwait(false);
            }
        }
        try { process.StandardInput.Close(); } catch (IOException) { }
        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        cancellation.ThrowIfCancellationRequested();
        return new Outcome(process.ExitCode, output, errors, timedOut);
    }

    private static async Task StopAsync(Process process)
    {
        try { process.StandardInput.Close(); } catch (IOException) { }
        using var grace = new CancellationTokenSource(StopGrace);
        try { await process.WaitForExitAsync(grace.Token).ConfigureAwait(false); }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
