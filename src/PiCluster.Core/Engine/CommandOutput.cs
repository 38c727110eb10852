using System;

namespace PiCluster.Engine;

/// <summary>What an ad-hoc command (Invoke-PiCommand) did on one node.</summary>
public sealed class CommandOutput
{
    /// <summary>Creates an output.</summary>
    public CommandOutput(PiNode node, int exitCode, string output, string error, TimeSpan duration)
    {
        Node = node;
        ExitCode = exitCode;
        Output = output;
        Error = error;
        Duration = duration;
    }

    /// <summary>The node.</summary>
    public PiNode Node { get; }

    /// <summary>The command's exit code.</summary>
    public int ExitCode { get; }

    /// <summary>Standard output.</summary>
    public string Output { get; }

    /// <summary>Standard error.</summary>
    public string Error { get; }

    /// <summary>Wall time on this node, connecting included.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Exit code 0.</summary>
    public bool Succeeded => ExitCode == 0;
}
