using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Tests.Conventions;

namespace PiCluster.Tests.PowerShell;

/// <summary>
/// Starts the pinned PowerShell (.config/dotnet-tools.json, restored by the test build) as a separate process, the
/// way a user runs it: a clean session with no profile, the module loaded only if the script imports it.
/// </summary>
public static class Pwsh
{
    /// <summary>What a pwsh run printed and how it ended.</summary>
    public sealed record Result(int ExitCode, string Out, string Err, bool TimedOut)
    {
        public override string ToString() =>
            $"pwsh exit {ExitCode}{(TimedOut ? " (timed out)" : "")}\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    /// <summary>Runs <paramref name="arguments"/> after <c>pwsh -NoProfile -NonInteractive</c> from the repository root.</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? ModulePaths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // `dotnet tool run` finds the manifest from the working directory; a run elsewhere names the repository's.
        foreach (var a in new[] { "tool", "run", "pwsh", "--", "-NoProfile", "-NonInteractive" }) psi.ArgumentList.Add(a);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["POWERSHELL_UPDATECHECK"] = "Off";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet tool run pwsh");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new Result(-1, await stdout, await stderr, TimedOut: true);
        }
        return new Result(process.ExitCode, await stdout, await stderr, TimedOut: false);
    }

    /// <summary>Runs a command string (<c>pwsh -Command</c>).</summary>
    public static Task<Result> CommandAsync(string command, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null) =>
        RunAsync(new[] { "-Command", command }, timeout, environment);

    /// <summary>
    /// Where test result files go: CI sets PICLUSTER_TEST_RESULTS (its results folder, whose Pester XML it counts);
    /// elsewhere a folder under the system temp directory.
    /// </summary>
    public static string ResultsDirectory()
    {
        var dir = Environment.GetEnvironmentVariable("PICLUSTER_TEST_RESULTS") is { Length: > 0 } d
            ? d : Path.Combine(Path.GetTempPath(), "picluster-test-results");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
