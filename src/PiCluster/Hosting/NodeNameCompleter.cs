using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace PiCluster.Hosting;

/// <summary>Tab completion of -Name from the cluster file given in -Path.</summary>
public sealed class NodeNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var path = fakeBoundParameters["Path"]?.ToString();
        if (string.IsNullOrEmpty(path)) return Enumerable.Empty<CompletionResult>();
        // Completion runs outside any cmdlet: resolve a relative path against the current file-system location.
        if (path!.StartsWith("~", System.StringComparison.Ordinal))
            path = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile) + path.Substring(1);
        var fullPath = System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.GetFullPath(path, CurrentDirectory());
        return ClusterFileNodes.CompleteNames(fullPath, wordToComplete)
            .Select(name => new CompletionResult(name, name, CompletionResultType.ParameterValue, name));
    }

    private static string CurrentDirectory()
    {
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            var location = ps.AddCommand("Get-Location").AddParameter("PSProvider", "FileSystem").Invoke().FirstOrDefault();
            if ((location?.BaseObject as PathInfo)?.ProviderPath is { Length: > 0 } current) return current;
        }
        catch (System.Exception e) when (e is PSInvalidOperationException or RuntimeException)
        {
            // No nested pipeline possible here: fall back to the process's directory.
        }
        return System.IO.Directory.GetCurrentDirectory();
    }
}
