using System;

namespace PiCluster.Transport;

/// <summary>A bash script to run on a node. Secrets travel on standard input, never in the script text.</summary>
public sealed class RemoteCommand
{
    /// <summary>Creates a command.</summary>
    public RemoteCommand(string script, bool asRoot = false, string? input = null, TimeSpan? timeout = null, string? display = null)
    {
        Script = script;
        AsRoot = asRoot;
        Input = input;
        Timeout = timeout;
        Display = display;
    }

    /// <summary>The bash script.</summary>
    public string Script { get; }

    /// <summary>Run through sudo (with the session's sudo password, if any, fed on stdin).</summary>
    public bool AsRoot { get; }

    /// <summary>Data for the script's standard input. Never logged.</summary>
    public string? Input { get; }

    /// <summary>How long the command may run; null uses the session default.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>What -Verbose shows instead of the script (already redacted); null shows the script.</summary>
    public string? Display { get; }
}
