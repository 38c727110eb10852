using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Steps.NodePrep;
using PiCluster.Transport;

namespace PiCluster.Steps.Kubernetes;

/// <summary>
/// Runs the apt scripts of the runtime and Kubernetes steps (they source prep-lib.sh and k8s-apt-lib.sh) and turns
/// their exit codes into plain-words failures.
/// </summary>
internal static class AptScript
{
    /// <summary>Exit code: an apt/dpkg lock stayed held past the timeout.</summary>
    public const int LockTimeout = 75;

    /// <summary>Exit code: apt refused a repository's signature.</summary>
    public const int SignatureRefused = 76;

    /// <summary>Exit code: the repository key could not be downloaded.</summary>
    public const int KeyDownloadFailed = 77;

    /// <summary>
    /// Scripts/<paramref name="script"/>.sh with its variables and the lock budget k8s-apt-lib.sh waits by, as root,
    /// with the lock budget in its timeout: the command <see cref="RunAsync"/> runs.
    /// </summary>
    public static RemoteCommand Command(string step, string script, IReadOnlyDictionary<string, string> variables, string what, TimeSpan lockTimeout) =>
        new(RemoteScripts.Compose(script, new Dictionary<string, string>(variables) { ["PICLUSTER_LOCK_TIMEOUT"] = Seconds(lockTimeout) }),
            asRoot: true, timeout: lockTimeout + TimeSpan.FromMinutes(15), display: $"{step}: {what}");

    /// <summary>Runs a <see cref="Command"/>; failures become <see cref="NodeException"/>s that say what happened.</summary>
    /// <param name="context">The step's context.</param>
    /// <param name="step">The step's name, for messages.</param>
    /// <param name="command">The command, from <see cref="Command"/>.</param>
    /// <param name="what">What the script does ("install containerd"), for messages.</param>
    /// <param name="lockTimeout">The lock budget; the command may run this long plus its own work.</param>
    /// <param name="repository">The repository being set up, if any, for signature messages.</param>
    /// <param name="nothingChanged">Whether a lock timeout leaves the node unchanged (the wait comes before any change).</param>
    public static async Task<SectionedOutput> RunAsync(StepContext context, string step, RemoteCommand command, string what, TimeSpan lockTimeout,
        AptRepository? repository = null, bool nothingChanged = true)
    {
        var result = await context.Session.RunAsync(command, context.Cancellation).ConfigureAwait(false);
        var output = SectionedOutput.Parse(result.Stdout);
        if (result.Succeeded) return output;
        if (FileEdit.DiskFullError(context.Node, step, result) is { } diskFull) throw diskFull;
        var apt = Tail(result.Stderr);
        throw result.ExitCode switch
        {
            LockTimeout => new NodeException(NodeErrorKind.Timeout,
                $"{context.Node}: {step} could not {what}: {FirstLine(result.Stderr, "the apt/dpkg lock stayed held")}. " +
                (nothingChanged ? "Nothing was changed. " : "") +
                $"PiCluster waited {Seconds(lockTimeout)} s and does not delete lock files or stop their holder; let it finish (at first boot it is usually unattended-upgrades) and run again, or give a longer -LockTimeout."),
            SignatureRefused => new NodeException(NodeErrorKind.StepFailed,
                $"{context.Node}: apt refused the {repository?.Name ?? "package"} repository {repository?.Url}: its signature does not match the key in {repository?.KeyringPath} " +
                $"(from {repository?.Key}). The repository is not trusted, so nothing was installed and the previous repository settings were put back. " +
                $"Check kubernetes.packageRepository and kubernetes.repositoryKey (a mirror needs its own signing key). apt said: {apt}"),
            KeyDownloadFailed => new NodeException(NodeErrorKind.StepFailed,
                $"{context.Node}: could not download the signing key {repository?.Key} of the {repository?.Name} repository; nothing was installed. {apt}"),
            _ => new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: {step} could not {what} (exit code {result.ExitCode}): {apt}"),
        };
    }

    /// <summary>Seconds as the scripts take them.</summary>
    public static string Seconds(TimeSpan span) => ((long)Math.Ceiling(span.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string FirstLine(string text, string fallback) =>
        text.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("the apt/dpkg lock", StringComparison.Ordinal)) ?? fallback;

    /// <summary>The last lines of apt's output that say something (errors first), for a message.</summary>
    internal static string Tail(string stderr)
    {
        var lines = stderr.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var errors = lines.Where(l => l.StartsWith("E:", StringComparison.Ordinal) || l.StartsWith("Err:", StringComparison.Ordinal) || l.Contains("NO_PUBKEY")).Distinct().Take(4).ToList();
        return string.Join(" ", errors.Count > 0 ? errors : lines.Skip(Math.Max(0, lines.Count - 4)));
    }
}
