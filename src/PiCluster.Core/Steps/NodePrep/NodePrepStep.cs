using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PiCluster.Engine;
using PiCluster.Transport;

namespace PiCluster.Steps.NodePrep;

/// <summary>What the node-preparation steps share: one-round-trip fact scripts and generated apply scripts.</summary>
public abstract class NodePrepStep : NodeStep
{
    /// <summary>Scripts/<paramref name="script"/>.sh (which sources prep-facts-lib.sh) as root with the given variables: a fact command.</summary>
    protected static RemoteCommand FactCommand(string script, IReadOnlyDictionary<string, string>? variables = null) =>
        new(RemoteScripts.Compose(script, variables), asRoot: true, display: $"{script}.sh");

    /// <summary>Runs a <see cref="FactCommand"/> and parses its sections. One round trip, or none when the run read it already.</summary>
    protected static async Task<SectionedOutput> GatherFactsAsync(StepContext context, RemoteCommand facts)
    {
        var result = await context.Session.RunAsync(facts, context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: gathering facts ({facts.Display}) failed with exit code {result.ExitCode}: {result.Stderr.Trim()}");
        return SectionedOutput.Parse(result.Stdout);
    }

    /// <summary>
    /// Runs a generated apply script as root after prep-lib.sh, with <paramref name="writes"/> as the data its
    /// <c>picluster_write_files</c> (see <see cref="WriteFiles"/>) writes; a non-zero exit is a failure of this step.
    /// </summary>
    /// <remarks>
    /// These bodies are still generated in C# (each step's handful of commands depends on its plan); values in them are
    /// quoted with <see cref="ShellText.Quote"/>, file contents travel as data. They go through the one composer.
    /// </remarks>
    protected async Task<CommandResult> ApplyScriptAsync(StepContext context, string body, string what, IEnumerable<FileEdit>? writes = null, System.TimeSpan? timeout = null)
    {
        var script = RemoteScripts.ComposeGenerated("# shellcheck source=prep-lib.sh\nsource prep-lib.sh\n" + body,
            new Dictionary<string, string> { [FileEdit.WritesVariable] = FileEdit.WriteRequest(writes ?? Enumerable.Empty<FileEdit>()) });
        var result = await context.Session.RunAsync(new RemoteCommand(script, asRoot: true, timeout: timeout, display: $"{Name}: {what}"), context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw FileEdit.DiskFullError(context.Node, Name, result)
                  ?? new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: {Name} could not {what} (exit code {result.ExitCode}): {result.Stderr.Trim()}");
        return result;
    }

    /// <summary>The bash line applying every needed file edit; pass the same edits to <see cref="ApplyScriptAsync"/> as its data.</summary>
    protected static string WriteFiles(IEnumerable<FileEdit> edits) => edits.Any(e => e.IsNeeded) ? "picluster_write_files\n" : "";

    /// <summary>The file's bytes from a base64 fact section (null when missing).</summary>
    protected static byte[]? FileFact(SectionedOutput facts, string section) => facts.GetBytes(section);

    /// <summary>The non-empty lines of a fact section.</summary>
    protected static IReadOnlyList<string> Lines(SectionedOutput facts, string section) =>
        (facts.Get(section) ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
}
