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
    /// Runs the apply script Scripts/<paramref name="script"/>.sh as root with its variables and
    /// <paramref name="writes"/> as the data its <c>picluster_write_files</c> writes; a non-zero exit is a failure of this step.
    /// </summary>
    protected Task<CommandResult> ApplyScriptAsync(StepContext context, string script, string what, IReadOnlyDictionary<string, string>? variables = null, IEnumerable<FileEdit>? writes = null) =>
        RunAsRootAsync(context, new RemoteCommand(RemoteScripts.Compose(script, WithWrites(variables, writes)), asRoot: true, display: $"{Name}: {what}"), what);

    /// <summary>
    /// Like <see cref="ApplyScriptAsync"/> for a body generated in C#, after prep-lib.sh. Only Swap and Network use it,
    /// whose command lists follow their plan (each swap unit's own mask or unmask, each network manager's own commands
    /// and its rollback); values in the body are quoted with <see cref="ShellText.Quote"/> and file contents travel as
    /// data (<see cref="WriteFiles"/>).
    /// </summary>
    protected Task<CommandResult> ApplyGeneratedAsync(StepContext context, string body, string what, IEnumerable<FileEdit>? writes = null) =>
        RunAsRootAsync(context, new RemoteCommand(RemoteScripts.ComposeGenerated("# shellcheck source=prep-lib.sh\nsource prep-lib.sh\n" + body, WithWrites(null, writes)),
            asRoot: true, display: $"{Name}: {what}"), what);

    private static Dictionary<string, string> WithWrites(IReadOnlyDictionary<string, string>? variables, IEnumerable<FileEdit>? writes)
    {
        var all = variables is null ? new Dictionary<string, string>() : new Dictionary<string, string>(variables);
        all[FileEdit.WritesVariable] = FileEdit.WriteRequest(writes ?? Enumerable.Empty<FileEdit>());
        return all;
    }

    private async Task<CommandResult> RunAsRootAsync(StepContext context, RemoteCommand command, string what)
    {
        var result = await context.Session.RunAsync(command, context.Cancellation).ConfigureAwait(false);
        if (!result.Succeeded)
            throw FileEdit.DiskFullError(context.Node, Name, result)
                  ?? new NodeException(NodeErrorKind.StepFailed, $"{context.Node}: {Name} could not {what} (exit code {result.ExitCode}): {result.Stderr.Trim()}");
        return result;
    }

    /// <summary>The bash line applying every needed file edit in a generated body; pass the same edits to <see cref="ApplyGeneratedAsync"/> as its data.</summary>
    protected static string WriteFiles(IEnumerable<FileEdit> edits) => edits.Any(e => e.IsNeeded) ? "picluster_write_files\n" : "";

    /// <summary>The file's bytes from a base64 fact section (null when missing).</summary>
    protected static byte[]? FileFact(SectionedOutput facts, string section) => facts.GetBytes(section);

    /// <summary>The non-empty lines of a fact section.</summary>
    protected static IReadOnlyList<string> Lines(SectionedOutput facts, string section) =>
        (facts.Get(section) ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
}
