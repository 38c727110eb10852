using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>What the node-preparation steps share: one-round-trip fact scripts and generated apply scripts.</summary>
public abstract class NodePrepStep : NodeStep
{
    /// <summary>Scripts/<paramref name="script"/>.sh as root after prep-lib.sh and the given variables: a fact command.</summary>
    protected static RemoteCommand FactCommand(string script, IReadOnlyDictionary<string, string>? variables = null)
    {
        // Fact scripts only read: a probe that fails (a missing unit, an absent tool) must not end the script early.
        var text = RemoteScripts.Load("prep-lib") + "\nset +e +o pipefail\n" +
                   ShellText.WithVariables(RemoteScripts.Load(script), variables ?? new Dictionary<string, string>());
        return new RemoteCommand(text, asRoot: true, display: $"{script}.sh");
    }

    /// <summary>Runs a <see cref="FactCommand"/> and parses its sections. One round trip, or none when the run read it already.</summary>
    protected static async Task<SectionedOutput> GatherFactsAsync(StepContext context, RemoteCommand facts)
    {
        var result = await context.Session.RunAsync(facts, context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: gathering facts ({facts.Display}) failed with exit code {result.ExitCode}: {result.Stderr.Trim()}");
        return SectionedOutput.Parse(result.Stdout);
    }

    /// <summary>Runs a generated script (prep-lib.sh prepended) as root; a non-zero exit is a failure of this step.</summary>
    protected async Task<CommandResult> ApplyScriptAsync(StepContext context, string body, string what, System.TimeSpan? timeout = null)
    {
        var script = RemoteScripts.Load("prep-lib") + "\n" + body;
        var result = await context.Session.RunAsync(new RemoteCommand(script, asRoot: true, timeout: timeout, display: $"{Name}: {what}"), context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw FileEdit.DiskFullError(context.Node, Name, result)
                  ?? new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: {Name} could not {what} (exit code {result.ExitCode}): {result.Stderr.Trim()}");
        return result;
    }

    /// <summary>The bash lines applying every needed file edit.</summary>
    protected static string WriteFiles(IEnumerable<FileEdit> edits) => string.Concat(edits.Where(e => e.IsNeeded).Select(e => e.ApplyScript()));

    /// <summary>The file's bytes from a base64 fact section (null when missing).</summary>
    protected static byte[]? FileFact(SectionedOutput facts, string section) => facts.GetBytes(section);

    /// <summary>The non-empty lines of a fact section.</summary>
    protected static IReadOnlyList<string> Lines(SectionedOutput facts, string section) =>
        (facts.Get(section) ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
}
